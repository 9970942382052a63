"""Pinning: from repo paths to `FileEntry`s — which storage each file goes to, its sha256 (read once,
alongside `dvc add` when DVC tracks it), its DVC md5 and its weights format. `add` and `bump`
(gitmodel/workspace/edit.py) decide what to pin; this module says what each pinned file is now."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitmodel.infra.errors import GitmodelError, InvalidInput
from gitmodel.infra.fileio import read_capped, safe_target
from gitmodel.infra.hashing import HashCache
from gitmodel.model.manifest import FileEntry
from gitmodel.model.records import replace
from gitmodel.repo import git
from gitmodel.repo.sources import stored_dir_sha256, stored_sha256
from gitmodel.storage import lfs
from gitmodel.storage.dvc_pointers import parse_pointer, pointer_path
from gitmodel.storage.formats import detect_format, format_from_name

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


def pin_files(root: Path, specs: Sequence[FileSpec], cache: HashCache, formats: Mapping[str, str] | None = None
             ) -> dict[str, FileEntry]:
    """Hash, DVC-track and describe every file; DVC runs once for all of them."""
    dvc_paths = [s.path for s in specs if s.storage == "dvc"]
    if dvc_paths:
        from gitmodel.storage import dvc as storage

        if not storage.is_dvc_repo(root):
            raise InvalidInput("not a DVC repository, and these files go through DVC: " + ", ".join(dvc_paths),
                               where=str(root / ".dvc"), hint="run `gitmodel init` first (or pass --git PATH)")
        untracked = [p for p in dvc_paths if git.is_tracked(root, p)]
        if untracked:
            raise InvalidInput(f"{untracked[0]} is tracked by git, so DVC cannot track it", where=untracked[0],
                               hint=f"pass --git {untracked[0]}, or `git rm --cached {untracked[0]}` first")
        prehashed = track_while_hashing(root, [p for p in dvc_paths if (root / p).is_file()], storage.track,
                                         dvc_paths)
    else:
        prehashed = {}
    out: dict[str, FileEntry] = {}
    for spec in specs:
        full = root / spec.path
        md5 = nfiles = None
        if spec.storage == "dvc":
            ptr = pointer_path(spec.path)
            pointer = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr, beside=spec.path)
            md5, nfiles = pointer.md5, pointer.nfiles
        known = _prehashed_digest(full, prehashed.get(spec.path), md5, cache)
        digest, size = known if known is not None else _digest_and_size(full, spec.storage, cache)
        fmt = _format_of(full, spec.path, spec.storage, formats) if spec.component == "weights" else None
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


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _digest_and_size(full: Path, storage: str, cache: HashCache) -> tuple[str, int]:
    """sha256 and size of a file or directory; an LFS file not yet downloaded answers from its pointer;
    a git-stored file is the blob git stores for it (`gitmodel.repo.sources.stored_sha256`)."""
    if storage == "lfs":
        pointer = lfs.worktree_pointer(full)
        if pointer is not None:
            return pointer
    if full.is_dir():
        if storage == "git" and _relative(full, cache) is not None:
            return stored_dir_sha256(cache, str(_relative(full, cache))), _dir_size(full)
        return cache.dir_sha256(full), _dir_size(full)
    if storage == "git":
        stored = _stored(full, cache, sizes=True)
        if stored is not None and stored[1] is not None:
            return stored[0], stored[1]
    return cache.sha256(full), full.stat().st_size


def _relative(full: Path, cache: HashCache) -> str | None:
    try:
        return Path(os.path.abspath(full)).relative_to(os.path.abspath(cache.root)).as_posix()
    except ValueError:
        return None  # outside the work tree: git stores nothing for it


def _stored(full: Path, cache: HashCache, *, sizes: bool = False) -> tuple[str, int | None] | None:
    rel = _relative(full, cache)
    return stored_sha256(cache, [rel], sizes=sizes).get(rel) if rel is not None else None


def git_file_sha256(full: Path, cache: HashCache) -> str:
    """sha256 of a git-stored file (params file, environment lock) as git stores it."""
    stored = _stored(full, cache)
    return stored[0] if stored is not None else cache.sha256(full)


def _format_of(full: Path, path: str, storage: str, formats: Mapping[str, str] | None) -> str:
    """The weights format: given (e.g. by an MLflow flavor) when bytes say nothing, else from the bytes."""
    given = (formats or {}).get(path)
    if storage == "lfs" and lfs.worktree_pointer(full) is not None:
        return given or format_from_name(path)  # the bytes are not here; never download to sniff
    found = detect_format(full)
    return given if given and found == "unknown" else found


def refresh_entry(root: Path, component: str, entry: FileEntry, cache: HashCache, retrack: list[str],
                   formats: Mapping[str, str] | None = None) -> FileEntry | None:
    """The entry with current hashes, or None when its DVC file must be re-added first."""
    full = safe_target(root, entry.path, where=entry.path)  # never follow a link out of the repo
    if entry.storage == "dvc":
        ptr = pointer_path(entry.path)
        if not full.exists():
            if not (root / ptr).exists():
                raise InvalidInput(f"{entry.path} and its pointer {ptr} are both missing",
                                   where=entry.path, hint="restore the file or remove it from the manifest")
            pointer = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr, beside=entry.path)
            if pointer.md5 == entry.md5:
                return entry  # not pulled here, but unchanged
            raise InvalidInput(f"{entry.path} is not in the workspace and its pointer changed",
                               where=entry.path, hint="run `gitmodel pull` (or `dvc checkout`) first")
        digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
        pointer_md5 = None
        if (root / ptr).exists():
            pointer_md5 = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr, beside=entry.path).md5
        if digest != entry.sha256 or pointer_md5 is None or pointer_md5 != entry.md5:
            retrack.append(entry.path)
            return None
        return entry
    if not full.exists():
        raise InvalidInput(f"{component} file {entry.path} is missing", where=entry.path,
                           hint="restore it, or edit the manifest to drop it")
    digest, size = _digest_and_size(full, entry.storage, cache)
    given = (formats or {}).get(entry.path)
    if digest == entry.sha256:
        return replace(entry, format=given) if given and component == "weights" else entry
    fmt = _format_of(full, entry.path, entry.storage, formats) if component == "weights" else entry.format
    return replace(entry, sha256=digest, size=size, format=fmt)


def describe_dvc(root: Path, items: list[tuple[str, FileEntry]], cache: HashCache,
                  formats: Mapping[str, str] | None = None,
                  prehashed: Mapping[str, tuple[str, str]] | None = None) -> dict[str, FileEntry | None]:
    out: dict[str, FileEntry | None] = {}
    for component, entry in items:
        full = root / entry.path
        ptr = pointer_path(entry.path)
        pointer = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr, beside=entry.path)
        known = _prehashed_digest(full, (prehashed or {}).get(entry.path), pointer.md5, cache)
        if known is not None:
            digest, size = known
        else:
            digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
            size = full.stat().st_size if full.is_file() else (pointer.size or entry.size)
        fmt = _format_of(full, entry.path, entry.storage, formats) if component == "weights" else entry.format
        out[entry.path] = replace(entry, sha256=digest, size=size, md5=pointer.md5, nfiles=pointer.nfiles,
                                  format=fmt)
    return out
