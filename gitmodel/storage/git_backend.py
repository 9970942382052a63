"""`storage: git`: the file is a git blob. Its sha256 is that of the blob git stores for it (after clean filters
and end-of-line conversion: `gitmodel.repo.sources.stored_sha256`), and `git push`/`git pull` move it."""

from __future__ import annotations

import os
from pathlib import Path

from gitmodel.storage.backend import Backend, Batch, Written

TYPE_CHECKING = False  # the commit hook imports this module: typing stays out (gitmodel/model/records.py)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from gitmodel.infra.hashing import HashCache
    from gitmodel.infra.progress import Progress
    from gitmodel.model.manifest import FileEntry
    from gitmodel.repo.sources import Source


def repo_relative(full: Path, cache: HashCache) -> str | None:
    """`full` as a repo path, or None outside the work tree (git stores nothing for it)."""
    try:
        return Path(os.path.abspath(full)).relative_to(os.path.abspath(cache.root)).as_posix()
    except ValueError:
        return None


def stored_file(full: Path, cache: HashCache, *, sizes: bool = False) -> tuple[str, int | None] | None:
    """(sha256, size) of the blob git stores for a work-tree file (`stored_sha256`); None outside the tree."""
    from gitmodel.repo.sources import stored_sha256

    rel = repo_relative(full, cache)
    return stored_sha256(cache, [rel], sizes=sizes).get(rel) if rel is not None else None


def write_new(dest: Path, data: bytes) -> None:
    """Write `data` as the new file `dest`, flushed to disk."""
    with open(dest, "xb") as fout:
        fout.write(data)
        fout.flush()
        os.fsync(fout.fileno())


class GitBackend(Backend):
    name = "git"
    git_blob = True

    def preload(self, source: Source, paths: list[str]) -> None:
        source.preload(paths)

    def sha256(self, source: Source, path: str) -> str | None:
        return source.sha256(path, stored=True)

    def hash_file(self, full: Path, cache: HashCache) -> tuple[str, int]:
        if full.is_dir():
            rel = repo_relative(full, cache)
            if rel is None:
                return super().hash_file(full, cache)
            from gitmodel.repo.sources import stored_dir_sha256
            from gitmodel.storage.backend import _dir_size

            return stored_dir_sha256(cache, rel), _dir_size(full)
        stored = stored_file(full, cache, sizes=True)
        if stored is not None and stored[1] is not None:
            return stored[0], stored[1]
        return cache.sha256(full), full.stat().st_size

    def fetch(self, root: Path, rev: str, entries: Sequence[FileEntry], *, remote: str | None,
              progress: Progress | None = None) -> Batch:
        """The entries' blobs at `rev`, in one git call; a file the commit lacks is refused (exit 1)."""
        from gitmodel.infra.errors import Refused
        from gitmodel.repo import git

        specs = {entry.path: f"{rev}:{entry.path}" for entry in entries}
        blobs = git.cat_files(root, list(specs.values()))
        out: dict[str, bytes] = {}
        for entry in entries:
            blob = blobs[specs[entry.path]]
            if blob is None:
                raise Refused(f"{entry.path} is not in the release's commit", where=f"{rev[:12]}:{entry.path}",
                              hint="the manifest names a file that was never committed; fix it in a new version")
            out[entry.path] = blob
        return Batch(out)

    def write(self, root: Path, rev: str, batch: Batch, entry: FileEntry, dest: Path, *,
              progress: Progress | None = None) -> Written:
        from gitmodel.infra.hashing import sha256_bytes

        data = batch.payload[entry.path]  # type: ignore[index]
        write_new(dest, data)
        return Written(sha256_bytes(data))
