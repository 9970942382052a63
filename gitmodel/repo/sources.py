"""Where file contents come from: the work tree, the index (what is being committed), or a commit.

Each source answers the same questions (does a path exist, its bytes, its sha256) so the bump rule is
written once and judged against whichever state matters. A source knows nothing of storage backends: each
backend (gitmodel/storage/backends.py) hashes an entry from these answers (a pointer's id, git's stored
blob, or the raw bytes).
"""

from __future__ import annotations

import os
from pathlib import Path

from gitmodel.infra.hashing import HashCache, sha256_bytes, sha256_dir
from gitmodel.repo import git
from gitmodel.repo.listing import Listing
from gitmodel.repo.staged import StagedListing

SMALL_BLOB = 64 << 10  # hashed in ~0.04 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from gitmodel.repo.git import IndexEntry


def _raw_ids(path: Path) -> tuple[str, str, int]:
    """(git blob id, sha256, size) of a file's bytes as they are, in one read."""
    import hashlib

    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        sha1 = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
        sha = hashlib.sha256()
        while chunk := stream.read(1 << 20):
            sha1.update(chunk)
            sha.update(chunk)
    return sha1.hexdigest(), sha.hexdigest(), size


def stored_sha256(cache: HashCache, paths: list[str], *, sizes: bool = False) -> dict[str, tuple[str, int | None]]:
    """What a git-stored file's sha256 IS, defined once: the sha256 of the blob git stores for it, after
    git's clean filters and end-of-line conversion (core.autocrlf, `text`/`eol` attributes). `add`, `bump`,
    `check` and `verify` hash work-tree files this way, so a CRLF checkout of an LF blob is the same file.

    path → (sha256, size of the stored blob, or None when it came from the blob cache and `sizes` is False).
    Work-tree files only (not directories); one `git hash-object --stdin-paths` for all of them, and the
    blob is written to the object store only when a filter changed the bytes.
    """
    root = cache.root
    files = [p for p in dict.fromkeys(paths) if (root / p).is_file() and not (root / p).is_symlink()]
    if not files:
        return {}
    oids = git.hash_objects(root, files)
    out: dict[str, tuple[str, int | None]] = {}
    converted: list[tuple[str, str]] = []
    for path, oid in zip(files, oids, strict=True):
        cached = None if sizes else cache.blob_sha256(oid)
        if cached is not None:
            out[path] = (cached, None)
            continue
        raw_oid, digest, size = _raw_ids(root / path)
        if raw_oid == oid:  # no filter changed the bytes (the usual case): nothing more to ask git
            cache.put_blob(oid, digest)
            out[path] = (digest, size)
        else:
            converted.append((path, oid))
    if converted:
        git.hash_objects(root, [p for p, _ in converted], write=True)
        blobs = git.cat_files(root, [oid for _, oid in converted])
        for path, oid in converted:
            blob = blobs.get(oid)
            if blob is not None:
                cache.put_blob(oid, sha256_bytes(blob))
                out[path] = (sha256_bytes(blob), len(blob))
    return out


def stored_dir_sha256(cache: HashCache, directory: str) -> str:
    """A git-stored directory's sha256 (`gitmodel.infra.hashing.sha256_dir`'s listing) over each file's stored
    sha256, so that line endings are judged the same way inside a directory as for a single file."""
    root = cache.root
    files = [p.relative_to(root).as_posix() for p in (root / directory).rglob("*") if p.is_file()]
    stored = stored_sha256(cache, files)

    def file_hash(path: Path) -> str:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
        found = stored.get(rel)
        return found[0] if found is not None else cache.sha256(path)

    return sha256_dir(root / directory, file_hash=file_hash)


def _yaml_files(directory: str, rel: str) -> list[str]:
    """`Path(directory).rglob("*.yaml")`'s regular files (symlinks to one included), as paths under `rel`, with
    os.scandir: no Path object per file (a tenth of the time at 10,000 manifests). `rel` is "" or ends in "/".
    As rglob, it does not descend into a symlinked directory and skips a directory it cannot list."""
    out: list[str] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return out
    for entry in entries:
        try:
            if entry.is_dir() and not entry.is_symlink():
                out += _yaml_files(entry.path, f"{rel}{entry.name}/")
            elif entry.name.endswith(".yaml") and entry.is_file():
                out.append(f"{rel}{entry.name}")
        except OSError:
            continue
    return out


class Source:
    """Base: subclasses implement `_listing`, `read` and `sha256`."""

    label = "source"

    def __init__(self, root: Path, cache: HashCache) -> None:
        self.root = root
        self.cache = cache

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def expect(self, paths: Iterable[str]) -> None:
        """The paths the caller is about to ask about: a source that asks git may fetch them in one call."""

    def read(self, path: str) -> bytes | None:
        raise NotImplementedError

    def read_many(self, paths: list[str]) -> dict[str, bytes | None]:
        return {p: self.read(p) for p in paths}

    def sha256(self, path: str, *, stored: bool = True) -> str | None:
        """sha256 of the file (or directory) content: with `stored`, of the blob git stores for it (after its
        clean filters and end-of-line conversion); else of the bytes as they are. An index or a commit
        holds only blobs, so both are the blob's."""
        raise NotImplementedError

    def read_small(self, path: str, limit: int) -> bytes | None:
        """The bytes of a regular file of at most `limit` bytes (a pointer file), else None."""
        raise NotImplementedError

    def blob_id(self, path: str) -> str | None:
        """The git blob id of `path` when the source knows it without reading (index, commit)."""
        return None

    def preload(self, paths: list[str]) -> None:
        """Prepare the stored `sha256` of these files in one go (one git call rather than one per file)."""

    def preload_blobs(self, paths: list[str]) -> None:
        """Read these files' bytes in one go where that costs a git call (pointer files of an index or commit)."""

    def manifests(self, directory: str, only: list[str] | None = None) -> list[str]:
        """Paths of the YAML files under the manifests directory (of `only`, when given: an index answers
        those without listing every manifest)."""
        raise NotImplementedError

    def lookalikes(self, pinned: str) -> list[str]:
        """Paths that are `pinned` on a case-insensitive checkout (a work tree has none of its own)."""
        return []

    def link_kind(self, path: str) -> str | None:
        """"symlink" or "submodule" when git records `path` as one (its blob is a target, not bytes)."""
        return None

    def tracked_at(self, path: str) -> list[str]:
        """Paths git records at `path` or under it (a work tree answers none: only git's record matters)."""
        return []


class WorkTree(Source):
    label = "working tree"

    def __init__(self, root: Path, cache: HashCache) -> None:
        super().__init__(root, cache)
        self._stored: dict[str, str] = {}

    def preload(self, paths: list[str]) -> None:
        todo = [p for p in paths if p not in self._stored]
        self._stored.update({p: d for p, (d, _) in stored_sha256(self.cache, todo).items()})

    def exists(self, path: str) -> bool:
        return os.path.lexists(self.root / path)

    def read(self, path: str) -> bytes | None:
        try:
            return (self.root / path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def sha256(self, path: str, *, stored: bool = True) -> str | None:
        from gitmodel.infra.fileio import safe_target

        full = safe_target(self.root, path, where=path)  # a link out of the repo is never followed (exit 2)
        if full.is_dir():
            return stored_dir_sha256(self.cache, path) if stored else self.cache.dir_sha256(full)
        if not full.is_file():
            return None
        if stored:
            if path not in self._stored:
                self.preload([path])
            if path in self._stored:
                return self._stored[path]
        return self.cache.sha256(full)

    def read_small(self, path: str, limit: int) -> bytes | None:
        from gitmodel.infra.fileio import safe_target

        full = safe_target(self.root, path, where=path)  # a link out of the repo is never followed (exit 2)
        if not full.is_file() or full.stat().st_size > limit:
            return None
        return full.read_bytes()

    def manifests(self, directory: str, only: list[str] | None = None) -> list[str]:
        if only is not None:
            wanted = set(only)
            return [p for p in self.manifests(directory) if p in wanted]
        base = self.root / directory
        if not base.is_dir():
            return []
        rel = base.relative_to(self.root).as_posix()
        return sorted(_yaml_files(str(base), "" if rel == "." else f"{rel}/"))


class _GitSource(Source):
    """Index or commit: git's listing of (path → blob id), searched as text (gitmodel/repo/listing.py), blobs
    read in batches."""

    def __init__(self, root: Path, cache: HashCache) -> None:
        super().__init__(root, cache)
        self._listing: Listing | StagedListing | None = None
        self._preloaded: dict[str, bytes | None] = {}

    def _list(self) -> Listing | StagedListing:
        raise NotImplementedError

    @property
    def entries(self) -> Listing | StagedListing:
        if self._listing is None:
            self._listing = self._list()
        return self._listing

    def exists(self, path: str) -> bool:
        return path in self.entries or bool(self.entries.under(path.rstrip("/") + "/"))

    def read(self, path: str) -> bytes | None:
        if path in self._preloaded:
            return self._preloaded[path]
        return self.read_many([path])[path]

    def blob_id(self, path: str) -> str | None:
        entry = self.entries.get(path)
        return entry.oid if entry is not None and entry.mode != "120000" else None

    def preload_blobs(self, paths: list[str]) -> None:
        # a blob's sha256 comes from the blob cache (`preload` has nothing to do); a pointer must be read
        self._preloaded.update(self.read_many([p for p in paths if p not in self._preloaded]))

    def read_small(self, path: str, limit: int) -> bytes | None:
        entry = self.entries.get(path)
        if entry is None or entry.mode in ("120000", "160000"):  # a link's blob is its target, not content
            return None
        blob = self.read(path)
        return blob if blob is not None and len(blob) <= limit else None

    def read_many(self, paths: list[str]) -> dict[str, bytes | None]:
        # by blob id, from the listing: `:path` would make git read the whole index again (~8 ms at 10,000
        # models), and a path git can hold (a newline in it) cannot be named that way
        ids = {p: entry.oid for p in paths if (entry := self.entries.get(p)) is not None}
        blobs = git.cat_files(self.root, sorted(set(ids.values())))
        return {p: blobs.get(ids[p]) if p in ids else None for p in paths}

    def _blob_sha256(self, path: str) -> str | None:
        entry = self.entries.get(path)
        if entry is None:
            return None
        if entry.mode == "120000":  # a symlink's blob is its target, not content
            return None
        if git.in_session(self.root) and (git.object_sizes(self.root, [entry.oid]).get(entry.oid) or 0) <= SMALL_BLOB:
            # two round trips to the session's git and a hash take less than searching the blob cache (~1 ms
            # per MiB of it): a small blob's sha256 is computed, and not kept there (the commit hook)
            blob = self.read(path)
            return sha256_bytes(blob) if blob is not None else None
        # the blob cache holds the sha256 of a blob's own bytes, whatever they look like
        cached = self.cache.blob_sha256(entry.oid)
        if cached is not None:
            return cached
        blob = self.read(path)
        if blob is None:
            return None
        digest = sha256_bytes(blob)
        self.cache.put_blob(entry.oid, digest)
        return digest

    def sha256(self, path: str, *, stored: bool = True) -> str | None:
        if path in self.entries:
            return self._blob_sha256(path)
        prefix = path.rstrip("/") + "/"
        inside = sorted(self.entries.under(prefix), key=lambda p: p.encode())
        if not inside:
            return None
        lines = []
        for p in inside:
            digest = self._blob_sha256(p)
            if digest is None:
                return None
            lines.append(f"{digest}  {p[len(prefix):]}\n")
        return sha256_bytes("".join(lines).encode("utf-8"))

    def manifests(self, directory: str, only: list[str] | None = None) -> list[str]:
        if only is not None:
            return sorted(p for p in only if p.endswith(".yaml") and p in self.entries)
        prefix = directory.rstrip("/") + "/"
        return sorted(p for p in self.entries.under(prefix) if p.endswith(".yaml"))

    def tracked_at(self, path: str) -> list[str]:
        inside = path.rstrip("/") + "/"
        return sorted(([path] if path in self.entries else []) + self.entries.under(inside))

    def link_kind(self, path: str) -> str | None:
        entry = self.entries.get(path)
        return {"120000": "symlink", "160000": "submodule"}.get(entry.mode) if entry is not None else None

    def lookalikes(self, pinned: str) -> list[str]:
        return self.entries.lookalikes(pinned)


class Index(_GitSource):
    """What `git commit` would record: the index git gives this hook (GIT_INDEX_FILE respected)."""

    label = "index"

    def _list(self) -> Listing | StagedListing:
        return Listing(git.ls_files_text(self.root))


class StagedIndex(Index):
    """The same index told by HEAD and the hook's `git diff --cached` entries, never listed whole unless a
    question needs it (gitmodel/repo/staged.py)."""

    def __init__(self, root: Path, cache: HashCache, staged: dict[str, IndexEntry | None],
                 known_pin: Callable[[str], bool]) -> None:
        super().__init__(root, cache)
        self._staged = StagedListing(root, staged, known_pin)

    def _list(self) -> StagedListing:
        return self._staged

    def expect(self, paths: Iterable[str]) -> None:
        self._staged.expect(paths)


class Commit(_GitSource):
    def __init__(self, root: Path, cache: HashCache, rev: str) -> None:
        super().__init__(root, cache)
        self.rev = rev
        self.label = rev[:12]

    def _list(self) -> Listing:
        return Listing.of(git.ls_tree(self.root, self.rev))
