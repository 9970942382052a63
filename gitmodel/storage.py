"""The only module that imports DVC. Imported lazily: only commands that move bytes pay for it.

Every call into `dvc.repo.Repo` lives here and is covered by a test: DVC's maintainers give that class
no strong stability promise, so pyproject pins a compatible range.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmodel.errors import ExternalFailure, GitmodelError, InvalidInput
from gitmodel.fileio import path_clash, safe_target

if TYPE_CHECKING:
    from gitmodel.manifest import FileEntry

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


# ------------------------------------------------------------------------------------------ progress

_progress = False


def set_progress(enabled: bool) -> None:
    """Show transfer progress on stderr (the CLI passes `stderr is a TTY and not --json`)."""
    global _progress
    _progress = enabled


def progress_enabled() -> bool:
    return _progress


def _silence_dvc_logging() -> None:
    # DVC's import installs handlers that write INFO lines ("To track the changes with git...") to the
    # stdout of the moment; our output module is the only printer. Its tqdm bars (checkout's) stay on
    # when the logger allows ERROR, so the progress flag picks the level.
    for name in ("dvc", "dvc_objects", "dvc_data"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = False
        logger.setLevel(logging.ERROR if _progress else logging.CRITICAL)


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


@contextlib.contextmanager
def open_repo(root: Path) -> Iterator[Any]:
    """A DVC Repo, waiting up to lock_timeout() seconds for another DVC process's lock."""
    _quiet_dvc()
    from dvc.exceptions import DvcException, NotDvcRepoError
    from dvc.repo import Repo

    if not is_dvc_repo(root):
        raise InvalidInput("not a DVC repository (no .dvc/)", where=str(root),
                           hint="run `gitmodel init` (it runs `dvc init`)")
    from gitmodel.dvcplaces import NO_LINKS, refuse_cache_outside

    refuse_cache_outside(root)
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


def _with_lock_retry(root: Path, action: str, fn: Any) -> Any:
    from dvc.exceptions import DvcException
    from dvc.lock import LockError

    timeout = lock_timeout()
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open_repo(root) as repo, contextlib.redirect_stdout(io.StringIO()):
                return fn(repo)
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
    for path in paths:
        _refuse_broken_pointer(root, f"{path}.dvc")
    _with_lock_retry(root, "add", lambda repo: repo.add([str(root / p) for p in paths]))


def _refuse_broken_pointer(root: Path, pointer: str) -> None:
    """DVC reads every .dvc file before `add` and dies on a truncated one (KeyError): name it first."""
    from gitmodel.pointers import parse_pointer

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
    if url.startswith("s3://"):
        import importlib.util

        if importlib.util.find_spec("dvc_s3") is None:
            note += "; S3 needs the extra: pip install 'gitmodel[s3]'"
    return note


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
        hint = "pip install 'gitmodel[s3]'" if "s3" in message else "check the remote with `dvc remote list`"
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


@contextlib.contextmanager
def _remote_errors(info: RemoteInfo, action: str) -> Iterator[None]:
    try:
        yield
    except GitmodelError:
        raise
    except Exception as exc:  # noqa: BLE001 - fsspec/boto/OS errors: all mean the remote failed us
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise ExternalFailure(f"{action} failed: cannot reach the remote: {message}", where=info.url,
                              hint="check the URL, network and credentials (`dvc remote list`, "
                                   "`dvc remote modify --local NAME ...`)") from None


# ------------------------------------------------------------------------------------ objects by md5


_MD5 = re.compile(r"[0-9a-f]{32}(\.dir)?")


def _hash_info(md5: str) -> Any:
    from dvc_data.hashfile.hash_info import HashInfo

    return HashInfo("md5", md5)


def _dvc_entries(entries: Sequence[FileEntry]) -> list[FileEntry]:
    """DVC-stored entries with an md5 (two paths may share content); an md5 that is not one is refused
    before it becomes a path in the cache or the remote."""
    wanted = [e for e in entries if e.storage == "dvc" and e.md5]
    for e in wanted:
        if not _MD5.fullmatch(e.md5 or ""):
            raise InvalidInput(f"md5 {e.md5!r} is not an md5", where=f"{e.path}: md5",
                               hint="re-pin the file with `gitmodel bump NAME`")
    return wanted


def _local_exists(cache: Any, oid: str) -> bool:
    return os.path.exists(cache.oid_to_path(oid))


def _children(odb: Any, md5: str) -> list[tuple[str, str]] | None:
    """(relative path, md5) of every file in a `.dir` object, or None when the listing is absent."""
    from dvc_data.hashfile.tree import Tree

    try:
        tree = Tree.load(odb, _hash_info(md5))
    except (FileNotFoundError, OSError):
        return None
    except Exception:  # noqa: BLE001 - ObjectFormatError: a corrupt listing is as good as absent
        return None
    listing = sorted(("/".join(key), str(hi.value)) for key, _meta, hi in tree)
    if problem := path_clash([rel for rel, _ in listing]):
        raise InvalidInput(problem, where=f"DVC directory listing {md5}",
                           hint="the listing is corrupt or hostile: do not use this version")
    for rel, oid in listing:
        # The listing is data from the remote: a path that is absolute, has `..` or names .git, or an
        # oid that is not an md5, would place (or read) a file outside the directory it belongs to.
        safe_target(Path("."), rel, where=f"DVC directory listing {md5}: {rel!r}")
        if not _MD5.fullmatch(oid) or oid.endswith(".dir"):
            raise InvalidInput(f"{oid!r} is not an md5", where=f"DVC directory listing {md5}: {rel!r}",
                               hint="the listing is corrupt or hostile: do not use this version")
    return listing


def _missing_locally(cache: Any, entries: Sequence[FileEntry]) -> list[FileEntry]:
    missing = []
    for entry in entries:
        assert entry.md5 is not None
        if not _local_exists(cache, entry.md5):
            missing.append(entry)
        elif entry.md5.endswith(".dir"):
            kids = _children(cache, entry.md5)
            if kids is None or not all(_local_exists(cache, oid) for _, oid in kids):
                missing.append(entry)
    return missing


def _missing_remote(odb: Any, cache: Any, entries: Sequence[FileEntry]) -> list[FileEntry]:
    tops = sorted({e.md5 for e in entries if e.md5})
    present = set(odb.oids_exist(tops)) if tops else set()
    kids: dict[str, list[str]] = {}
    for entry in entries:
        assert entry.md5 is not None
        if entry.md5.endswith(".dir") and entry.md5 in present:
            listing = _children(cache, entry.md5) if _local_exists(cache, entry.md5) else None
            listing = listing if listing is not None else _children(odb, entry.md5)
            kids[entry.md5] = [oid for _, oid in listing or []]
    child_oids = sorted({oid for oids in kids.values() for oid in oids})
    child_present = set(odb.oids_exist(child_oids)) if child_oids else set()
    return [e for e in entries if e.md5 not in present
            or any(oid not in child_present for oid in kids.get(e.md5 or "", []))]


def missing_in_remote(root: Path, entries: list[FileEntry], remote: str | None = None) -> list[str]:
    """Paths of the DVC-stored entries whose objects (a directory's files included) the remote lacks."""
    wanted = _dvc_entries(entries)
    if not wanted:
        return []

    def action(repo: Any) -> list[str]:
        info, odb = _remote(repo, remote)
        with _remote_errors(info, "checking the remote"):
            return [e.path for e in _missing_remote(odb, repo.cache.local, wanted)]

    return list(_with_lock_retry(root, "status", action))


def _object_ids(sources: Sequence[Any], entries: Sequence[FileEntry]) -> list[Any]:
    """Hash infos of the entries and, for a directory, of each file in it (DVC's transfer copies only
    the files it is handed; the listing comes from the first of `sources` that has it)."""
    infos = []
    for entry in entries:
        assert entry.md5 is not None
        infos.append(_hash_info(entry.md5))
        if entry.md5.endswith(".dir"):
            listing = next((kids for odb in sources if (kids := _children(odb, entry.md5)) is not None), [])
            infos.extend(_hash_info(oid) for _, oid in listing)
    return infos


def _transfer(repo: Any, src: Any, dest: Any, entries: Sequence[FileEntry], desc: str) -> set[str]:
    """Copy the entries' objects (a `.dir` brings its files); the md5s that failed."""
    from dvc_data.hashfile.transfer import transfer

    cache = repo.cache.local
    objs = _object_ids([cache, src], entries)
    if not _progress:
        return {str(hi.value) for hi in transfer(src, dest, objs, cache_odb=cache).failed}
    # DVC's own bars count objects and vanish for a single large file; say what is moving instead.
    from rich.console import Console

    total = sum(max(e.size, 0) for e in entries)
    label = f"{desc}: {len(entries)} file(s), {total / 2**20:,.1f} MiB"
    with Console(stderr=True).status(label):
        result = transfer(src, dest, objs, cache_odb=cache)
    return {str(hi.value) for hi in result.failed}


@dataclass
class PushResult:
    remote: RemoteInfo
    pushed: list[str] = field(default_factory=list)       # paths whose objects were sent
    up_to_date: list[str] = field(default_factory=list)   # paths the remote already had
    pushed_md5: list[str] = field(default_factory=list)   # the same, by object: a path may hold several
    up_to_date_md5: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[str]:
        """Iterating gives the pushed paths (what the pre-push hook reports)."""
        return iter(self.pushed)


def push_entries(root: Path, entries: list[FileEntry], remote: str | None = None) -> PushResult:
    """Send the objects of these DVC-stored entries to the remote; those it already has are skipped."""
    wanted = _dvc_entries(entries)

    def action(repo: Any) -> PushResult:
        info, odb = _remote(repo, remote)
        result = PushResult(info)
        if not wanted:
            return result
        cache = repo.cache.local
        with _remote_errors(info, "push"):
            missing = _missing_remote(odb, cache, wanted)
            result.up_to_date = [e.path for e in wanted if e not in missing]
            result.up_to_date_md5 = [str(e.md5) for e in wanted if e not in missing]
            absent = _missing_locally(cache, missing)
            if absent:
                e = absent[0]
                raise ExternalFailure(
                    f"{e.path}: object {e.md5} is in neither the local DVC cache nor the remote",
                    where=info.url, hint="push it from a machine that has it, or re-track the file with "
                                         "`gitmodel bump NAME`")
            if missing:
                _transfer(repo, cache, odb, missing, f"Pushing to {info.url}")
                # DVC skips (rather than fails) an object it finds corrupt in the cache: ask the remote.
                still = _missing_remote(odb, cache, missing)
                if still:
                    raise ExternalFailure(f"could not upload {', '.join(e.path for e in still)}", where=info.url,
                                          hint="check the remote's permissions and space, then retry")
        result.pushed = [e.path for e in missing]
        result.pushed_md5 = [str(e.md5) for e in missing]
        return result

    return _with_lock_retry(root, "push", action)  # type: ignore[no-any-return]


@dataclass
class FetchResult:
    remote: RemoteInfo | None                   # None when everything was already in the local cache
    fetched: list[str] = field(default_factory=list)
    # path → [(relative path inside it, "" for a file; the object's file in the local cache)]
    objects: dict[str, list[tuple[str, Path]]] = field(default_factory=dict)

    def origin(self, path: str) -> str:
        """Where `path`'s objects came from: "remote" (fetched now) or "local DVC cache"."""
        return "remote" if path in self.fetched else "local DVC cache"


def fetch_entries(root: Path, entries: list[FileEntry], remote: str | None = None) -> FetchResult:
    """Bring these entries' objects into the local DVC cache (by md5: no pointer file needed) and say
    where each file's object lies. A missing object or an unreachable remote is exit 3, naming both."""
    wanted = _dvc_entries(entries)

    def action(repo: Any) -> FetchResult:
        cache = repo.cache.local
        absent = _missing_locally(cache, wanted)
        result = FetchResult(None)
        if absent:
            info, odb = _remote(repo, remote)
            result.remote = info
            with _remote_errors(info, "fetch"):
                gone = _missing_remote(odb, cache, absent)
                if gone:
                    names = ", ".join(f"{e.path} (md5 {e.md5})" for e in gone)
                    raise ExternalFailure(f"object missing from the remote for {names}", where=info.url,
                                          hint="push it from a machine that has it: `gitmodel push --all-releases`")
                _transfer(repo, odb, cache, absent, f"Fetching from {info.url}")
            still = _missing_locally(cache, absent)
            if still:
                raise ExternalFailure(f"could not download {', '.join(e.path for e in still)}", where=info.url,
                                      hint="check the network and credentials, then retry")
            result.fetched = [e.path for e in absent]
        for entry in wanted:
            assert entry.md5 is not None
            if entry.md5.endswith(".dir"):
                kids = _children(cache, entry.md5) or []
                result.objects[entry.path] = [(rel, Path(cache.oid_to_path(oid))) for rel, oid in kids]
            else:
                result.objects[entry.path] = [("", Path(cache.oid_to_path(entry.md5)))]
        return result

    return _with_lock_retry(root, "fetch", action)  # type: ignore[no-any-return]


@dataclass
class Fetched:
    """Objects fetched from the remote into a scratch directory (never the user's cache or tree)."""

    remote: RemoteInfo
    objects: dict[str, list[tuple[str, Path]]] = field(default_factory=dict)  # as FetchResult.objects
    missing: list[str] = field(default_factory=list)                          # paths the remote lacks


def fetch_into(root: Path, entries: list[FileEntry], scratch: Path, remote: str | None = None) -> Fetched:
    """Download these entries' objects from the remote into `scratch`, a DVC object store of its own: what
    CI checks (`check --verify-objects`) is the remote's bytes, not a local cache that may hold others."""
    wanted = _dvc_entries(entries)

    def action(repo: Any) -> Fetched:
        from dvc_data.hashfile.db.local import LocalHashFileDB
        from dvc_data.hashfile.transfer import transfer

        info, odb = _remote(repo, remote)
        store = LocalHashFileDB(repo.cache.local.fs, str(scratch))
        result = Fetched(info)
        with _remote_errors(info, "fetch"):
            gone = _missing_remote(odb, store, wanted)
            result.missing = [e.path for e in gone]
            present = [e for e in wanted if e not in gone]
            if present:
                transfer(odb, store, _object_ids([odb], present), cache_odb=store)
        for entry in present:
            assert entry.md5 is not None
            if entry.md5.endswith(".dir"):
                kids = _children(store, entry.md5) or []
                result.objects[entry.path] = [(rel, Path(store.oid_to_path(oid))) for rel, oid in kids]
            else:
                result.objects[entry.path] = [("", Path(store.oid_to_path(entry.md5)))]
        return result

    return _with_lock_retry(root, "fetch", action)  # type: ignore[no-any-return]
