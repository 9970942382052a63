"""Export one release, every byte verified: `gitmodel get` and the serving API's `resolve` share this.

Each file comes from its backend (gitmodel/storage/backends.py): DVC's from its cache (fetched from the
remote by md5 when missing: the release's pointer need not be in the workspace), Git LFS's through git-lfs,
prompts, params and the manifest from git at the tag. Every file is written below a staging directory and
its sha256 checked against the manifest; only when all match is anything moved into place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.infra.fileio import path_clash, safe_target, temp_beside
from gitmodel.infra.hashing import sha256_bytes
from gitmodel.infra.progress import Progress
from gitmodel.model import manifest as mf
from gitmodel.model import semver
from gitmodel.model.config import load_config
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.names import validate_name
from gitmodel.repo import git
from gitmodel.repo.refs import current_stages
from gitmodel.repo.tags import TagIndex, parse_ref, read_tags
from gitmodel.repo.unit_refs import release_problem
from gitmodel.storage.backends import backend_for, by_backend
from gitmodel.storage.git_backend import write_new
from gitmodel.storage.placement import Mismatch, check_pinned_paths, integrity_error


@dataclass(frozen=True)
class Located:
    """A release's manifest as committed at its tag."""

    name: str
    version: str
    tag: str
    commit: str
    manifest_path: str
    manifest: Manifest
    manifest_bytes: bytes

    @property
    def fingerprint(self) -> str:
        return self.manifest.fingerprint()


def locate_release(root: Path, ref: str, *, tags: TagIndex | None = None) -> Located:
    """`NAME@vX.Y.Z`, `NAME#STAGE` or `NAME` (its latest release) → the manifest at that release's tag."""
    name, version, stage = parse_ref(ref)
    validate_name(name)
    tags = tags if tags is not None else read_tags(root, {name})
    deprecated = tags.deprecation(name)
    if version is None and deprecated is not None:  # as GTO: a deprecated model has no stage and no latest
        raise Refused(f"{name} is deprecated ({deprecated}): no {'stage' if stage else 'latest release'} to serve",
                      where=ref, hint=f"name a version ({name}@vX.Y.Z), or release a new version to revive it")
    if stage is not None:
        stages = current_stages(tags, name)
        if stage not in stages:
            raise Refused(f"no version of {name} is in stage {stage!r}", where=ref,
                          hint=f"see `gitmodel stages {name}`, or promote one with `gitmodel promote`")
        version = stages[stage]
    if version is None:
        latest = tags.latest(name)
        if latest is None:
            raise InvalidInput(f"{name} has no release", where=ref,
                               hint=f"release it with `gitmodel tag {name}` (or `git tag -a {name}@v0.1.0`)")
        release = latest
    else:
        found = tags.release(name, semver.parse(version, where=ref))
        if found is None:
            known = ", ".join(str(r.version) for r in tags.active_releases(name)) or "none"
            raise InvalidInput(f"no release {name}@v{version} (releases: {known})", where=ref,
                               hint=f"see `gitmodel versions {name}`")
        release = found
    path = release.meta("manifest") or load_config(root).manifest_path(name)
    blob = git.show_file(root, release.commit, path)
    if blob is None:
        raise InvalidInput(f"the tag's commit has no {path}", where=release.tag,
                           hint="the release tag points at a commit without the manifest; re-tag it")
    manifest = mf.parse(blob, where=f"{release.tag}:{path}", full=False)
    problem = release_problem(release, manifest, path)  # the one release-integrity rule (references use it too)
    if problem is not None:
        raise Refused(problem, where=release.tag,
                      hint=f"compare with `gitmodel show {release.tag}`; a moved tag: delete it and re-tag")
    return Located(name, str(release.version), release.tag, release.commit, path, manifest, blob)


@dataclass(frozen=True)
class ExportedFile:
    path: str        # relative to the repo root (and to the export directory)
    component: str
    sha256: str
    size: int


@dataclass
class Staged:
    files: list[ExportedFile] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    remote: str | None = None


def _pinned(manifest: Manifest) -> list[tuple[str, FileEntry]]:
    """Every pinned file: components, plus the params file and environment lock as git files."""
    items = list(manifest.files())
    for component, path, sha in manifest.pinned_extras():
        items.append((component, FileEntry(path=path, sha256=sha, size=-1, storage="git")))
    return items


def stage_release(root: Path, located: Located, staging: Path, *, remote: str | None = None,
                  include_manifest: bool = True, progress: Progress | None = None) -> Staged:
    """Write the release's files below `staging` (repo-relative layout) and check every sha256.

    A mismatch raises Refused naming each file with the expected and actual hash; a cache object found
    corrupt on the way is removed so the next attempt fetches it again.
    """
    items = _pinned(located.manifest)
    staged = Staged()
    check_pinned_paths([(located.tag, e) for _, e in items], work_tree=False)
    # each backend brings its bytes in one go (DVC's from its cache or remote, git's blobs in one call)
    batches = {backend.name: backend.fetch(root, located.commit, entries, remote=remote, progress=progress)
               for backend, entries in by_backend(e for _, e in items)}
    for batch in batches.values():
        staged.fetched += batch.fetched
        staged.remote = staged.remote or batch.remote
    mismatches: list[str] = []
    bad_objects: list[Mismatch] = []
    for component, entry in items:
        dest = safe_target(staging, entry.path, where=f"{located.tag}: {entry.path}", links="none")
        dest.parent.mkdir(parents=True, exist_ok=True)
        written = backend_for(entry).write(root, located.commit, batches[entry.storage], entry, dest,
                                           progress=progress)
        if written.mismatch is not None:
            bad_objects.append(written.mismatch)
            continue
        if written.problem is not None:
            mismatches.append(written.problem)
            continue
        if written.sha256 != entry.sha256:
            mismatches.append(f"{entry.path}: expected sha256 {entry.sha256}, got {written.sha256}")
            continue
        size = entry.size if entry.size >= 0 else dest.stat().st_size
        staged.files.append(ExportedFile(entry.path, component, entry.sha256, size))
    if bad_objects:
        raise integrity_error(bad_objects, where=located.tag, retry=f"gitmodel get {located.tag} --out DIR",
                              name=located.name)
    if mismatches:
        raise Refused("integrity check failed, nothing was placed: " + "; ".join(mismatches), where=located.tag,
                      hint="the release's git or LFS content does not match its manifest: do not use this "
                           "release; re-pin the true files with `gitmodel bump NAME` in a new version")
    if include_manifest:
        dest = safe_target(staging, located.manifest_path, where=f"{located.tag}: manifest", links="none")
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_new(dest, located.manifest_bytes)
        staged.files.append(ExportedFile(located.manifest_path, "manifest", sha256_bytes(located.manifest_bytes),
                                         len(located.manifest_bytes)))
    return staged


@dataclass
class GetResult:
    name: str
    version: str
    tag: str
    fingerprint: str
    out_dir: Path
    files: list[ExportedFile]
    fetched: list[str]
    remote: str | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "tag": self.tag, "fingerprint": self.fingerprint,
                "out": str(self.out_dir), "remote": self.remote, "fetched": self.fetched,
                "files": [{"path": f.path, "component": f.component, "sha256": f.sha256, "size": f.size}
                          for f in self.files]}


def _top_paths(files: list[ExportedFile]) -> list[str]:
    return list(dict.fromkeys(f.path for f in files))


def get(root: Path, ref: str, out_dir: Path, *, remote: str | None = None, progress: Progress | None = None
        ) -> GetResult:
    """Export one release into `out_dir` (repo-relative layout). All or nothing: every file is verified
    under a temporary name before the first is renamed into place."""
    located = locate_release(root, ref)
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput("exists and is not a directory", where=f"--out {out_dir}",
                           hint="name a new or empty directory")
    wanted = [e.path for _, e in _pinned(located.manifest)] + [located.manifest_path]
    # Checked before the first write: each path is data (from the manifest and the tag), and nothing is
    # written through a symlink found below --out.
    targets = {p: safe_target(out_dir, p, where=f"--out {out_dir}: {p}", links="none") for p in wanted}
    if problem := path_clash(wanted):  # e.g. a file pinned at the manifest's own path
        raise InvalidInput(problem, where=located.tag, hint="each path is pinned once, as a file of the model: "
                                                            "fix the manifest (or do not use this version)")
    _refuse_existing(out_dir, wanted, targets)
    created: list[Path] = []
    probe = out_dir
    while not probe.exists():
        created.append(probe)
        probe = probe.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    with _one_writer(out_dir):
        return _get_locked(root, located, out_dir, wanted, targets, created, remote=remote, progress=progress)


def _refuse_existing(out_dir: Path, wanted: list[str], targets: dict[str, Path]) -> None:
    clash = [p for p in wanted if os.path.lexists(targets[p])]
    if clash:
        raise Refused(f"{out_dir / clash[0]} already exists", where="--out",
                      hint="export into an empty or new directory")


@contextlib.contextmanager
def _one_writer(directory: Path) -> Any:
    """One `get` at a time into `directory`: an exclusive flock on the directory itself (no lock file is
    left in the user's export). A second `get` waits, then finds the files and refuses."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _get_locked(root: Path, located: Located, out_dir: Path, wanted: list[str], targets: dict[str, Path],
                created: list[Path], *, remote: str | None, progress: Progress | None) -> GetResult:
    try:
        _refuse_existing(out_dir, wanted, targets)  # again, under the lock: another `get` may have placed them
    except Refused:
        for directory in sorted(set(created), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    staging = temp_beside(out_dir / "gitmodel-get", directory=True)  # sweeps one a `get` killed mid-way left
    placed: list[Path] = []
    try:
        staged = stage_release(root, located, staging, remote=remote, progress=progress)
        for path in _top_paths(staged.files):
            dest = safe_target(out_dir, path, where=f"--out {out_dir}: {path}", links="none")
            parent = dest.parent
            missing_dirs = []
            while not parent.exists():
                missing_dirs.append(parent)
                parent = parent.parent
            dest.parent.mkdir(parents=True, exist_ok=True)
            created.extend(missing_dirs)
            os.rename(staging / path, dest)
            placed.append(dest)
    except BaseException:
        for dest in reversed(placed):
            shutil.rmtree(dest, ignore_errors=True) if dest.is_dir() else dest.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        for directory in sorted(set(created), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return GetResult(located.name, located.version, located.tag, located.fingerprint, out_dir, staged.files,
                     staged.fetched, staged.remote)
