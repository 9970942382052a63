"""`storage: dvc`: the bytes live in DVC's cache and remote under their md5; git tracks a `.dvc` pointer beside
the file (and DVC git-ignores the file). `gitmodel push/pull/checkout` move the objects by md5 through
gitmodel/storage/dvc_transfer.py, and every byte is verified before it is placed (placement.py).

DVC itself is imported only inside the methods that move bytes (gitmodel/storage/dvc.py, dvc_transfer.py):
the commit hook reads pointers as YAML (dvc_pointers.py).
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.model.components import POINTERS
from gitmodel.storage.backend import PUSH, REPIN, Backend, Batch, RemoteCheck, Stale, Written
from gitmodel.storage.dvc_pointers import parse_pointer, pointer_path

TYPE_CHECKING = False  # the commit hook imports this module: typing stays out (gitmodel/model/records.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from gitmodel.infra.hashing import HashCache
    from gitmodel.infra.progress import Progress
    from gitmodel.model.manifest import FileEntry
    from gitmodel.repo.sources import Source
    from gitmodel.storage.dvc_transfer import FetchResult


def dedupe(entries: Sequence[FileEntry]) -> list[FileEntry]:
    """One entry per DVC object (two paths may pin the same md5); entries without an md5 are dropped."""
    seen: dict[str, FileEntry] = {}
    for entry in entries:
        if entry.md5 and entry.md5 not in seen:
            seen[entry.md5] = entry
    return list(seen.values())


def _ignore_file(path: str) -> str:
    """The .gitignore `dvc add` writes the file's name into."""
    return (Path(path).parent / ".gitignore").as_posix()


class DvcBackend(Backend):
    name = "dvc"
    pointer_suffix = POINTERS["dvc"]
    outside_git = True
    moved_by_gitmodel = True

    def pointers(self, entry: FileEntry) -> list[str]:
        return [pointer_path(entry.path)]

    def stage_paths(self, root: Path, entry: FileEntry) -> list[str]:
        ignore = _ignore_file(entry.path)
        return [pointer_path(entry.path), *([ignore] if (root / ignore).exists() else [])]

    def restore_paths(self, entry: FileEntry) -> list[str]:
        return [pointer_path(entry.path), _ignore_file(entry.path)]

    def written_paths(self, path: str) -> list[str]:
        return [pointer_path(path), _ignore_file(path)]

    def content_id(self, entry: FileEntry) -> str | None:
        return entry.md5

    # ---------------------------------------------------------------------------------- hashing

    def preload(self, source: Source, paths: list[str]) -> None:
        source.preload_blobs([pointer_path(p) for p in paths])

    def sha256(self, source: Source, path: str) -> str | None:
        return source.sha256(path, stored=False)

    def tracked(self, root: Path, path: str) -> tuple[str | None, int | None, int | None]:
        """(md5, size, nfiles) from the work tree's pointer of `path`."""
        from gitmodel.infra.fileio import read_capped

        ptr = pointer_path(path)
        found = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr, beside=path)
        return found.md5, found.size, found.nfiles

    def check_pointers(self, entries: Sequence[FileEntry], read: Callable[[str], bytes | None]) -> None:
        """Each pointer `read` finds must describe the file it sits beside (dvc_pointers.check_pointers)."""
        from gitmodel.storage.dvc_pointers import check_pointers

        check_pointers([e.path for e in entries], read)

    def freshness(self, source: Source, entry: FileEntry, component: str, *, model: str, manifest_path: str,
                  worktree: bool) -> list[Stale]:
        """The pointer `source` holds names the entry's md5 (and, in the work tree, the file its sha256)."""
        from gitmodel.repo.sources import Index

        ptr_path = pointer_path(entry.path)
        in_git = source.tracked_at(entry.path)
        if in_git:  # a clone gets git's bytes at (or inside) the DVC-pinned path
            return [Stale("whole", in_git[0], f"{component} {entry.path} is stored in DVC, but git tracks "
                          f"{len(in_git)} file(s) there too", fix=f"git rm -r -q --cached -- {in_git[0]}")]
        blob = source.read(ptr_path)
        if blob is None:
            staged_only = isinstance(source, Index) and (source.root / ptr_path).exists()
            return [Stale("whole", entry.path, f"DVC pointer {ptr_path} is {'not staged' if staged_only else 'missing'}",
                          fix=f"git add {ptr_path}" if staged_only else f"gitmodel bump {model}")]
        pointer = parse_pointer(blob, where=ptr_path, beside=entry.path)
        if pointer.hash != "md5" or pointer.elsewhere is not None:
            # the md5 may be the manifest's, but DVC would fetch it from another store, where other
            # bytes can sit under that name: the pointer must be the one `dvc add` (DVC 3) writes
            how = f"hash {pointer.hash}" if pointer.hash != "md5" else pointer.elsewhere
            return [Stale("whole", entry.path, f"DVC pointer {ptr_path} has `{how}`, so DVC would fetch "
                          f"{(entry.md5 or pointer.md5)[:8]} from elsewhere than its md5 store",
                          fix=f"rm {ptr_path} && dvc add {entry.path} && git add {ptr_path}")]
        if pointer.md5 != entry.md5:
            return [Stale("fresh", entry.path, f"{component} changed (DVC pointer)", fix=f"gitmodel bump {model}",
                          old=entry.md5, new=pointer.md5)]
        if not worktree:
            return []
        digest = self.sha256(source, entry.path)
        if digest is None or digest == entry.sha256:
            return []
        from gitmodel.repo.saved import pinned_before  # only on this mismatch path

        if digest in pinned_before(source.root, model, manifest_path).get(entry.path, set()):
            return [Stale("whole", entry.path, f"{component} file in the working tree is an earlier pinned version",
                          fix=f"gitmodel pull {model}", old=entry.sha256, new=digest)]
        return [Stale("fresh", entry.path, f"{component} changed since it was tracked", fix=f"gitmodel bump {model}",
                      old=entry.sha256, new=digest)]

    # ----------------------------------------------------------------------------- add and bump

    def track(self, root: Path, paths: list[str]) -> dict[str, tuple[str, str]]:
        """`dvc add` these paths (one DVC run) while their bytes are read once for (sha256, md5)."""
        from gitmodel.infra.errors import InvalidInput
        from gitmodel.repo import git
        from gitmodel.storage import dvc

        if not dvc.is_dvc_repo(root):
            raise InvalidInput("not a DVC repository, and these files go through DVC: " + ", ".join(paths),
                               where=str(root / ".dvc"), hint="run `gitmodel init` first (or pass --git PATH)")
        untracked = [p for p in paths if git.is_tracked(root, p)]
        if untracked:
            raise InvalidInput(f"{untracked[0]} is tracked by git, so DVC cannot track it", where=untracked[0],
                               hint=f"pass --git {untracked[0]}, or `git rm --cached {untracked[0]}` first")
        return self.retrack(root, paths)

    def retrack(self, root: Path, paths: list[str]) -> dict[str, tuple[str, str]]:
        """`dvc add` again the files `bump` found changed, reading each once for (sha256, md5)."""
        from gitmodel.storage import dvc
        from gitmodel.storage.pinning import track_while_hashing

        return track_while_hashing(root, [p for p in paths if (root / p).is_file()], dvc.track, paths)

    def refresh(self, root: Path, entry: FileEntry, full: Path, cache: HashCache) -> str:
        """"unchanged", or "retrack" when the file (or its pointer) moved since it was tracked."""
        from gitmodel.infra.errors import InvalidInput

        ptr = pointer_path(entry.path)
        if not full.exists():
            if not (root / ptr).exists():
                raise InvalidInput(f"{entry.path} and its pointer {ptr} are both missing",
                                   where=entry.path, hint="restore the file or remove it from the manifest")
            if self.tracked(root, entry.path)[0] == entry.md5:
                return "unchanged"  # not pulled here, but unchanged
            raise InvalidInput(f"{entry.path} is not in the workspace and its pointer changed",
                               where=entry.path, hint="run `gitmodel pull` (or `dvc checkout`) first")
        digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
        pointer_md5 = self.tracked(root, entry.path)[0] if (root / ptr).exists() else None
        if digest != entry.sha256 or pointer_md5 is None or pointer_md5 != entry.md5:
            return "retrack"
        return "unchanged"

    # ----------------------------------------------------------------------------- moving bytes

    def fetch(self, root: Path, rev: str, entries: Sequence[FileEntry], *, remote: str | None,
              progress: Progress | None = None) -> Batch:
        """The objects of the entries committed at `rev`, fetched by md5 into the local DVC cache when missing
        (the release's pointers need not be in the work tree)."""
        from gitmodel.repo import git
        from gitmodel.storage import dvc_transfer

        self.check_pointers(entries, lambda p: git.show_file(root, rev, p))
        fetched = dvc_transfer.fetch_entries(root, list(entries), _remote(root, remote), progress)
        return Batch(fetched, fetched.fetched, fetched.remote.url if fetched.remote else None)

    def write(self, root: Path, rev: str, batch: Batch, entry: FileEntry, dest: Path, *,
              progress: Progress | None = None) -> Written:
        from gitmodel.storage.placement import build_entry, check_entry

        fetched: FetchResult = batch.payload  # type: ignore[assignment]
        parts = fetched.objects.get(entry.path, [])
        actual = build_entry(dest, entry, parts, progress)
        return Written(actual, mismatch=check_entry(entry, actual, parts, fetched.origin(entry.path)))

    def place(self, root: Path, entries: Sequence[FileEntry], *, remote: str | None, where: str, retry: str,
              name: str = "NAME", progress: Progress | None = None) -> Batch:
        """Fetch (by md5) and place the entries in the work tree, every byte verified first (placement.py)."""
        if not entries:
            return Batch()
        from gitmodel.storage import dvc_transfer
        from gitmodel.storage.placement import Placement, place_verified

        fetched = dvc_transfer.fetch_entries(root, dedupe(entries), _remote(root, remote), progress)
        by_md5 = {e.md5: fetched.objects[e.path] for e in dedupe(entries) if e.path in fetched.objects}
        origin = {e.md5: fetched.origin(e.path) for e in dedupe(entries)}
        plan = Placement(root, [(e, by_md5.get(e.md5, []), origin.get(e.md5, "local DVC cache")) for e in entries])
        place_verified(plan, where=where, retry=retry, name=name, progress=progress)
        return Batch(fetched, fetched.fetched, fetched.remote.url if fetched.remote else None)

    def push(self, root: Path, entries: Sequence[FileEntry], remote: str | None,
             progress: Progress | None = None) -> object | None:
        """Send the objects to the DVC remote (`dvc_transfer.PushResult`); with no entries the remote is still
        resolved, so `gitmodel push` names it (or fails when none is configured)."""
        from gitmodel.storage import dvc_transfer

        return dvc_transfer.push_entries(root, dedupe(entries), remote, progress)

    def missing_in_remote(self, root: Path, entries: Sequence[FileEntry], remote: str | None) -> list[str]:
        from gitmodel.storage import dvc_transfer

        return dvc_transfer.missing_in_remote(root, list(entries), remote=remote)

    def publish(self, root: Path, entries: Sequence[FileEntry], *, tag: str, push: bool, remote: str | None,
                git_remote: str | None) -> tuple[list[str], list[str]]:
        """The release's DVC objects must be in the DVC remote `remote` (the config's), so that `gitmodel get`
        can fetch it; with `push`, missing ones are pushed first."""
        if not entries:
            return [], []
        from gitmodel.infra.errors import GitmodelError
        from gitmodel.repo import git
        from gitmodel.storage import dvc_transfer

        name = tag.split("@")[0]
        where = f"DVC remote {remote!r}" if remote else "the default DVC remote"
        notes = []
        try:
            missing = self.missing_in_remote(root, entries, remote)
            if missing and push:
                pushed = dvc_transfer.push_entries(root, [e for e in entries if e.path in missing], remote=remote)
                notes.append(f"{tag}: pushed {', '.join(pushed)} to {where} (hooks.pre_push: push)")
                missing = self.missing_in_remote(root, entries, remote)
        except GitmodelError as exc:
            # no DVC remote, no DVC repo, objects nowhere: the release cannot be shown to be fetchable
            return notes, [f"{tag}: cannot confirm its DVC objects are in {where}: {exc}"]
        if missing:
            # the release's own objects, which may not be the working tree's: `gitmodel push NAME` pushes those
            fix = f"gitmodel push {tag}" if git.ref_exists(root, f"refs/tags/{tag}") else f"gitmodel push {name}"
            return notes, [f"{tag}: {len(missing)} file(s) of this release are not in {where}: {', '.join(missing)} "
                           f"— run `{fix}` first (or set `hooks: {{pre_push: push}}` in .gitmodel.yaml)"]
        return notes, []

    def check_remote(self, root: Path, entries: Sequence[FileEntry], scratch: Path, remote: str | None
                     ) -> list[RemoteCheck]:
        """Each object downloaded from the remote into `scratch` (a DVC store of its own): its sha256 must be
        the manifest's; md5 (twice the cost) is read only to say why a mismatch happened."""
        import tempfile

        from gitmodel.infra.hashing import md5_file, sha256_file
        from gitmodel.storage import dvc_transfer

        fetched = dvc_transfer.fetch_into(root, list(entries), scratch / "objects", _remote(root, remote))
        checks = []
        for entry in entries:
            if entry.path in fetched.missing:
                checks.append(RemoteCheck(entry, f"object md5 {entry.md5} is missing from the remote "
                                                 f"{fetched.remote.url}", PUSH))
                continue
            parts = fetched.objects.get(entry.path, [])
            digests = {obj: sha256_file(obj) for _, obj in parts}
            if entry.md5 and entry.md5.endswith(".dir"):
                actual = _dir_sha256(Path(tempfile.mkdtemp(dir=scratch)), entry, parts, digests)
            else:
                actual = digests[parts[0][1]]
            size = sum(obj.stat().st_size for _, obj in parts)
            if actual == entry.sha256:
                checks.append(RemoteCheck(entry, size=size))
                continue
            damaged = [obj for _, obj in parts if md5_file(obj) != obj.parent.name + obj.name]
            if damaged:
                checks.append(RemoteCheck(entry, f"the remote's object {damaged[0].parent.name + damaged[0].name} "
                                                 "is damaged", "delete it from the remote, then " + PUSH, size))
            else:
                checks.append(RemoteCheck(entry, f"the bytes under md5 {entry.md5} hash to sha256 {actual}, but "
                                                 f"the manifest records {entry.sha256}", REPIN, size))
        return checks


def _remote(root: Path, remote: str | None) -> str | None:
    """The DVC remote to use: the one given, else the config's (`remote:`), else DVC's default."""
    if remote:
        return remote
    from gitmodel.model.config import load_config

    return load_config(root).remote


def _dir_sha256(built: Path, entry: FileEntry, parts: list[tuple[str, Path]], digests: dict[Path, str]) -> str:
    """A directory's sha256 from its listing and its files' digests (hard links, no second read)."""
    import os
    import shutil

    from gitmodel.infra.fileio import safe_target
    from gitmodel.infra.hashing import sha256_dir

    by_target: dict[str, str] = {}
    for rel, obj in parts:
        target = safe_target(built, rel, where=f"{entry.path}: {rel}", links="none")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(obj, target)
        except OSError:
            shutil.copyfile(obj, target)
        by_target[os.path.normpath(target)] = digests[obj]
    return sha256_dir(built, file_hash=lambda p: by_target.get(os.path.normpath(p)) or "")
