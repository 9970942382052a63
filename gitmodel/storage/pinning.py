"""Pinning: from repo paths to `FileEntry`s — which storage each file goes to, its sha256 (read once,
alongside `dvc add` when DVC tracks it), its DVC md5 and its weights format. `add` and `bump`
(gitmodel/workspace/edit.py) decide what to pin; this module says what each pinned file is now."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitmodel.infra.errors import GitmodelError, InvalidInput
from gitmodel.infra.fileio import safe_target
from gitmodel.infra.hashing import HashCache
from gitmodel.model.manifest import FileEntry
from gitmodel.model.records import replace
from gitmodel.repo import git
from gitmodel.storage import lfs
from gitmodel.storage.backend import Backend
from gitmodel.storage.backends import backend_for, backend_named
from gitmodel.storage.formats import detect_format, format_from_name
from gitmodel.storage.git_backend import stored_file

DVC_THRESHOLD = 1024 * 1024  # bytes: larger files go through DVC by default


@dataclass
class FileSpec:
    path: str
    component: str
    storage: str
    role: str | None = None


def looks_binary(path: Path) -> bool:
    """NUL bytes or not UTF-8 in the first 8 KiB (as git's and DVC's heuristics, plus the UTF-8 test)."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the 8 KiB boundary is still text
        return not (len(head) == 8192 and exc.start >= len(head) - 3)
    return False


def choose_storage(root: Path, path: str, forced: str | None, *, as_if_untracked: bool = False) -> str:
    """Forced by --git/--dvc/--lfs; else LFS when .gitattributes says so, DVC for large/binary/dirs.

    A file git already tracks stays in git, unless `as_if_untracked` (adoption: where it would go if new).
    """
    if forced:
        return forced
    full = root / path
    if not as_if_untracked and git.is_tracked(root, path) and not full.is_dir():
        return "lfs" if lfs.routed(root, path) else "git"
    if lfs.routed(root, path):
        return "lfs"
    if full.is_dir():
        return "dvc"
    if full.stat().st_size > DVC_THRESHOLD or looks_binary(full):
        return "dvc"
    return "git"


def storage_for(root: Path, component: str, path: str, forced: str | None) -> tuple[str, bool]:
    """The storage `add` gives a model file (`forced` by --git/--dvc/--lfs, else by its kind and bytes), and
    whether git tracks it today but it moves to DVC (adoption: `git rm --cached` first)."""
    adopted = False
    if forced is None and component == "prompts" and not (root / path).is_dir():
        forced = "git" if not looks_binary(root / path) else "dvc"
    elif forced is None and component == "weights" and not lfs.routed(root, path):
        # weights are the artifact DVC exists for: even a small file goes through it by default, and
        # one already committed to git (adoption) moves to DVC unless --git keeps it there
        adopted = git.is_tracked(root, path)
        forced = "dvc"
    elif forced is None and component == "data" and git.is_tracked(root, path) \
            and choose_storage(root, path, None, as_if_untracked=True) == "dvc":
        # data committed to git that the storage rule sends to DVC (large, binary, a directory)
        adopted = True
        forced = "dvc"
    return choose_storage(root, path, forced), adopted


def pin_files(root: Path, specs: Sequence[FileSpec], cache: HashCache, formats: Mapping[str, str] | None = None
             ) -> dict[str, FileEntry]:
    """Hand each file to its backend (DVC runs once for all of them), then hash and describe it."""
    groups: dict[str, list[str]] = {}
    for spec in specs:
        groups.setdefault(spec.storage, []).append(spec.path)
    prehashed: dict[str, tuple[str, str]] = {}
    for storage, paths in groups.items():
        prehashed.update(backend_named(storage).track(root, paths))
    out: dict[str, FileEntry] = {}
    for spec in specs:
        backend = backend_named(spec.storage)
        full = root / spec.path
        md5, _size, nfiles = backend.tracked(root, spec.path)
        known = _prehashed_digest(full, prehashed.get(spec.path), md5, cache)
        digest, size = known if known is not None else backend.hash_file(full, cache)
        fmt = _format_of(full, spec.path, backend, formats) if spec.component == "weights" else None
        out[spec.path] = FileEntry(path=spec.path, sha256=digest, size=size, storage=spec.storage, md5=md5,
                                   format=fmt, role=spec.role, nfiles=nfiles)
    return out


def track_while_hashing(root: Path, files: list[str], track: Callable[[Path, list[str]], None],
                         dvc_paths: list[str]) -> dict[str, tuple[str, str]]:
    """Run `dvc add` while a worker reads each file once for (sha256, md5).

    Both sides release the GIL while hashing, so on two cores the sha256 costs no extra wall time; DVC
    replaces the file with a copy from its cache (a new inode), which would otherwise mean a second read.
    """
    from concurrent.futures import ThreadPoolExecutor

    from gitmodel.infra.hashing import sha256_and_md5

    with ThreadPoolExecutor(max_workers=1) as pool:
        futures = {p: pool.submit(sha256_and_md5, root / p) for p in files}
        track(root, dvc_paths)
        out: dict[str, tuple[str, str]] = {}
        for path, future in futures.items():
            try:
                out[path] = future.result()
            except GitmodelError:
                continue  # read it again afterwards, through the cache, with the usual error
        return out


def _prehashed_digest(full: Path, early: tuple[str, str] | None, pointer_md5: str | None, cache: HashCache
                      ) -> tuple[str, int] | None:
    """(sha256, size) read while DVC added the file, when DVC's md5 says it hashed the same bytes: the
    copy DVC put back from its cache (a new inode) then needs no second read."""
    if early is None or early[1] != pointer_md5:
        return None
    cache.remember(full, early[0])
    return early[0], full.stat().st_size


def git_file_sha256(full: Path, cache: HashCache) -> str:
    """sha256 of a git-stored file (params file, environment lock) as git stores it."""
    stored = stored_file(full, cache)
    return stored[0] if stored is not None else cache.sha256(full)


def _format_of(full: Path, path: str, backend: Backend, formats: Mapping[str, str] | None) -> str:
    """The weights format: given (e.g. by an MLflow flavor) when bytes say nothing, else from the bytes."""
    given = (formats or {}).get(path)
    if backend.absent(full):
        return given or format_from_name(path)  # the bytes are not here; never download to sniff
    found = detect_format(full)
    return given if given and found == "unknown" else found


def refresh_entry(root: Path, component: str, entry: FileEntry, cache: HashCache, retrack: list[str],
                   formats: Mapping[str, str] | None = None) -> FileEntry | None:
    """The entry with current hashes, or None when its DVC file must be re-added first."""
    full = safe_target(root, entry.path, where=entry.path)  # never follow a link out of the repo
    backend = backend_for(entry)
    verdict = backend.refresh(root, entry, full, cache)
    if verdict == "unchanged":
        return entry
    if verdict == "retrack":
        retrack.append(entry.path)
        return None
    if not full.exists():
        raise InvalidInput(f"{component} file {entry.path} is missing", where=entry.path,
                           hint="restore it, or edit the manifest to drop it")
    digest, size = backend.hash_file(full, cache)
    given = (formats or {}).get(entry.path)
    if digest == entry.sha256:
        return replace(entry, format=given) if given and component == "weights" else entry
    fmt = _format_of(full, entry.path, backend, formats) if component == "weights" else entry.format
    return replace(entry, sha256=digest, size=size, format=fmt)


def describe_tracked(root: Path, items: list[tuple[str, FileEntry]], cache: HashCache,
                     formats: Mapping[str, str] | None = None,
                     prehashed: Mapping[str, tuple[str, str]] | None = None) -> dict[str, FileEntry | None]:
    """The entries `refresh_entry` sent back to their store (`bump`), described anew from what it recorded."""
    out: dict[str, FileEntry | None] = {}
    for component, entry in items:
        backend = backend_for(entry)
        full = root / entry.path
        md5, recorded_size, nfiles = backend.tracked(root, entry.path)
        known = _prehashed_digest(full, (prehashed or {}).get(entry.path), md5, cache)
        if known is not None:
            digest, size = known
        else:
            digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
            size = full.stat().st_size if full.is_file() else (recorded_size or entry.size)
        fmt = _format_of(full, entry.path, backend, formats) if component == "weights" else entry.format
        out[entry.path] = replace(entry, sha256=digest, size=size, md5=md5, nfiles=nfiles, format=fmt)
    return out
