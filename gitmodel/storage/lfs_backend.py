"""`storage: lfs`: the file is stored by Git LFS. git tracks a pointer at the file's own path whose `oid sha256:`
is the sha256 of the bytes, so a manifest pins an LFS file by the same hash whether the bytes are downloaded
or not: the hook judges the staged pointer and never reads the weights. `git push`/`git pull` move the objects
(git-lfs's own hooks); set-up, staged-pointer checks and verified fetches are in gitmodel/storage/lfs.py.
"""

from __future__ import annotations

from gitmodel.storage.backend import REPIN, Backend, RemoteCheck, Written

TYPE_CHECKING = False  # the commit hook imports this module: typing stays out (gitmodel/model/records.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from gitmodel.infra.hashing import HashCache
    from gitmodel.infra.progress import Progress
    from gitmodel.model.manifest import FileEntry
    from gitmodel.repo.sources import Source
    from gitmodel.storage.backend import Batch, Setup

LFS_PREFIX = b"version https://git-lfs.github.com/spec/v1"
POINTER_MAX = 1024  # git-lfs itself treats larger blobs as content, never as a pointer


def lfs_oid(blob: bytes) -> tuple[str, int] | None:
    """(sha256, size) from a Git LFS pointer, or None when the bytes are not one."""
    if not blob.startswith(LFS_PREFIX) or len(blob) > POINTER_MAX:
        return None
    oid = size = None
    for line in blob.decode("utf-8", "replace").splitlines():
        if line.startswith("oid sha256:"):
            oid = line[len("oid sha256:") :].strip()
        elif line.startswith("size "):
            try:
                size = int(line[5:].strip())
            except ValueError:
                return None
    return (oid, size) if oid and size is not None else None


class LfsBackend(Backend):
    name = "lfs"
    outside_git = True

    def stage_paths(self, root: Path, entry: FileEntry) -> list[str]:
        return [entry.path, *([".gitattributes"] if (root / ".gitattributes").exists() else [])]

    def preload(self, source: Source, paths: list[str]) -> None:
        source.preload_blobs(paths)  # LFS pointers: one read

    def sha256(self, source: Source, path: str) -> str | None:
        """The oid the pointer names (a file never smudged here: GIT_LFS_SKIP_SMUDGE, no git-lfs, or any index
        or commit); a file that is no pointer is hashed as the bytes it is. Only `storage: lfs` is judged by a
        pointer: any other file whose text merely looks like one is content."""
        small = source.read_small(path, POINTER_MAX)
        pointer = lfs_oid(small) if small is not None else None
        return pointer[0] if pointer is not None else source.sha256(path, stored=False)

    def hash_file(self, full: Path, cache: HashCache) -> tuple[str, int]:
        """An LFS file not yet downloaded answers from its pointer."""
        from gitmodel.storage.lfs import worktree_pointer

        pointer = worktree_pointer(full)
        return pointer if pointer is not None else super().hash_file(full, cache)

    def absent(self, full: Path) -> bool:
        """The work-tree file is its pointer, not the bytes (never download to sniff a format)."""
        from gitmodel.storage.lfs import worktree_pointer

        return worktree_pointer(full) is not None

    def verify_note(self, full: Path, path: str, expected: str) -> str | None:
        from gitmodel.storage.lfs import not_downloaded

        return not_downloaded(full, path, expected)

    def prepare(self, root: Path, paths: Sequence[str]) -> Setup | None:
        from gitmodel.storage import lfs

        return lfs.prepare(root, paths)

    def check_staged(self, root: Path, entries: Sequence[FileEntry]) -> None:
        from gitmodel.storage import lfs

        lfs.verify_staged(root, [(e.path, e.sha256) for e in entries])

    def write(self, root: Path, rev: str, batch: Batch, entry: FileEntry, dest: Path, *,
              progress: Progress | None = None) -> Written:
        """Streamed by git-lfs to a temp file and verified against pointer and manifest there."""
        from gitmodel.infra.errors import Refused
        from gitmodel.storage.lfs import fetch_lfs_file

        try:
            fetch_lfs_file(root, rev, entry.path, dest, expected_sha256=entry.sha256)
        except Refused as exc:
            return Written(None, problem=f"{entry.path}: {exc.message}")
        return Written(entry.sha256)

    def after_restore(self, root: Path, rev: str, entries: Sequence[FileEntry]) -> None:
        """`git restore` smudges LFS files where git-lfs is configured; elsewhere fetch and verify the bytes."""
        from gitmodel.storage.lfs import fetch_lfs_file, worktree_pointer

        for entry in entries:
            if worktree_pointer(root / entry.path) is not None:
                fetch_lfs_file(root, rev, entry.path, root / entry.path, expected_sha256=entry.sha256)

    def publish(self, root: Path, entries: Sequence[FileEntry], *, tag: str, push: bool, remote: str | None,
                git_remote: str | None) -> tuple[list[str], list[str]]:
        from gitmodel.storage.lfs import release_objects_on_remote

        return [], release_objects_on_remote(root, git_remote, tag, entries)

    def check_remote(self, root: Path, entries: Sequence[FileEntry], scratch: Path, remote: str | None
                     ) -> list[RemoteCheck]:
        """Each object downloaded from the LFS server of `origin` through a scratch repository (never this
        clone's LFS store) and verified against pointer and manifest."""
        from gitmodel.infra.errors import ExternalFailure, Refused
        from gitmodel.infra.fileio import safe_target
        from gitmodel.storage.lfs import fetch_lfs_file

        checks = []
        for entry in entries:
            dest = safe_target(scratch / "lfs-files", entry.path, where=entry.path, links="none")
            try:
                fetch_lfs_file(root, "HEAD", entry.path, dest, expected_sha256=entry.sha256,
                               store=scratch / "lfs-store")
            except (Refused, ExternalFailure) as exc:
                fix = REPIN if isinstance(exc, Refused) else "push the LFS object (`git lfs push --all origin`)"
                checks.append(RemoteCheck(entry, exc.message, fix))
                continue
            checks.append(RemoteCheck(entry, size=dest.stat().st_size))
        return checks
