"""Moving DVC objects by md5 between the local cache, a remote and a scratch store: push, fetch, fetch_into."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmodel.infra.errors import ExternalFailure, GitmodelError, InvalidInput
from gitmodel.infra.fileio import path_clash, safe_target
from gitmodel.infra.progress import Progress
from gitmodel.storage.dvc import RemoteInfo, _remote, _silence_dvc_logging, _with_lock_retry
from gitmodel.storage.dvc_backend import DvcBackend

if TYPE_CHECKING:
    from gitmodel.model.manifest import FileEntry


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
    wanted = [e for e in entries if e.storage == DvcBackend.name and e.md5]  # the documented API takes any entries
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


def _transfer(repo: Any, src: Any, dest: Any, entries: Sequence[FileEntry], desc: str,
              progress: Progress | None = None) -> set[str]:
    """Copy the entries' objects (a `.dir` brings its files); the md5s that failed."""
    from dvc_data.hashfile.transfer import transfer

    cache = repo.cache.local
    objs = _object_ids([cache, src], entries)
    if progress is None:
        return {str(hi.value) for hi in transfer(src, dest, objs, cache_odb=cache).failed}
    # DVC's own bars count objects and vanish for a single large file; say what is moving instead.
    total = sum(max(e.size, 0) for e in entries)
    label = f"{desc}: {len(entries)} file(s), {total / 2**20:,.1f} MiB"
    progress(label, 0, total)
    _silence_dvc_logging(logging.ERROR)
    try:
        result = transfer(src, dest, objs, cache_odb=cache)
    finally:
        _silence_dvc_logging()
        progress(label, total, total)
    return {str(hi.value) for hi in result.failed}


def _object_files(odb: Any, entries: Sequence[FileEntry]) -> dict[str, list[tuple[str, Path]]]:
    """path → [(relative path inside it, "" for a file; the object's file in `odb`)] for each entry."""
    objects: dict[str, list[tuple[str, Path]]] = {}
    for entry in entries:
        assert entry.md5 is not None
        if entry.md5.endswith(".dir"):
            kids = _children(odb, entry.md5) or []
            objects[entry.path] = [(rel, Path(odb.oid_to_path(oid))) for rel, oid in kids]
        else:
            objects[entry.path] = [("", Path(odb.oid_to_path(entry.md5)))]
    return objects


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


def push_entries(root: Path, entries: list[FileEntry], remote: str | None = None,
                 progress: Progress | None = None) -> PushResult:
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
                _transfer(repo, cache, odb, missing, f"Pushing to {info.url}", progress)
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


def fetch_entries(root: Path, entries: list[FileEntry], remote: str | None = None,
                  progress: Progress | None = None) -> FetchResult:
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
                _transfer(repo, odb, cache, absent, f"Fetching from {info.url}", progress)
            still = _missing_locally(cache, absent)
            if still:
                raise ExternalFailure(f"could not download {', '.join(e.path for e in still)}", where=info.url,
                                      hint="check the network and credentials, then retry")
            result.fetched = [e.path for e in absent]
        result.objects = _object_files(cache, wanted)
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
        result.objects = _object_files(store, present)
        return result

    return _with_lock_retry(root, "fetch", action)  # type: ignore[no-any-return]
