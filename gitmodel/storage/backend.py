"""What a storage backend answers: the one interface git, DVC and Git LFS each implement (one module per
backend: git_backend.py, dvc_backend.py, lfs_backend.py; the registry is backends.py).

A manifest entry names its backend (`storage: dvc`); code that moves or judges pinned bytes asks the entry's
backend (`backend_for(entry).sha256(source, path)`) rather than testing the name. A new backend is a
subclass of `Backend` in a module of its own, registered in backends.py.

The commit hook imports this module (through the gate) when a manifest is committed: it imports only what
the hook has already loaded; everything that moves bytes is imported inside the method that needs it.
"""

from __future__ import annotations

import abc

from gitmodel.model.records import Record, field

TYPE_CHECKING = False  # typing costs the hook ~4 ms (gitmodel/model/records.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from gitmodel.infra.hashing import HashCache
    from gitmodel.infra.progress import Progress
    from gitmodel.model.manifest import FileEntry
    from gitmodel.repo.sources import Source
    from gitmodel.storage.placement import Mismatch

# The fixes `check --verify-objects` names when a remote's object is missing or is other bytes.
PUSH = "run `gitmodel push` on the machine that has the bytes"
REPIN = ("the manifest's md5 and sha256 name different bytes: re-pin the true file with `gitmodel bump NAME` "
         "(it hashes both)")


class Stale(Record, frozen=True):
    """One way the content a source holds is not what an entry pins (the gate makes it a finding)."""

    rule: str             # "fresh" (the content changed) or "whole" (something is missing or misplaced)
    path: str
    message: str
    fix: str
    old: str | None = None
    new: str | None = None


class Written(Record):
    """What `Backend.write` put at its staging path: its sha256, or why the bytes are not the pinned ones."""

    sha256: str | None
    mismatch: Mismatch | None = None  # bytes from a content store that hash to something else
    problem: str | None = None        # any other refusal, one line


class Batch(Record):
    """What `Backend.fetch` brought for a set of entries, ready for `write`; `payload` is the backend's own."""

    payload: object = None
    fetched: list[str] = field(default_factory=list)  # paths whose objects came from the remote now
    remote: str | None = None


class RemoteCheck(Record):
    """`Backend.check_remote`'s answer for one entry: None problem when the remote's bytes are the pinned ones."""

    entry: FileEntry
    problem: str | None = None
    fix: str | None = None
    size: int = 0


class Setup(abc.ABC):
    """What `Backend.prepare` changed before a file is pinned: notes for the user, and how to undo it."""

    notes: list[str]

    @abc.abstractmethod
    def undo(self, root: Path) -> None:
        """Put back what `prepare` changed when a later step of the command fails."""


class Backend(abc.ABC):
    """One storage backend. Class attributes are data; methods answer for entries of this backend only."""

    name: str = ""
    # a git-tracked file beside the pinned one that names its content: model/components.py's POINTERS, the one
    # statement of it (the commit hook reads that table without importing storage/)
    pointer_suffix: str | None = None
    outside_git: bool = False          # the bytes live in a store beside git (a DVC remote, an LFS server)
    moved_by_gitmodel: bool = False    # `gitmodel push/pull/checkout` move its objects (git moves the others)
    git_blob: bool = False             # an entry's sha256 is that of the blob git stores (filters applied)

    # ------------------------------------------------------------------------------------- paths

    def pointers(self, entry: FileEntry) -> list[str]:
        """The git-tracked pointer files that name the entry's content (DVC's `.dvc`)."""
        if self.pointer_suffix is None:
            return []
        return [f"{entry.path.rstrip('/')}{self.pointer_suffix}"]

    def stage_paths(self, root: Path, entry: FileEntry) -> list[str]:
        """What `git add` stages for the entry when `add`/`bump` pin it."""
        return [entry.path]

    def restore_paths(self, entry: FileEntry) -> list[str]:
        """What `checkout` restores from git for the entry (the rest is placed by `place`)."""
        return [entry.path]

    def written_paths(self, path: str) -> list[str]:
        """Files `add`/`bump` may write for the file at `path` besides the manifest (put back when they fail)."""
        return []

    # ---------------------------------------------------------------------------------- hashing

    def content_id(self, entry: FileEntry) -> str | None:
        """The id the backend's store keeps the content under, when it is not the sha256 (DVC's md5)."""
        return None

    def preload(self, source: Source, paths: list[str]) -> None:
        """Prepare `sha256` (and `freshness`) of these paths in one go."""
        return  # nothing to do for most backends

    @abc.abstractmethod
    def sha256(self, source: Source, path: str) -> str | None:
        """sha256 of the content `source` (work tree, index, commit) holds at `path`, as the backend keeps it;
        None when it holds none."""

    def hash_file(self, full: Path, cache: HashCache) -> tuple[str, int]:
        """(sha256, size) of a work-tree file or directory, as `add` and `bump` pin it."""
        return (cache.dir_sha256(full), _dir_size(full)) if full.is_dir() else (cache.sha256(full),
                                                                                   full.stat().st_size)

    def freshness(self, source: Source, entry: FileEntry, component: str, *, model: str, manifest_path: str,
                  worktree: bool) -> list[Stale]:
        """How the content `source` holds differs from what the entry pins (empty: fresh and whole)."""
        digest = self.sha256(source, entry.path)
        if digest is None:
            from gitmodel.repo.sources import Index

            if isinstance(source, Index) and _lexists(source.root / entry.path):
                return [Stale("whole", entry.path, f"{component} file is not staged", fix=f"git add {entry.path}")]
            return [Stale("whole", entry.path, f"{component} file is missing",
                          fix=f"restore {entry.path}, or drop it from {manifest_path}")]
        if digest != entry.sha256:
            return [Stale("fresh", entry.path, f"{component} changed", fix=f"gitmodel bump {model}",
                          old=entry.sha256, new=digest)]
        return []

    def absent(self, full: Path) -> bool:
        """The work-tree file stands in for bytes that are not here (an LFS pointer): never read it to sniff."""
        return False

    def tracked(self, root: Path, path: str) -> tuple[str | None, int | None, int | None]:
        """(content id, size, nfiles) the backend recorded when it tracked the work-tree file (DVC's pointer)."""
        return None, None, None

    def check_pointers(self, entries: Sequence[FileEntry], read: Callable[[str], bytes | None]) -> None:
        """Refuse a pointer (`read(pointer path)` gives its bytes, or None) that names another path than its entry."""
        return  # nothing to do for most backends

    def verify_note(self, full: Path, path: str, expected: str) -> str | None:
        """What `verify` says of a work-tree file that does not hash to `expected` when it is no change."""
        return None

    # ----------------------------------------------------------------------------- add and bump

    def prepare(self, root: Path, paths: Sequence[str]) -> Setup | None:
        """Make `git add` store these paths the backend's way, before they are pinned."""
        return None

    def check_staged(self, root: Path, entries: Sequence[FileEntry]) -> None:
        """Refuse when `git add` staged an entry other than the backend stores it."""
        return  # nothing to do for most backends

    def track(self, root: Path, paths: list[str]) -> dict[str, tuple[str, str]]:
        """Hand new files to the backend's store before they are pinned; path → (sha256, md5) read meanwhile."""
        return {}

    def retrack(self, root: Path, paths: list[str]) -> dict[str, tuple[str, str]]:
        """Hand changed files (`refresh` said "retrack") to the store again; as `track`."""
        return {}

    def refresh(self, root: Path, entry: FileEntry, full: Path, cache: HashCache) -> str:
        """What `bump` does with a pinned file: "rehash" it, keep it "unchanged", or "retrack" it first."""
        return "rehash"

    # ----------------------------------------------------------------------------- moving bytes

    def fetch(self, root: Path, rev: str, entries: Sequence[FileEntry], *, remote: str | None,
              progress: Progress | None = None) -> Batch:
        """Bring the content of these entries, as committed at `rev`, where `write` can verify it."""
        return Batch()

    @abc.abstractmethod
    def write(self, root: Path, rev: str, batch: Batch, entry: FileEntry, dest: Path, *,
              progress: Progress | None = None) -> Written:
        """Write the entry's bytes as the new path `dest` (a staging path) and say what they hash to."""

    def place(self, root: Path, entries: Sequence[FileEntry], *, remote: str | None, where: str, retry: str,
              name: str = "NAME", progress: Progress | None = None) -> Batch:
        """Fetch these entries' objects and place them in the work tree, each verified before it is renamed
        into place (gitmodel/storage/placement.py). Only backends `moved_by_gitmodel` have work to do."""
        return Batch()

    def after_restore(self, root: Path, rev: str, entries: Sequence[FileEntry]) -> None:
        """After `git restore` wrote the entries' paths from `rev`: make each file the content (LFS smudge)."""
        return  # nothing to do for most backends

    def push(self, root: Path, entries: Sequence[FileEntry], remote: str | None,
             progress: Progress | None = None) -> object | None:
        """Send the entries' objects to the remote; None when `git push` carries them (git, Git LFS)."""
        return None

    def missing_in_remote(self, root: Path, entries: Sequence[FileEntry], remote: str | None) -> list[str]:
        """Paths of the entries whose objects the remote lacks (`git push` carries git's and Git LFS's)."""
        return []

    def publish(self, root: Path, entries: Sequence[FileEntry], *, tag: str, push: bool, remote: str | None,
                git_remote: str | None) -> tuple[list[str], list[str]]:
        """(notes, problems) for a pushed release's objects: it is published only when a clone can fetch
        them. With `push`, missing objects are pushed first."""
        return [], []

    def check_remote(self, root: Path, entries: Sequence[FileEntry], scratch: Path, remote: str | None
                     ) -> list[RemoteCheck]:
        """Download each entry's object from the remote into `scratch` (never a local store) and hash it."""
        return [RemoteCheck(e) for e in entries]


def _lexists(path: Path) -> bool:
    import os

    return os.path.lexists(path)


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
