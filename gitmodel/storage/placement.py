"""Verify, then place: the one way gitmodel writes a DVC-stored file into a work tree or an export.

Every writer (`get`, `resolve()`, `checkout`, `pull`) builds each file (or directory) beside its target
under a temporary name, hashing the bytes as it copies them out of the DVC cache, and renames it into
place only when its sha256 is the manifest's. Every path that came from data (a manifest, a `.dir`
listing) goes through `fileio.safe_target` before the first byte is written. A temp left by a killed
writer carries its pid and is swept by the next writer in that directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.infra.fileio import path_clash, safe_target, temp_beside, write_failure
from gitmodel.infra.hashing import CHUNK, md5_file, sha256_dir
from gitmodel.infra.progress import PROGRESS_THRESHOLD, Progress
from gitmodel.model.manifest import FileEntry
from gitmodel.storage.backends import BACKENDS, backend_for

LOCAL_CACHE = "local DVC cache"
REMOTE = "remote"


def copy_hashing(src: Path, dest: Path, progress: Progress | None = None) -> str:
    """Copy `src` to a new file `dest`, hashing the bytes written (one read, bounded memory).

    Hashing and writing overlap: hashlib and the write both release the GIL, so a worker hashes one
    buffer while this thread writes it, and two buffers alternate. No fsync: the file only becomes
    visible by a rename after it verified, an export can always be made again, and fsync doubled the
    time of a 1 GiB export (RESULTS.md, `get` vs `dvc pull`, which does not fsync either).
    """
    from concurrent.futures import ThreadPoolExecutor

    digest = hashlib.sha256()
    with open(src, "rb", buffering=0) as fin, open(dest, "xb", buffering=0) as fout, \
            ThreadPoolExecutor(max_workers=1) as pool:
        size = os.fstat(fin.fileno()).st_size
        buffers = [bytearray(min(CHUNK, size + 1)) for _ in range(2)]
        report = progress if progress is not None and size > PROGRESS_THRESHOLD else None
        label, done = f"copying {dest.name}", 0
        if report is not None:
            report(label, done, size)
        pending = None
        turn = 0
        while count := fin.readinto(buffers[turn]):
            view = memoryview(buffers[turn])[:count]
            if pending is not None:
                pending.result()  # the previous buffer is hashed before this one starts
            pending = pool.submit(digest.update, view)
            written = 0
            while written < count:
                written += fout.write(view[written:]) or 0
            if report is not None:
                done += count
                report(label, min(done, size), size)
            turn ^= 1
        if pending is not None:
            pending.result()
        if report is not None and done < size:  # the object shrank while it was read: end the report
            report(label, size, size)
    return digest.hexdigest()


def build_entry(dest: Path, entry: FileEntry, parts: Sequence[tuple[str, Path]],
                progress: Progress | None = None) -> str:
    """Write `entry`'s bytes (from its cache objects) as the new path `dest`; returns their sha256.

    A directory's files are placed by their listing's relative paths, each checked again here (no
    absolute path, no `..`, no symlink) although the listing was validated when it was read.
    """
    if entry.md5 and entry.md5.endswith(".dir"):
        dest.mkdir(exist_ok=True)  # placement made it (empty) to reserve the name
        digests: dict[str, str] = {}
        for rel, obj in parts:
            target = safe_target(dest, rel, where=f"{entry.path}: {rel}", links="none")
            target.parent.mkdir(parents=True, exist_ok=True)
            digests[os.path.normpath(target)] = copy_hashing(obj, target, progress)
        return sha256_dir(dest, file_hash=lambda p: digests.get(os.path.normpath(p)) or "")
    if not parts:
        raise Refused(f"{entry.path}: no object for md5 {entry.md5}", where=entry.path,
                      hint="run `gitmodel pull` to fetch it")
    if _private(parts[0][1], dest):
        return link_hashing(parts[0][1], dest, progress)
    return copy_hashing(parts[0][1], dest, progress)


def _private(obj: Path, dest: Path) -> bool:
    """Both the object and the new file are in gitmodel's own per-user cache (`resolve(repo=URL)`'s
    download cache and its exports): nobody edits there, and every use checks the files' stat first."""
    from gitmodel.repo.remote import cache_home

    home = os.path.realpath(cache_home()) + os.sep
    return os.path.realpath(obj).startswith(home) and os.path.realpath(dest.parent).startswith(home)


def link_hashing(src: Path, dest: Path, progress: Progress | None = None) -> str:
    """Hard-link the read-only cache object `src` as `dest` (no second copy of the bytes) and hash it;
    a copy when the file system cannot link."""
    from gitmodel.infra.hashing import sha256_file

    try:
        os.link(src, dest)
    except OSError:
        return copy_hashing(src, dest, progress)
    return sha256_file(dest, progress=progress)


def corrupt_objects(parts: Sequence[tuple[str, Path]]) -> list[Path]:
    """Cache objects whose md5 is not their name (DVC names objects by md5): damaged copies."""
    bad = []
    for _rel, obj in parts:
        try:
            if md5_file(obj) != obj.parent.name + obj.name:
                bad.append(obj)
        except Exception:  # noqa: BLE001 - unreadable counts as damaged
            bad.append(obj)
    return bad


@dataclass
class Mismatch:
    path: str
    md5: str | None
    expected: str
    actual: str
    origin: str                                        # REMOTE or LOCAL_CACHE: where the objects came from
    damaged: list[Path] = field(default_factory=list)  # cache objects whose bytes are not their md5

    def line(self) -> str:
        return f"{self.path}: expected sha256 {self.expected}, got {self.actual}"


def check_entry(entry: FileEntry, actual: str, parts: Sequence[tuple[str, Path]], origin: str) -> Mismatch | None:
    """None when `actual` is the manifest's sha256; else what went wrong and where the bytes came from."""
    if actual == entry.sha256:
        return None
    return Mismatch(entry.path, entry.md5, entry.sha256, actual, origin, corrupt_objects(parts))


def integrity_error(mismatches: list[Mismatch], *, where: str, retry: str, name: str = "NAME") -> Refused:
    """The refusal for bytes that do not hash to the manifest; removes damaged cache objects first.

    The hint follows the bytes: a damaged object that was already in the local cache is removed and a
    retry fetches a good copy from the remote; one just fetched from the remote means the remote's copy
    is bad (the local one is removed, the remote's must be replaced); an intact object whose bytes are
    simply not the ones the manifest names means the manifest's md5 and sha256 disagree.
    """
    removed = 0
    for m in mismatches:
        for obj in m.damaged:
            with contextlib.suppress(OSError):
                obj.unlink()
                removed += 1
    note = f"; removed {removed} damaged object(s) from the local DVC cache" if removed else ""
    text = "integrity check failed, nothing was placed: " + "; ".join(m.line() for m in mismatches) + note
    local = [m for m in mismatches if m.damaged and m.origin == LOCAL_CACHE]
    remote = [m for m in mismatches if m.damaged and m.origin == REMOTE]
    if remote:
        hint = (f"the remote holds damaged bytes for {', '.join(f'md5 {m.md5}' for m in remote)}: on a machine "
                f"where `gitmodel verify {name}` passes, delete that object from the remote and run `gitmodel push`, "
                f"then rerun `{retry}`")
    elif local:
        hint = f"the local DVC cache held the damaged copy (now removed): rerun `{retry}` to fetch it again"
    else:
        hint = ("the manifest's md5 and sha256 name different bytes: this manifest is broken; do not use it, "
                f"and re-pin the true files with `gitmodel bump {name}` in a new version")
    return Refused(text, where=where, hint=hint)


# ---------------------------------------------------------------------------------------- placing

# Top-level names in a work tree that belong to the tools (their config, caches and hooks), and the
# pointer suffix: a pinned file placed there would rewrite where DVC writes, or another file's pointer.
_TOOL_NAMES = (".dvc", ".dvcignore", ".gitmodel", ".gitmodel.yaml")
_POINTERS = tuple(b.pointer_suffix for b in BACKENDS.values() if b.pointer_suffix)
_HINT = "each path is pinned once, as a file of the model: fix the manifest (or do not use this version)"


def check_pinned_paths(items: Sequence[tuple[str, FileEntry]], *, work_tree: bool) -> None:
    """Refuse (exit 2), before anything is written, pinned paths that cannot all be placed as pinned: one
    path pinned to two different contents (by two manifests or two components: the last one placed would
    win), a path that is a directory of another (`a` and `a/b`), two paths that differ only by case (one
    file on a case-insensitive file system), and in a work tree a path inside DVC's
    or gitmodel's own files (`.dvc/config`, `.gitmodel.yaml`) or naming a pointer (`*.dvc`) that gitmodel
    would place from DVC (git-stored files are git's to write).
    `items` are (manifest path, entry); two manifests pinning the same bytes at one path (a shared data
    directory) is fine."""
    content: dict[str, tuple[str, str, str | None]] = {}
    for where, entry in items:
        first = entry.path.split("/")[0].lower()
        if work_tree and backend_for(entry).moved_by_gitmodel and (first in _TOOL_NAMES
                                                                  or entry.path.lower().endswith(_POINTERS)):
            raise InvalidInput(f"path {entry.path!r} is one of DVC's or gitmodel's own files", where=where,
                               hint=_HINT)
        seen = content.setdefault(entry.path, (where, entry.sha256, entry.md5))
        if seen[1:] != (entry.sha256, entry.md5):
            raise InvalidInput(f"{entry.path} is pinned to other bytes by {seen[0]}", where=where, hint=_HINT)
    if problem := path_clash(list(content)):
        raise InvalidInput(problem, where=", ".join(sorted({w for w, _ in items})), hint=_HINT)
    folded: dict[str, str] = {}
    for path in content:
        other = folded.setdefault(path.casefold(), path)
        if other != path:  # on macOS and Windows file systems one would overwrite the other
            raise InvalidInput(f"paths {other!r} and {path!r} differ only by case", where=content[path][0],
                               hint=_HINT)


def _discard(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def swap_into_place(tmp: Path, target: Path) -> None:
    """Rename the verified `tmp` over `target`; a directory (or a file where a directory was) is moved
    aside first and removed after, so the target is never half old and half new."""
    if target.is_dir() and not target.is_symlink():
        aside = temp_beside(target, directory=True)
        os.rename(target, aside / "old")
        os.rename(tmp, target)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(tmp, target)


@dataclass
class Placement:
    """The DVC-stored entries to place below `base`, each with its cache objects and their origin."""

    base: Path
    entries: list[tuple[FileEntry, list[tuple[str, Path]], str]]
    links: str = "inside"          # "inside": the work tree; "none": an export directory


def place_verified(plan: Placement, *, where: str, retry: str, name: str = "NAME",
                   progress: Progress | None = None) -> list[str]:
    """Check every target path, build every entry beside its target and verify it; only when all match,
    rename them into place. Nothing is placed on a mismatch (Refused, see `integrity_error`)."""
    check_pinned_paths([(where, e) for e, _, _ in plan.entries], work_tree=plan.links == "inside")
    targets = [safe_target(plan.base, e.path, where=e.path, links=plan.links) for e, _, _ in plan.entries]
    built: list[tuple[Path, Path]] = []
    mismatches: list[Mismatch] = []
    try:
        for (entry, parts, origin), target in zip(plan.entries, targets, strict=True):
            tmp = temp_beside(target, directory=bool(entry.md5 and entry.md5.endswith(".dir")))
            built.append((tmp, target))
            actual = build_entry(tmp, entry, parts, progress)
            bad = check_entry(entry, actual, parts, origin)
            if bad is not None:
                mismatches.append(bad)
        if mismatches:
            raise integrity_error(mismatches, where=where, retry=retry, name=name)
        for tmp, target in built:
            swap_into_place(tmp, target)
    except OSError as exc:
        raise write_failure(exc, plan.base) from None
    finally:
        for tmp, _ in built:
            if os.path.lexists(tmp):
                _discard(tmp)
    return [e.path for e, _, _ in plan.entries]
