"""DVC repository, lock, config and remotes; with gitmodel/storage/dvc_transfer.py the only modules that import DVC.

Imported lazily: only commands that move bytes pay for it. Every call into `dvc.repo.Repo` lives in these
two modules and is covered by a test: DVC's maintainers give that class no strong stability promise, so
pyproject pins a compatible range. Moving objects by md5 (push, fetch) is in gitmodel/storage/dvc_transfer.py.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmodel.infra.errors import ExternalFailure, GitmodelError, InvalidInput


def lock_timeout() -> float:
    """GITMODEL_LOCK_TIMEOUT (seconds, default 30), read when a lock is waited for: a bad value is invalid input."""
    raw = os.environ.get("GITMODEL_LOCK_TIMEOUT", "30")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 86_400 * 365:  # also refuses nan and inf
        raise InvalidInput(f"{raw!r} is not a number of seconds", where="GITMODEL_LOCK_TIMEOUT",
                           hint="set it to the seconds to wait for DVC's lock, e.g. GITMODEL_LOCK_TIMEOUT=30")
    return value


def _silence_dvc_logging(level: int = logging.CRITICAL) -> None:
    # DVC's import installs handlers that write INFO lines ("To track the changes with git...") to the
    # stdout of the moment; our output module is the only printer. Its tqdm bars stay on when the logger
    # allows ERROR: a transfer someone watches (a `progress` callback was given) raises the level for its time.
    for name in ("dvc", "dvc_objects", "dvc_data"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = False
        logger.setLevel(level)


def _quiet_dvc() -> None:
    """DVC's hints ("To track the changes with git, run ...") are not our output: gitmodel stages itself."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ.setdefault("DVC_NO_UPDATER", "1")
    import dvc  # noqa: F401 - its import sets up the logging handlers we then remove

    _silence_dvc_logging()


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


def _atomic_dvc_files() -> None:
    """Make DVC write `.dvc` pointers and `dvc.yaml` by temp file and rename, in this process.

    DVC opens the file with "w+" and then writes it: a kill -9 in between (tests/reliability/test_reliability_kill.py)
    left an empty pointer, which every later command refuses as invalid input. Its `dump_yaml` is the one
    writer `dvc.dvcfile` uses for both; ours keeps its signature and dumper and changes only how the bytes land.
    """
    import dvc.dvcfile as dvcfile
    from dvc.utils.serialize._yaml import _dump

    if getattr(dvcfile.dump_yaml, "gitmodel_atomic", False):
        return
    original = dvcfile.dump_yaml

    def dump_yaml(path: Any, data: Any, fs: Any = None, **kwargs: Any) -> Any:
        if fs is not None or kwargs:
            return original(path, data, fs=fs, **kwargs)
        from gitmodel.infra.fileio import atomic_write

        stream = io.StringIO()
        _dump(data, stream)
        atomic_write(Path(os.fspath(path)), stream.getvalue())
        return None

    dump_yaml.gitmodel_atomic = True  # type: ignore[attr-defined]
    dvcfile.dump_yaml = dump_yaml


@contextlib.contextmanager
def open_repo(root: Path) -> Iterator[Any]:
    """A DVC Repo, waiting up to lock_timeout() seconds for another DVC process's lock."""
    _quiet_dvc()
    from dvc.exceptions import DvcException, NotDvcRepoError
    from dvc.repo import Repo

    if not is_dvc_repo(root):
        raise InvalidInput("not a DVC repository (no .dvc/)", where=str(root),
                           hint="run `gitmodel init` (it runs `dvc init`)")
    from gitmodel.storage.dvc_places import NO_LINKS, refuse_cache_outside

    refuse_cache_outside(root)
    _atomic_dvc_files()
    try:
        repo = Repo(str(root), config=NO_LINKS)
    except NotDvcRepoError:
        raise InvalidInput("not a DVC repository", where=str(root), hint="run `gitmodel init`") from None
    except DvcException as exc:
        raise ExternalFailure(f"cannot open the DVC repository: {exc}", where=str(root)) from None
    try:
        yield repo
    finally:
        repo.close()


def set_aside_torn_rwlock(root: Path) -> bool:
    """DVC writes `.dvc/tmp/rwlock` in place: a run killed mid-write (kill -9, power cut) leaves JSON DVC refuses
    to read ("JSON structure is corrupted") until someone deletes it. Under DVC's own guard of that file, a torn
    one is renamed `rwlock.torn-<time>` (kept to look at) so DVC starts a fresh one; True when it was. The entries
    it held are lost with it — the processes that wrote them are gone (a live one is recorded again when it next
    takes a lock), as DVC itself drops entries of dead processes."""
    import json

    from dvc.lock import make_lock
    from dvc.rwlock import RWLOCK_FILE, RWLOCK_LOCK

    tmp = root / ".dvc" / "tmp"
    path = tmp / RWLOCK_FILE
    with make_lock(str(tmp / RWLOCK_LOCK), tmp_dir=str(tmp)):
        try:
            json.loads(path.read_bytes())
        except FileNotFoundError:
            return False
        except ValueError:
            os.replace(path, tmp / f"{RWLOCK_FILE}.torn-{time.time_ns()}")
            return True
    return False  # whole again: another process repaired it


def _with_lock_retry(root: Path, action: str, fn: Any) -> Any:
    from dvc.exceptions import DvcException
    from dvc.lock import LockError
    from dvc.rwlock import RWLockFileCorruptedError

    timeout = lock_timeout()
    deadline = time.monotonic() + timeout
    repaired = False
    while True:
        try:
            with open_repo(root) as repo, contextlib.redirect_stdout(io.StringIO()):
                return fn(repo)
        except RWLockFileCorruptedError:
            if repaired:
                raise ExternalFailure(f"dvc {action} failed: DVC's lock file is corrupted",
                                      where=str(root / ".dvc" / "tmp" / "rwlock"),
                                      hint="no dvc or gitmodel command running? delete that file, then retry") from None
            set_aside_torn_rwlock(root)
            repaired = True
        except LockError:
            if time.monotonic() >= deadline:
                raise ExternalFailure(
                    f"DVC's repository lock is held by another process (waited {timeout:.0f} s)",
                    where=str(root / ".dvc" / "tmp" / "lock"),
                    hint="wait for the other dvc/gitmodel command to finish, then retry") from None
            time.sleep(0.25)
        except GitmodelError:
            raise
        except DvcException as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise ExternalFailure(f"dvc {action} failed: {message}") from None
        except (KeyError, TypeError, AttributeError) as exc:  # DVC reading a malformed .dvc/dvc.yaml file
            raise ExternalFailure(f"dvc {action} failed on a malformed DVC file: {type(exc).__name__}: {exc}",
                                  where=str(root), hint="find it with `dvc status`; fix or restore that file") from None
        except (OSError, sqlite3.Error) as exc:  # a full disk or read-only tree meets DVC's files and state db
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise ExternalFailure(f"dvc {action} failed: {message}", where=str(root / ".dvc"),
                                  hint="free space or fix the directory's permissions, then retry") from None


def track(root: Path, paths: Sequence[str]) -> None:
    """`dvc add` these paths (writes `<path>.dvc` and the .gitignore beside it; stages nothing)."""
    if not paths:
        return
    from gitmodel.storage import inflight
    from gitmodel.storage.dvc_pointers import pointer_path

    for path in paths:
        _refuse_broken_pointer(root, pointer_path(path))
    with inflight.guarded(root, paths, pointer_path):  # DVC removes each file before copying it back
        _with_lock_retry(root, "add", lambda repo: repo.add([str(root / p) for p in paths]))


def _refuse_broken_pointer(root: Path, pointer: str) -> None:
    """DVC reads every .dvc file before `add` and dies on a truncated one (KeyError): name it first."""
    from gitmodel.storage.dvc_pointers import parse_pointer

    try:
        data = (root / pointer).read_bytes()
    except OSError:
        return  # none yet: `dvc add` writes it
    hint = f"restore it (git checkout -- {pointer}) or delete it, then run the command again"
    try:
        parsed = parse_pointer(data, where=pointer)
    except InvalidInput as exc:
        raise InvalidInput(f"malformed DVC pointer: {exc.message}", where=pointer, hint=hint) from None
    if not parsed.path:
        raise InvalidInput("malformed DVC pointer: outs[0] has no path (truncated?)", where=pointer, hint=hint)


# -------------------------------------------------------------------------------------------- remotes

DEFAULT_REMOTE_NAME = "local"
SHARED_REMOTE_NAME = "storage"
NO_REMOTE_HINT = ("set one with `gitmodel init --remote PATH|s3://bucket/prefix` "
                  "or `dvc remote add -d NAME URL`")


def default_remote_dir() -> Path:
    """`<user data dir>/gitmodel/dvc-remote`: one content-addressed store shared by every repo."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("gitmodel", appauthor=False)) / "dvc-remote"


def _is_url(text: str) -> bool:
    return "://" in text


def _dvc_config(root: Path) -> Any:
    _quiet_dvc()
    from dvc.config import Config, ConfigError

    try:
        return Config(dvc_dir=str(root / ".dvc"))
    except ConfigError as exc:
        raise InvalidInput(f"invalid DVC config: {' '.join(str(exc).split())}", where=str(root / ".dvc" / "config"),
                           hint="fix it, or see `dvc config --list`") from None


def ensure_default_remote(root: Path, remote: str | None) -> str | None:
    """Make sure DVC has a default remote; returns a note saying what was set or kept.

    `remote` is a DVC remote name, a URL (`s3://bucket/prefix`, ...) or a local directory. Without it an
    existing default is kept, else a local directory under the user data dir becomes the default; that
    path is per machine, so it goes to `.dvc/config.local`. An explicit remote is shared with the team
    in `.dvc/config`. Credentials and endpoints stay in DVC's own config (`dvc remote modify --local`).
    """
    from dvc.config import ConfigError

    config = _dvc_config(root)
    remotes: dict[str, Any] = dict(config.get("remote", {}))
    current = config.get("core", {}).get("remote")
    try:
        if remote is None:
            if current:
                url = remotes.get(current, {}).get("url", "?")
                return f"DVC default remote {current!r} kept ({url})"
            if remotes:
                return (f"DVC remotes {', '.join(sorted(remotes))} exist but none is the default; "
                        "choose one with `dvc remote default NAME`")
            path = default_remote_dir()
            path.mkdir(parents=True, exist_ok=True)
            with config.edit("local") as conf:
                conf["remote"][DEFAULT_REMOTE_NAME] = {"url": str(path)}
                conf["core"]["remote"] = DEFAULT_REMOTE_NAME
            return f"DVC default remote {DEFAULT_REMOTE_NAME!r} → {path} (this machine only: .dvc/config.local)"
        if remote in remotes:
            name, url = remote, remotes[remote].get("url", "?")
        else:
            url = remote if _is_url(remote) else str(Path(remote).expanduser().resolve())
            name = next((n for n, opts in remotes.items() if opts.get("url") == url), "")
            if not name:
                name, n = SHARED_REMOTE_NAME, 2
                while name in remotes:
                    name, n = f"{SHARED_REMOTE_NAME}{n}", n + 1
                with config.edit("repo") as conf:
                    conf["remote"][name] = {"url": url}
        with config.edit("repo") as conf:
            conf["core"]["remote"] = name
        # A default set in config.local would shadow the one we just chose.
        local = config.read("local")
        if local.get("core", {}).get("remote") not in (None, name):
            with config.edit("local") as conf:
                del conf["core"]["remote"]
    except ConfigError as exc:
        raise InvalidInput(f"cannot set the DVC remote: {' '.join(str(exc).split())}", where="--remote",
                           hint="see `dvc remote add --help`") from None
    note = f"DVC default remote {name!r} → {url} (.dvc/config)"
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme in _CLOUD_EXTRAS:
        import importlib.util

        plugin, extra, label = _CLOUD_EXTRAS[scheme]
        if importlib.util.find_spec(plugin) is None:
            note += f"; {label} needs the extra: pip install 'gitmodel[{extra}]'"
    return note


# URL scheme → (DVC plugin module, gitmodel extra, what to call it)
_CLOUD_EXTRAS = {"s3": ("dvc_s3", "s3", "S3"), "gs": ("dvc_gs", "gs", "Google Cloud Storage"),
                 "azure": ("dvc_azure", "azure", "Azure Blob")}


@dataclass(frozen=True)
class RemoteInfo:
    name: str
    url: str


def _remote(repo: Any, name: str | None) -> tuple[RemoteInfo, Any]:
    """(name and URL, a HashFileDB on the remote's `files/md5`) for `name` or DVC's default remote."""
    from dvc.config import NoRemoteError, RemoteConfigError, RemoteNotFoundError
    from dvc_data.hashfile.db import HashFileDB

    try:
        remote = repo.cloud.get_remote(name)
    except NoRemoteError:
        raise InvalidInput("no DVC remote configured", where=".dvc/config: core.remote", hint=NO_REMOTE_HINT) from None
    except RemoteNotFoundError:
        raise InvalidInput(f"no DVC remote named {name!r}", where=".dvc/config: remote",
                           hint=f"see `dvc remote list`; {NO_REMOTE_HINT}") from None
    except RemoteConfigError as exc:
        raise InvalidInput(f"bad DVC remote config: {' '.join(str(exc).split())}", where=".dvc/config",
                           hint="see `dvc remote list`") from None
    except Exception as exc:  # noqa: BLE001 - e.g. the s3 plugin missing: DVC raises its own ImportError family
        message = " ".join(str(exc).split()) or type(exc).__name__
        extra = next((extra for scheme, (_, extra, _) in _CLOUD_EXTRAS.items() if scheme in message), None)
        hint = f"pip install 'gitmodel[{extra}]'" if extra else "check the remote with `dvc remote list`"
        raise ExternalFailure(f"cannot use the DVC remote: {message}", where=name or "default remote",
                              hint=hint) from None
    url = remote.fs.unstrip_protocol(remote.path)
    odb = remote.odb
    if type(odb) is not HashFileDB:
        # A local directory gets a LocalHashFileDB (it copies with the kernel's fast paths), but its
        # existence check md5s every object and silently deletes any that does not match. A corrupt
        # object must reach our sha256 check (exit 1) and a missing one our error (exit 3), so here
        # existence means existence.
        def oids_exist(oids: Any, jobs: Any = None, progress: Any = None) -> list[str]:
            return [oid for oid in oids if odb.fs.exists(odb.oid_to_path(oid))]

        odb.oids_exist = oids_exist
    return RemoteInfo(remote.name, url), odb


def remote_info(root: Path, remote: str | None = None) -> RemoteInfo:
    """The remote a transfer would use; exit 2 when none is configured."""
    return _with_lock_retry(root, "remote", lambda repo: _remote(repo, remote)[0])


if not TYPE_CHECKING:  # at run time only, so mypy keeps checking every other `storage.` name
    def __getattr__(name: str) -> Any:
        """docs/storage.md promised hook authors `gitmodel.storage.dvc.missing_in_remote`/`push_entries`: keep them."""
        if name in ("missing_in_remote", "push_entries"):
            from gitmodel.storage import dvc_transfer

            return getattr(dvc_transfer, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
