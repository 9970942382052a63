"""The only module that imports DVC. Imported lazily: only commands that move bytes pay for it.

Every call into `dvc.repo.Repo` lives here and is covered by a test: DVC's maintainers give that class
no strong stability promise, so pyproject pins a compatible range.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gitmodel.errors import ExternalFailure, GitmodelError, InvalidInput

LOCK_TIMEOUT_S = float(os.environ.get("GITMODEL_LOCK_TIMEOUT", "30"))


def _quiet_dvc() -> None:
    """DVC's hints ("To track the changes with git, run ...") are not our output: gitmodel stages itself."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ.setdefault("DVC_NO_UPDATER", "1")
    import dvc  # noqa: F401 - `import dvc` installs DVC's log handlers at level INFO

    # DVC's INFO messages ("To track the changes with git, run: ...") go to stdout through its own log
    # handler, which would corrupt --json output and repeat what gitmodel already says; warnings still show.
    logging.getLogger("dvc").setLevel(logging.WARNING)


def is_dvc_repo(root: Path) -> bool:
    return (root / ".dvc").is_dir()


def init(root: Path) -> bool:
    """`dvc init` when absent (never re-init); True when it created the DVC repo."""
    if is_dvc_repo(root):
        return False
    _quiet_dvc()
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    _quiet_dvc()  # again: importing dvc configures its logger
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # DVC's banner is not our output
            Repo.init(root_dir=str(root))
    except DvcException as exc:
        raise ExternalFailure(f"dvc init failed: {exc}", where=str(root)) from None
    return True


@contextlib.contextmanager
def open_repo(root: Path) -> Iterator[Any]:
    """A DVC Repo, waiting up to LOCK_TIMEOUT_S for another DVC process's lock."""
    _quiet_dvc()
    from dvc.exceptions import DvcException, NotDvcRepoError
    from dvc.repo import Repo

    if not is_dvc_repo(root):
        raise InvalidInput("not a DVC repository (no .dvc/)", where=str(root),
                           hint="run `gitmodel init` (it runs `dvc init`)")
    try:
        repo = Repo(str(root))
    except NotDvcRepoError:
        raise InvalidInput("not a DVC repository", where=str(root), hint="run `gitmodel init`") from None
    except DvcException as exc:
        raise ExternalFailure(f"cannot open the DVC repository: {exc}", where=str(root)) from None
    try:
        yield repo
    finally:
        repo.close()


def _with_lock_retry(root: Path, action: str, fn: Any) -> Any:
    from dvc.exceptions import DvcException
    from dvc.lock import LockError

    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            with open_repo(root) as repo, contextlib.redirect_stdout(io.StringIO()):
                return fn(repo)
        except LockError:
            if time.monotonic() >= deadline:
                raise ExternalFailure(
                    f"DVC's repository lock is held by another process (waited {LOCK_TIMEOUT_S:.0f} s)",
                    where=str(root / ".dvc" / "tmp" / "lock"),
                    hint="wait for the other dvc/gitmodel command to finish, then retry") from None
            time.sleep(0.25)
        except GitmodelError:
            raise
        except DvcException as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise ExternalFailure(f"dvc {action} failed: {message}") from None


def track(root: Path, paths: Sequence[str]) -> None:
    """`dvc add` these paths (writes `<path>.dvc` and the .gitignore beside it; stages nothing)."""
    if not paths:
        return
    _with_lock_retry(root, "add", lambda repo: repo.add([str(root / p) for p in paths]))
