"""`gitmodel verify`: rehash the working tree's pinned files against a manifest (the working tree's, or a
release's). No DVC: the stat-keyed HashCache answers for files that did not change since they were hashed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import safe_target
from gitmodel.infra.hashing import HashCache
from gitmodel.infra.progress import Progress
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.repo import git
from gitmodel.repo.reading import load_manifests
from gitmodel.repo.sources import WorkTree, stored_dir_sha256, stored_sha256
from gitmodel.repo.tags import parse_ref
from gitmodel.storage.backends import backend_for, backend_named
from gitmodel.storage.export import locate_release
from gitmodel.storage.git_backend import GitBackend


def workspace_models(root: Path, cfg: Config, names: list[str] | None) -> dict[str, tuple[str, Manifest]]:
    """name → (manifest path, manifest) from the working tree, for `names` (all when empty)."""
    wanted = {validate_name(n) for n in names} if names else None
    if wanted:
        for name in sorted(wanted):
            if not (root / cfg.manifest_path(name)).exists():
                raise InvalidInput("no such model", where=cfg.manifest_path(name),
                                   hint="see `gitmodel ls`")
    cache = HashCache(git.git_dir(root), root)
    return load_manifests(WorkTree(root, cache), cfg, full=set(), names=wanted)



@dataclass(frozen=True)
class FileCheck:
    component: str
    path: str
    expected: str
    actual: str | None      # None: missing from the working tree
    note: str | None = None  # what the mismatch is when it is not a change (an LFS file not downloaded)

    @property
    def ok(self) -> bool:
        return self.actual == self.expected

    def line(self) -> str:
        if self.note:
            return f"{self.path}: {self.note}"
        if self.actual is None:
            return f"{self.path}: missing (expected sha256 {self.expected})"
        return f"{self.path}: expected sha256 {self.expected}, got {self.actual}"


@dataclass
class ModelVerify:
    name: str
    version: str
    against: str             # "working tree manifest" or the release tag
    files: list[FileCheck]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)


@dataclass
class VerifyReport:
    models: list[ModelVerify]

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.models)

    def mismatches(self) -> list[tuple[str, FileCheck]]:
        return [(m.name, f) for m in self.models for f in m.files if not f.ok]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "models": [
            {"name": m.name, "version": m.version, "against": m.against, "ok": m.ok,
             "files": [{"component": f.component, "path": f.path, "expected": f.expected, "actual": f.actual,
                        "ok": f.ok, **({"note": f.note} if f.note else {})} for f in m.files]}
            for m in self.models]}


def verify_manifest(root: Path, cache: HashCache, name: str, manifest: Manifest, against: str) -> ModelVerify:
    """Each pinned file of `manifest` rehashed in the work tree (through the cache)."""
    checks = []
    git_file = backend_named(GitBackend.name)  # the params file and the environment lock
    pinned = [(c, e.path, e.sha256, backend_for(e)) for c, e in manifest.files()] \
        + [(c, p, sha, git_file) for c, p, sha in manifest.pinned_extras()]
    # a git-stored file is the blob git stores for it (a CRLF checkout of an LF blob is the same file)
    in_git = [path for _, path, _, backend in pinned if backend.git_blob]
    stored = stored_sha256(cache, in_git)
    for component, path, expected, backend in pinned:
        full = safe_target(root, path, where=path)  # a link out of the repo is never followed (exit 2)
        if full.is_dir():
            actual: str | None = stored_dir_sha256(cache, path) if path in in_git else cache.dir_sha256(full)
        elif path in stored:
            actual = stored[path][0]
        elif full.is_file():
            actual = cache.sha256(full)
        else:
            actual = None
        note = backend.verify_note(full, path, expected) if actual not in (None, expected) else None
        checks.append(FileCheck(component, path, expected, actual, note))
    return ModelVerify(name, manifest.version, against, checks)


def verify(root: Path, ref: str | None = None, *, progress: Progress | None = None) -> VerifyReport:
    """Rehash (through the cache) the working tree's files against the manifest: the working tree's for
    `NAME` or all models, the release's for `NAME@vX.Y.Z` / `NAME#STAGE`."""
    cfg = load_config(root)
    cache = HashCache(git.git_dir(root), root, progress=progress)
    try:
        if ref is not None and parse_ref(ref)[1:] != (None, None):
            located = locate_release(root, ref)
            return VerifyReport([verify_manifest(root, cache, located.name, located.manifest, located.tag)])
        models = workspace_models(root, cfg, [ref] if ref else None)
        return VerifyReport([verify_manifest(root, cache, name, m, path)
                             for name, (path, m) in sorted(models.items())])
    finally:
        cache.save()
