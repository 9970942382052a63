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


# ------------------------------------------------------------------ remote presence (the pre-push hook)
# The objects a release needs are named by the md5s its manifest records, not by the .dvc files in the
# workspace: the pushed tag may be an older version than the one checked out.


def _object_ids(repo: Any, md5: str, remote: str | None) -> list[Any]:
    """The object and, for a directory, every file in it (the tree is read from the cache, else the remote)."""
    from dvc_data.hashfile.hash_info import HashInfo
    from dvc_data.hashfile.tree import Tree

    top = HashInfo("md5", md5)
    if not top.isdir:
        return [top]
    for odb in (repo.cache.local, repo.cloud.get_remote_odb(remote, "status")):
        try:
            tree = Tree.load(odb, top)
        except Exception:  # noqa: BLE001, S112 - not in this store (FileNotFoundError, ObjectFormatError): try the next
            continue
        return [top, *(oid for _, _, oid in tree)]
    return [top]


def _entry_ids(entries: Sequence[Any]) -> list[tuple[str, str]]:
    """(path, md5) of DVC-stored manifest entries; an entry without md5 cannot be located and is refused."""
    pairs = []
    for entry in entries:
        if not getattr(entry, "md5", None):
            raise InvalidInput("DVC-stored file has no md5 in the manifest", where=f"{entry.path}: md5",
                               hint="run `gitmodel bump NAME` to re-track it")
        pairs.append((entry.path, entry.md5))
    return pairs


def missing_in_remote(root: Path, entries: Sequence[Any], remote: str | None = None) -> list[str]:
    """Paths of DVC-stored manifest entries with at least one object missing from the DVC remote."""
    pairs = _entry_ids(entries)
    if not pairs:
        return []

    def status(repo: Any) -> list[str]:
        missing = []
        for path, md5 in pairs:
            result = repo.cloud.status(_object_ids(repo, md5, remote), remote=remote)
            if result.missing or result.new:
                missing.append(path)
        return missing

    return list(_with_lock_retry(root, "status", status))


def push_entries(root: Path, entries: Sequence[Any], remote: str | None = None) -> list[str]:
    """Push the objects of DVC-stored manifest entries from the local cache; the paths pushed."""
    pairs = _entry_ids(entries)
    if not pairs:
        return []

    def push(repo: Any) -> list[str]:
        ids = {oid for _, md5 in pairs for oid in _object_ids(repo, md5, remote)}
        result = repo.cloud.push(ids, remote=remote)
        if result.failed:
            failed = {h.value for h in result.failed}
            bad = [p for p, md5 in pairs if md5 in failed] or [p for p, _ in pairs]
            raise ExternalFailure(f"dvc push failed for {', '.join(bad)} (not in the local cache?)",
                                  hint="run `dvc fetch` from where the files were added, then retry")
        return [p for p, _ in pairs]

    return list(_with_lock_retry(root, "push", push))
