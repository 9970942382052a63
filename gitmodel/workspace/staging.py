"""How `add` and `bump` leave the repository: what they stage, and what they put back when they fail (nothing
half-done: the manifest, pointers, .gitattributes and the index as they were)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from gitmodel.infra.errors import ExternalFailure, InvalidInput
from gitmodel.infra.fileio import safe_target
from gitmodel.model import manifest as mf
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.repo import git
from gitmodel.storage.backend import Setup
from gitmodel.storage.backends import backend_for, backend_named, by_backend


def _stage(root: Path, paths: list[str]) -> list[str]:
    """Stage what a commit of this model needs: manifest, pointers, .gitignore files, git-stored files."""
    todo = []
    for p in dict.fromkeys(paths):
        if (root / p).exists() or git.is_tracked(root, p):
            todo.append(p)
    git.add(root, todo)
    return todo


def _tracking_paths(root: Path, entries: Iterable[FileEntry]) -> list[str]:
    """What `git add` stages for each entry, as its backend says (a DVC pointer and its .gitignore, ...)."""
    return [path for e in entries for path in backend_for(e).stage_paths(root, e)]


def _extra_paths(m: Manifest) -> list[str]:
    """Pinned git files beside the model's files: the params file and the environment lock."""
    return [path for _, path, _ in m.pinned_extras()]


def stage_model(root: Path, manifest_path: str, m: Manifest, extra: Sequence[str] = ()) -> list[str]:
    """Stage the manifest, what it pins and `extra`, then have each backend check its files went in as they
    should (an LFS file as the pointer naming its sha256)."""
    staged = _stage(root, [manifest_path, *_tracking_paths(root, [e for _, e in m.files()]), *_extra_paths(m),
                           *extra, *(p for p in mf.SCHEMA_COPIES if not git.is_tracked(root, p))])
    for backend, entries in by_backend(e for _, e in m.files()):
        backend.check_staged(root, entries)
    return staged


def preflight(root: Path, manifest_path: str, *, stage: bool) -> list[str]:
    """Refuse before anything is written: a manifest directory that leads out of the repo (exit 2), a
    locked git index that would fail the final `git add` (exit 3, naming the lock file). Then put back what
    a killed run's `dvc add` had taken away (storage/inflight.py); a note for each path put back."""
    from gitmodel.storage import inflight

    safe_target(root, manifest_path, where=manifest_path)
    lock = git.git_dir(root) / "index.lock"
    if stage and lock.exists():
        raise ExternalFailure("git's index is locked: another git command is running, or one crashed",
                              where=str(lock), hint=f"if no git command is running, remove {lock}, then retry")
    return inflight.recover_notes(root)


@contextlib.contextmanager
def all_or_nothing(root: Path, paths: Iterable[str]) -> Iterator[None]:
    """Put these files back as they were (or remove them) when the block fails: nothing half-done."""
    before = {p: (root / p).read_bytes() if (root / p).is_file() else None for p in dict.fromkeys(paths)}
    try:
        yield
    except BaseException:
        for path, data in before.items():
            with contextlib.suppress(OSError):
                if data is None:
                    (root / path).unlink(missing_ok=True)
                elif (root / path).read_bytes() != data:
                    (root / path).write_bytes(data)
        raise


def refuse_links(root: Path, path: str, flag: str) -> None:
    """A model file that is itself a symlink is refused: git would store the link, not the bytes the
    manifest pins, and the commit hook would then block every commit of it."""
    if os.path.islink(root / path):
        raise InvalidInput(f"{path} is a symlink; gitmodel pins files, not links", where=flag,
                           hint="pin the file it points to, or replace the link with a copy")


def undo_paths(manifest_path: str, files: Iterable[tuple[str, str]]) -> list[str]:
    """What add/bump may write: the manifest, dvc.yaml, and what each file's backend writes beside it (a DVC
    file's pointer and .gitignore). `files` are (storage, path)."""
    paths = [manifest_path, "dvc.yaml"]
    for storage, path in files:
        paths += backend_named(storage).written_paths(path)
    return paths


def prepare(root: Path, files: Iterable[tuple[str, str]]) -> list[Setup]:
    """Have each backend make `git add` store its (storage, path) files its way (Git LFS: `git lfs track`)."""
    groups: dict[str, list[str]] = {}
    for storage, path in files:
        groups.setdefault(storage, []).append(path)
    return [setup for storage, paths in groups.items() if (setup := backend_named(storage).prepare(root, paths))]


def untrack(root: Path, paths: list[str]) -> dict[str, git.IndexEntry]:
    """`git rm --cached` the paths; returns their index entries, so a failed add can put them back."""
    if not paths:
        return {}
    before = git.ls_files_stage(root, paths)
    git.run(root, "rm", "-r", "--cached", "-q", "--", *paths)
    return before


def restore_index(root: Path, entries: Mapping[str, git.IndexEntry]) -> None:
    if entries:
        info = "".join(f"{e.mode} {e.oid}\t{e.path}\n" for e in entries.values())
        git.run(root, "update-index", "--index-info", input=info.encode("utf-8", "surrogateescape"))


def sync_dvc_yaml(root: Path, manifest: Manifest) -> list[str]:
    """Keep dvc.yaml `artifacts:` in step (see gitmodel/storage/dvc_yaml.py); the path to stage when it changed."""
    from gitmodel.storage.dvc_yaml import sync_artifact

    try:
        result = sync_artifact(root, manifest)
    except InvalidInput:
        return []  # a broken dvc.yaml must not undo an add/bump that already ran; `gitmodel tag` warns
    return [result.path] if result.changed else []
