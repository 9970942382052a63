"""`resolve(ref, repo=URL)` and `get --repo URL`: a release served from a git remote, no clone.

The git side is gitmodel/repo/remote.py (tags by `ls-remote`, the release commit's manifest, config and
pointers by a shallow partial fetch into the per-user cache). Here the release is located and exported by the
same code as in a clone (export.py, resolve.py), into `<cache>/resolved/<fingerprint>/`, with:

- one writer per URL at a time (a file lock held from the tag listing to the rename of the export): ten
  processes resolving at once download each object once, and none sees a partial directory (it is built
  beside and renamed, resolve.py);
- the last verified resolution of each reference recorded (`<cache>/resolutions/<url hash>.json`), so that
  with `offline_ok` an unreachable git remote serves those files again, with a warning;
- a size bound (`max_cache_bytes=` or GITMODEL_CACHE_MAX_BYTES) enforced by evicting the least recently
  resolved exports, never one in use: every process that resolved a directory keeps a shared lock on it
  until it exits, and eviction takes only directories it can lock exclusively without waiting.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import ExternalFailure, GitmodelError, InvalidInput
from gitmodel.infra.fileio import atomic_write, temp_beside
from gitmodel.infra.locks import exclusive, hold_shared, try_exclusive
from gitmodel.model import manifest as mf
from gitmodel.model.names import validate_name
from gitmodel.repo import git
from gitmodel.repo.remote import (
    RemoteRepo,
    cache_home,
    hydrate,
    manifest_guess,
    materialize,
    open_remote,
    release_commit,
)
from gitmodel.repo.tags import parse_ref, read_tags
from gitmodel.storage.backends import backend_for
from gitmodel.storage.export import Located, locate_release

MAX_BYTES_ENV = "GITMODEL_CACHE_MAX_BYTES"
_HELD: dict[str, int] = {}  # export directory → descriptor of this process's shared lock on it (in use)


class RemoteWarning(UserWarning):
    """The git remote could not be reached and the last verified files are served."""


def located_remote(remote: RemoteRepo, ref: str) -> Located:
    """Locate `ref` in the remote's cache and make the release's manifest, config, `.dvc/config` and
    pointers local (the caller holds the remote's lock)."""
    root = remote.root
    name = parse_ref(ref)[0]
    tags = read_tags(root, {name})
    commit = release_commit(tags, ref)
    if commit is not None:
        materialize(remote, commit, also=[manifest_guess(tags, ref, commit)])
    located = locate_release(root, ref, tags=tags)
    if commit != located.commit:
        materialize(remote, located.commit)
    wanted: list[str] = []
    for _, entry in located.manifest.files():
        wanted += [entry.path, *backend_for(entry).pointers(entry)]
    wanted += [path for _, path, _ in located.manifest.pinned_extras()]
    hydrate(remote, located.commit, [p for p in dict.fromkeys(wanted) if git_stored_or_pointer(located, p)])
    return located


def git_stored_or_pointer(located: Located, path: str) -> bool:
    """False for a file whose bytes are not in git (DVC's, LFS's are fetched by their backend)."""
    for _, entry in located.manifest.files():
        if entry.path == path:
            return not backend_for(entry).outside_git
    return True


def _records_file(remote: RemoteRepo) -> Path:
    return cache_home() / "resolutions" / f"{remote.key}.json"


def _load_records(remote: RemoteRepo) -> dict[str, Any]:
    try:
        data = json.loads(_records_file(remote).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _record(remote: RemoteRepo, ref: str, located: Located, directory: Path) -> None:
    records = _load_records(remote)
    records[ref] = {"name": located.name, "version": located.version, "tag": located.tag,
                    "commit": located.commit, "manifest_path": located.manifest_path,
                    "fingerprint": located.fingerprint, "directory": str(directory), "url": remote.shown,
                    "state": remote.state}
    atomic_write(_records_file(remote), json.dumps(records, sort_keys=True, indent=1), durable=False)


def _hold(directory: Path) -> None:
    key = str(directory)
    if key not in _HELD:
        fd = hold_shared(directory)
        if fd is not None:
            _HELD[key] = fd


def _release_hold(directory: Path) -> None:
    fd = _HELD.pop(str(directory), None)
    if fd is not None:
        os.close(fd)


def _from_record(remote: RemoteRepo, found: dict[str, Any]) -> tuple[Located, Path] | None:
    """The release and export a record names, when the export is still as verified and the manifest is in the
    cache; None otherwise."""
    from gitmodel.storage.resolve import _still_valid

    try:
        directory = Path(found["directory"])
        if not _still_valid(directory, found["fingerprint"]):
            return None
        blob = git.show_file(remote.root, found["commit"], found["manifest_path"])
        if blob is None:
            return None
        manifest = mf.parse(blob, where=f"{found['tag']}:{found['manifest_path']}", full=False)
        located = Located(found["name"], found["version"], found["tag"], found["commit"], found["manifest_path"],
                          manifest, blob)
    except (KeyError, TypeError, GitmodelError):
        return None
    return (located, directory) if located.fingerprint == found["fingerprint"] else None


def _last_verified(remote: RemoteRepo, ref: str) -> tuple[Located, Path]:
    """The files `ref` last resolved to, still as verified; ExternalFailure when there are none."""
    found = _load_records(remote).get(ref)
    reason = f"cannot reach the git remote: {remote.offline_reason}"
    if not isinstance(found, dict):
        raise ExternalFailure(f"{reason}; and {ref} was never resolved from it on this host", where=remote.shown,
                              hint="retry when the remote is reachable")
    served = _from_record(remote, found)
    if served is None:
        raise ExternalFailure(f"{reason}; the files {ref} last resolved to are gone or changed", where=remote.shown,
                              hint="retry when the remote is reachable")
    return served


def max_cache_bytes(explicit: int | None) -> int | None:
    if explicit is not None:
        return explicit
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{MAX_BYTES_ENV}={raw!r} is not a number of bytes", where=MAX_BYTES_ENV,
                           hint=f"e.g. {MAX_BYTES_ENV}=10000000000") from None


def _size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


def _exports(base: Path) -> Iterator[Path]:
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
            yield Path(entry.path)


def evict(base: Path, limit: int) -> list[Path]:
    """Remove the least recently resolved exports under `base` (and then DVC's download cache) until the two
    fit in `limit` bytes; an export some process holds (in use) is never removed. Returns what was removed."""
    dvc_cache = cache_home() / "dvc-cache"
    sizes = {path: _size(path) for path in _exports(base)}
    total = sum(sizes.values()) + _size(dvc_cache)
    removed: list[Path] = []
    if total <= limit:
        return removed
    # the DVC cache only saves a download; the exports are what servers read: it goes first
    if dvc_cache.exists():
        total -= _size(dvc_cache)
        shutil.rmtree(dvc_cache, ignore_errors=True)
        total += _size(dvc_cache)
    for path in sorted(sizes, key=lambda p: _mtime(p)):
        if total <= limit:
            break
        fd = try_exclusive(path)
        if fd is None:
            continue  # in use (or gone)
        try:
            aside = temp_beside(base / "evicted", directory=True)
            os.rename(path, aside / "old")
        except OSError:
            os.close(fd)
            continue
        os.close(fd)
        shutil.rmtree(aside, ignore_errors=True)
        total -= sizes[path]
        removed.append(path)
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def resolve_remote(ref: str, url: str | os.PathLike[str], *, remote: str | None, cache_dir: Path | None,
                   offline_ok: bool | None, max_bytes: int | None) -> tuple[Located, Path]:
    """(the release located, its verified export directory) for `ref` served by the git remote `url`."""
    from gitmodel.storage.resolve import _export, _still_valid

    name = parse_ref(ref)[0]
    validate_name(name)
    limit = max_cache_bytes(max_bytes)
    base = cache_dir if cache_dir is not None else cache_home() / "resolved"
    repo = open_remote(url, names={name}, offline_ok=offline_ok)
    if repo.offline:
        located, directory = _last_verified(repo, ref)
        message = (f"git remote {repo.shown} unreachable ({repo.offline_reason}): serving the last verified "
                   f"{located.tag} for {ref}")
        warnings.warn(message, RemoteWarning, stacklevel=3)
        _hold(directory)
        return located, directory
    found = _load_records(repo).get(ref)
    if isinstance(found, dict) and found.get("state") == repo.state and "directory" in found:
        # warm: the registry is as it was when this reference was last verified, and so are the files (held
        # before they are checked, so an eviction cannot take them in between)
        _hold(Path(found["directory"]))
        served = _from_record(repo, found)
        if served is not None:
            with contextlib.suppress(OSError):
                os.utime(served[1])
            if limit is not None:
                evict(base, limit)
            return served
        _release_hold(Path(found["directory"]))
    with exclusive(repo.lock):
        located = located_remote(repo, ref)
        directory = base / located.fingerprint
        if not _still_valid(directory, located.fingerprint):
            _release_hold(directory)
            directory = _export(repo.root, located, base, remote)
        _hold(directory)
        os.utime(directory)  # recency, for eviction
        _record(repo, ref, located, directory)
        if limit is not None:
            evict(base, limit)
    return located, directory


def get_remote(url: str | os.PathLike[str], ref: str, out_dir: Path, *, remote: str | None,
               progress: Any = None, offline_ok: bool | None = None) -> tuple[Any, list[str]]:
    """`gitmodel get REF --repo URL --out DIR`: export.get on the remote's cache; (its result, warnings)."""
    from gitmodel.storage.export import get

    name = parse_ref(ref)[0]
    validate_name(name)
    repo = open_remote(url, names={name}, offline_ok=offline_ok)
    with exclusive(repo.lock):
        located_remote(repo, ref)
        return get(repo.root, ref, out_dir, remote=remote, progress=progress), repo.warnings


def remote_root(url: str | os.PathLike[str], *, names: set[str] | None = None, head: bool = False,
                refs: list[str] | None = None, offline_ok: bool | None = None) -> tuple[Path, list[str]]:
    """The cache root every read command runs on for `--repo URL`, with the releases `refs` name prefetched;
    (root, warnings)."""
    repo = open_remote(url, names=names, head=head, offline_ok=offline_ok)
    if refs and not repo.offline:
        with exclusive(repo.lock):
            for ref in refs:
                ref_name = parse_ref(ref)[0]
                tags = read_tags(repo.root, {ref_name})
                commit = release_commit(tags, ref)
                if commit is not None:
                    hydrate(repo, commit, [manifest_guess(tags, ref, commit), ".gitmodel.yaml"])
    return repo.root, repo.warnings
