"""Content hashes of files and directories, and a stat-keyed cache so unchanged files are not re-read."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from gitmodel.infra import cache
from gitmodel.infra.errors import ExternalFailure, InvalidInput
from gitmodel.infra.progress import PROGRESS_THRESHOLD, Progress

CHUNK = 4 * 1024 * 1024
READ_CHUNK = 1024 * 1024
# git's racy-clean problem: a write in the same timestamp tick as our stat can leave size and mtime
# unchanged. Two seconds covers coarse filesystems (FAT's mtime has 2 s resolution).
RACY_NS = 2_000_000_000
# 2: a blob's entry is the sha256 of its own bytes; format 1 could hold the oid an LFS-pointer-shaped
# git blob named, which must not survive into a check that no longer trusts such text.
# 3: the blob entries moved to `blobcache` (text, searched: BLOB_FORMAT); this file keeps the stat entries.
CACHE_FORMAT = 3
BLOB_FILE = "blobcache"
BLOB_FORMAT = 1  # records "\n<blob id> <sha256>", appended: a lookup is one search of the bytes

_HEX = frozenset("0123456789abcdef")


def _read_error(path: Path, exc: OSError) -> InvalidInput | ExternalFailure:
    # A missing or wrong-kind path is the user's input; anything else (EIO, EACCES) is the system's.
    if isinstance(exc, FileNotFoundError):
        return InvalidInput("file not found", where=str(path), hint="check the path, or restore the file")
    if isinstance(exc, IsADirectoryError):
        return InvalidInput("is a directory, not a file", where=str(path))
    return ExternalFailure(f"cannot read: {exc.strerror or exc}", where=str(path))


def _hash_file(path: Path, digest: hashlib._Hash, progress: Progress | None) -> str:
    try:
        with open(path, "rb", buffering=0) as stream:
            size = os.fstat(stream.fileno()).st_size
            if progress is None or size <= PROGRESS_THRESHOLD:
                # Fresh 1 MiB reads beat readinto() of one reused 4 MiB buffer here (0.71 s vs 0.85 s a
                # GiB on these machines): the bytes stay in L2 between read and hash. Memory stays flat.
                while chunk := stream.read(READ_CHUNK):
                    digest.update(chunk)
                return digest.hexdigest()
            buffer = bytearray(min(CHUNK, size + 1))
            view = memoryview(buffer)
            label, done = f"hashing {path.name}", 0
            progress(label, done, size)
            while count := stream.readinto(buffer):
                digest.update(view[:count])
                done += count
                progress(label, min(done, size), size)
            if done < size:  # the file shrank while it was read: end the report all the same
                progress(label, size, size)
            return digest.hexdigest()
    except OSError as exc:
        raise _read_error(path, exc) from exc


def sha256_file(path: Path, *, progress: Progress | None = None) -> str:
    """Lowercase hex sha256 of a file, streamed; reports to `progress` for files over PROGRESS_THRESHOLD."""
    return _hash_file(path, hashlib.sha256(), progress)


def md5_file(path: Path) -> str:
    """Lowercase hex md5 of a file, streamed: DVC's content address, not a security check."""
    return _hash_file(path, hashlib.md5(usedforsecurity=False), None)


def sha256_and_md5(path: Path) -> tuple[str, str]:
    """Both digests in one read: gitmodel's sha256 and DVC's md5, to match a file against its pointer."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    try:
        with open(path, "rb", buffering=0) as stream:
            buffer = bytearray(min(CHUNK, os.fstat(stream.fileno()).st_size + 1))
            view = memoryview(buffer)
            while count := stream.readinto(buffer):
                sha.update(view[:count])
                md5.update(view[:count])
    except OSError as exc:
        raise _read_error(path, exc) from exc
    return sha.hexdigest(), md5.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Lowercase hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def _files_below(root: Path) -> Iterator[tuple[bytes, Path]]:
    """(relative path as bytes, path) of every file below `root`, following symlinks that stay inside."""
    real_root = root.resolve()
    # Each pending directory carries its own ancestors' (st_dev, st_ino): a symlink back up is a loop.
    pending: list[tuple[Path, bytes, frozenset[tuple[int, int]]]] = []
    top = os.stat(root)
    pending.append((root, b"", frozenset({(top.st_dev, top.st_ino)})))
    while pending:
        directory, prefix, ancestors = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            raise ExternalFailure(f"cannot list directory: {exc.strerror or exc}", where=str(directory)) from exc
        for entry in entries:
            relative = prefix + os.fsencode(entry.name)
            shown = os.fsdecode(relative)
            if b"\n" in relative or b"\r" in relative:
                # sha256sum escapes these differently across coreutils versions, and a raw one would
                # let a name forge a line of the listing.
                raise InvalidInput("file name contains a line break", where=str(Path(entry.path)),
                                   hint="rename the file")
            path = Path(entry.path)
            if entry.is_symlink():
                try:
                    target = path.resolve()
                except (OSError, RuntimeError) as exc:  # RuntimeError: 3.11's resolve() on a loop
                    raise InvalidInput(f"symlink loop at {shown}", where=str(path), hint="remove the link") from exc
                if not target.is_relative_to(real_root):
                    raise InvalidInput(f"symlink {shown} points outside {root} (to {target})",
                                       where=str(path), hint="replace the link by the file it points to")
            try:
                info = os.stat(path)
            except FileNotFoundError as exc:
                raise InvalidInput(f"broken symlink {shown}", where=str(path),
                                   hint="remove the link or restore its target") from exc
            except OSError as exc:
                raise ExternalFailure(f"cannot stat: {exc.strerror or exc}", where=str(path)) from exc
            if stat.S_ISREG(info.st_mode):
                yield relative, path
            elif stat.S_ISDIR(info.st_mode):
                identity = (info.st_dev, info.st_ino)
                if identity in ancestors:
                    raise InvalidInput(f"symlink loop at {shown}", where=str(path), hint="remove the link")
                pending.append((path, relative + b"/", ancestors | {identity}))
            else:
                raise InvalidInput(f"{shown} is not a regular file (fifo, socket or device)", where=str(path),
                                   hint="move it out of the directory")


def sha256_dir(path: Path, file_hash: Callable[[Path], str] | None = None) -> str:
    """sha256 of the `sha256sum` listing of every file below `path`, sorted by path bytes.

    Equal to `(cd DIR && find -L . -type f | sed 's|^\\./||' | LC_ALL=C sort | xargs -d '\\n' sha256sum)
    | sha256sum`. Symlinks are followed (as `find -L` and sha256sum do) when they resolve inside `path`
    and refused otherwise; broken links, loops, fifos, sockets, devices and names with line breaks are
    refused rather than skipped. Empty directories have no line, so they do not change the digest.
    """
    hash_one = file_hash or sha256_file
    try:
        if not path.is_dir():
            raise InvalidInput("not a directory" if path.exists() else "directory not found", where=str(path))
        files = sorted(_files_below(path))
    except OSError as exc:
        raise ExternalFailure(f"cannot read directory: {exc.strerror or exc}", where=str(path)) from exc
    listing = hashlib.sha256()
    for relative, file in files:
        digest = hash_one(file)
        if b"\\" in relative:
            # sha256sum's escaping: a leading backslash marks the line, and backslashes in the name double.
            listing.update(b"\\" + digest.encode() + b"  " + relative.replace(b"\\", b"\\\\") + b"\n")
        else:
            listing.update(digest.encode() + b"  " + relative + b"\n")
    return listing.hexdigest()


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)


def _is_oid(value: object) -> bool:
    # git object ids: sha1 (40 hex) or, in sha256 repositories, 64 hex.
    return isinstance(value, str) and len(value) in (40, 64) and _HEX.issuperset(value)


def _is_stat_entry(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 4
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value[:3])
        and _is_sha256(value[3])
    )


class HashCache:
    """sha256 by (size, mtime_ns, inode), kept in `<git_dir>/gitmodel/hashcache.json`, and by git blob id, kept in
    `<git_dir>/gitmodel/blobcache`.

    The blob cache is text, records `\\n<blob id> <sha256>` appended to it (`gitmodel.infra.cache.append_text`),
    because a run asks it for a few blobs among tens of thousands: a search of the bytes (~0.4 ms at 20,000
    blobs) where decoding the whole as JSON cost ~8 ms. The commit hook does not even search it for a blob of
    at most 64 KiB (a prompt): it hashes that blob, read through its batch session (gitmodel/repo/sources.py). A record cut short by a killed
    writer fails the lookup's check (a full sha256, then a newline or the end) and is a miss, never a hash.
    """

    def __init__(self, git_dir: Path, root: Path, *, hasher: Callable[[Path], str] | None = None,
                 progress: Progress | None = None) -> None:
        self.path = Path(cache.cache_file(git_dir, "hashcache.json"))
        self.blob_path = cache.cache_file(git_dir, BLOB_FILE)
        self.root = Path(root)
        self._hasher = hasher or (lambda file: sha256_file(file, progress=progress))
        self._files: dict[str, list[int | str]] = {}
        self._blob_text: bytes | None = None
        self._new_blobs: dict[str, str] = {}
        self._loaded = False
        self._dirty = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        files = cache.load(self.path, CACHE_FORMAT).get("files")  # {} when missing, corrupt or another version's
        # each entry is checked when read (`_file_entry`), not all on load: a bad one is never served
        if isinstance(files, dict):
            self._files = files

    def _file_entry(self, key: str) -> list[int | str] | None:
        cached = self._files.get(key)
        return cached if _is_stat_entry(cached) else None

    def _key(self, path: Path) -> str | None:
        # Keys are relative to the work tree so the cache survives moving the checkout; a path outside
        # the work tree is hashed but not cached.
        absolute, root = Path(os.path.abspath(path)), Path(os.path.abspath(self.root))
        if not absolute.is_relative_to(root):
            absolute, root = absolute.resolve(), root.resolve()
            if not absolute.is_relative_to(root):
                return None
        return absolute.relative_to(root).as_posix()

    def sha256(self, path: Path) -> str:
        """sha256 of a file, from the cache when its size, mtime and inode are unchanged."""
        self._load()
        try:
            # stat before reading: if the file changes while we hash, its new mtime misses next time.
            info = os.stat(path)
        except OSError as exc:
            raise _read_error(Path(path), exc) from exc
        key = self._key(Path(path))
        signature = [info.st_size, info.st_mtime_ns, info.st_ino]
        if key is not None:
            cached = self._file_entry(key)
            if cached is not None and cached[:3] == signature:
                return str(cached[3])
        digest = self._hasher(Path(path))
        if key is None:
            return digest
        if info.st_mtime_ns > time.time_ns() - RACY_NS:
            # Too recent to trust: a same-size write within the timestamp tick would look unchanged.
            if self._files.pop(key, None) is not None:
                self._dirty = True
            return digest
        self._files[key] = [*signature, digest]
        self._dirty = True
        return digest

    def remember(self, path: Path, digest: str) -> None:
        """Record a digest computed elsewhere for the file as it is now (same racy-write rule)."""
        self._load()
        key = self._key(Path(path))
        info = os.stat(path)
        if key is None or info.st_mtime_ns > time.time_ns() - RACY_NS:
            return
        self._files[key] = [info.st_size, info.st_mtime_ns, info.st_ino, digest]
        self._dirty = True

    def dir_sha256(self, path: Path) -> str:
        """sha256_dir of `path`, hashing each file through the cache."""
        return sha256_dir(path, file_hash=self.sha256)

    def blob_sha256(self, oid: str) -> str | None:
        """The sha256 recorded for a git blob id, or None."""
        found = self._new_blobs.get(oid)
        if found is not None:
            return found
        if self._blob_text is None:
            self._blob_text = cache.load_text(self.blob_path, BLOB_FORMAT) or b""
        if not _is_oid(oid):
            return None
        text = self._blob_text
        needle = b"\n" + oid.encode() + b" "
        at = text.rfind(needle)  # the last record of a blob is its latest word
        while at >= 0:
            start = at + len(needle)
            value = text[start : start + 64].decode("ascii", "replace")
            if _is_sha256(value) and text[start + 64 : start + 65] in (b"", b"\n"):
                return value
            at = text.rfind(needle, 0, at)
        return None

    def put_blob(self, oid: str, sha256: str) -> None:
        """Record the sha256 of a git blob; blobs are content-addressed, so this never goes stale."""
        if not _is_oid(oid) or not _is_sha256(sha256):
            raise InvalidInput(f"bad blob cache entry: {oid!r} -> {sha256!r}",
                               hint="pass a lowercase hex git object id and sha256")
        if self.blob_sha256(oid) != sha256:
            self._new_blobs[oid] = sha256

    def save(self) -> bool:
        """Write what changed (the stat entries atomically, new blob records appended); False if anything
        could not be written or nothing changed."""
        wrote = False
        if self._new_blobs:
            records = "".join(f"\n{oid} {digest}" for oid, digest in self._new_blobs.items()).encode()
            if not cache.append_text(self.blob_path, BLOB_FORMAT, records):
                return False  # read-only repository: the next run just rehashes
            self._blob_text = None
            self._new_blobs = {}
            wrote = True
        if not self._dirty:
            return wrote
        if not cache.save(self.path, CACHE_FORMAT, {"files": self._files}):
            return False
        self._dirty = False
        return True
