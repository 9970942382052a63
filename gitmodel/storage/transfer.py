"""push and pull: moving a model's bytes between workspace, backend store and remote, each file through its
backend (gitmodel/storage/backends.py): DVC's objects by md5, every byte verified before it is placed.
`checkout` (one release into the work tree) is gitmodel/storage/checkout.py; `verify` is verify.py.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import GitmodelError, InvalidInput, Refused
from gitmodel.infra.fileio import read_capped, safe_target
from gitmodel.infra.hashing import HashCache, sha256_dir, sha256_file
from gitmodel.infra.progress import Progress
from gitmodel.model.config import load_config
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.repo import git
from gitmodel.repo.saved import pinned_before
from gitmodel.repo.tags import parse_ref, read_tags
from gitmodel.storage.backend import Batch
from gitmodel.storage.backends import BACKENDS, backend_for, by_backend
from gitmodel.storage.export import locate_release
from gitmodel.storage.placement import check_pinned_paths
from gitmodel.storage.verify import VerifyReport, verify_manifest, workspace_models

# ------------------------------------------------------------------------------------------------ push


@dataclass
class PushReport:
    remote: str
    url: str
    models: dict[str, list[str]]      # model → what was covered ("workspace", "v0.1.0", ...)
    pushed: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    # one line per object: (status, path, the versions that pin it: "sentiment v0.1.0", "sentiment workspace")
    objects: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"remote": self.remote, "url": self.url, "models": self.models, "pushed": self.pushed,
                "up_to_date": self.up_to_date,
                "objects": [{"status": s, "path": p, "versions": v} for s, p, v in self.objects]}


def push(root: Path, names: list[str] | None = None, *, all_releases: bool = False,
         remote: str | None = None, progress: Progress | None = None) -> PushReport:
    """Send the DVC objects of the models' weights and data (working tree; `NAME@vX.Y.Z` for one release;
    plus every release with `all_releases`) to the remote."""
    from gitmodel.storage.dvc_transfer import PushResult

    cfg = load_config(root)
    refs = [n for n in names or [] if "@" in n or "#" in n]
    plain = [n for n in names or [] if n not in refs]
    models = workspace_models(root, cfg, plain) if plain or not refs else {}
    covered: dict[str, list[str]] = {name: ["workspace"] for name in models}
    entries: list[FileEntry] = []
    pinned_by: dict[str, list[str]] = {}  # md5 → who pins it

    def take(name: str, label: str, manifest: Manifest) -> None:
        for _, entry in manifest.files():
            entries.append(entry)
            if entry.md5 and f"{name} {label}" not in pinned_by.setdefault(entry.md5, []):
                pinned_by[entry.md5].append(f"{name} {label}")

    for name, (_, m) in sorted(models.items()):
        take(name, "workspace", m)
    tags = read_tags(root) if refs or all_releases else None
    for ref in refs:
        located = locate_release(root, ref, tags=tags)
        take(located.name, f"v{located.version}", located.manifest)
        covered.setdefault(located.name, []).append(f"v{located.version}")
    if all_releases:
        assert tags is not None
        wanted = set(plain) | {parse_ref(r)[0] for r in refs} if names else set(models) | set(tags.releases)
        for name in sorted(wanted):
            for release in tags.active_releases(name):
                located = locate_release(root, release.tag, tags=tags)
                take(name, f"v{release.version}", located.manifest)
                if f"v{release.version}" not in covered.setdefault(name, []):
                    covered[name].append(f"v{release.version}")
    # every backend is asked, an empty one too: DVC then still names its remote (or says none is configured)
    results = [r for backend in BACKENDS.values()
               if (r := backend.push(root, [e for e in entries if backend_for(e) is backend], remote or cfg.remote,
                                  progress=progress))
               is not None]
    result = results[0]  # DVC's: the one backend whose objects `git push` does not carry
    assert isinstance(result, PushResult)
    objects = [("pushed", path, pinned_by.get(md5, [])) for path, md5 in zip(result.pushed, result.pushed_md5, strict=True)]
    objects += [("up to date", path, pinned_by.get(md5, []))
                for path, md5 in zip(result.up_to_date, result.up_to_date_md5, strict=True)]
    return PushReport(result.remote.name, result.remote.url, covered, result.pushed, result.up_to_date, objects)



# ------------------------------------------------------------------------------------------------ pull


def literal(paths: list[str]) -> list[str]:
    """Paths from a manifest as git pathspecs that match only themselves: a pinned file named `*` or
    `:(top)` would otherwise make `git restore` put back (and `git status` judge) every file in the tree."""
    return [f":(literal){p}" for p in paths]


@dataclass
class PullReport:
    remote: str | None
    fetched: list[str]
    checked_out: list[str]
    verify: VerifyReport
    in_git: list[str] = field(default_factory=list)  # git- and LFS-stored files: git restores them, not pull

    def to_json(self) -> dict[str, Any]:
        return {"remote": self.remote, "fetched": self.fetched, "checked_out": self.checked_out,
                "verify": self.verify.to_json(), "in_git": self.in_git}


def place(root: Path, entries: list[FileEntry], *, remote: str | None, where: str, retry: str, name: str = "NAME",
          progress: Progress | None = None) -> list[Batch]:
    """Fetch, verify, then place the entries' bytes, each backend its own (gitmodel/storage/placement.py)."""
    return [backend.place(root, group, remote=remote, where=where, retry=retry, name=name, progress=progress)
            for backend, group in by_backend(entries)]


def fetched_from(batches: list[Batch]) -> tuple[str | None, list[str]]:
    """(the remote the objects came from, the paths fetched from it now)."""
    return next((b.remote for b in batches if b.remote), None), [p for b in batches for p in b.fetched]


def moved_by_gitmodel(entry: FileEntry) -> bool:
    """Entries `pull` and `checkout` place themselves (DVC's); git restores the others."""
    return backend_for(entry).moved_by_gitmodel


def check_pointers(entries: list[FileEntry], read: Callable[[str], bytes | None]) -> None:
    for backend, group in by_backend(entries):
        backend.check_pointers(group, read)


def _read_worktree(root: Path) -> Any:
    def read(path: str) -> bytes | None:
        full = root / path
        return read_capped(full, where=path) if full.is_file() else None

    return read


def pull(root: Path, names: list[str] | None = None, *, remote: str | None = None, force: bool = False,
         progress: Progress | None = None) -> PullReport:
    """Fetch the DVC objects of the models at HEAD (working tree manifests), verify them, place them.

    A working file that some earlier commit or release pinned (the older weights a `git pull` left) is
    replaced without asking; one no commit knows is work, kept unless `force`.
    """
    cfg = load_config(root)
    models = workspace_models(root, cfg, names)
    cache = HashCache(git.git_dir(root), root, progress=progress)
    every = models
    if names:  # `pull NAME` must not clobber a file another model pins; a broken other manifest is its own problem
        with contextlib.suppress(GitmodelError):
            every = workspace_models(root, cfg, None)
    check_pinned_paths([(path, e) for _, (path, m) in sorted(every.items()) for _, e in m.files()],
                       work_tree=True)
    dvc_paths = [e.path for _, (_, m) in sorted(models.items()) for _, e in m.files() if moved_by_gitmodel(e)]
    tracked = sorted(git.ls_files_stage(root, literal(dvc_paths))) if dvc_paths else []
    if tracked:  # a manifest that calls a git-tracked file (`serve.py`) DVC-stored would have pull replace it
        owner = next((p for _, (p, m) in sorted(models.items()) for _, e in m.files() if moved_by_gitmodel(e)
                      and (tracked[0] == e.path or tracked[0].startswith(e.path + "/"))), "a manifest")
        raise InvalidInput(f"{tracked[0]} is tracked by git, but {owner} says DVC stores it", where=owner,
                           hint="a file is stored by git or by DVC, not both: fix the manifest's `storage:` (do "
                                "not pull this manifest as it is)")
    todo = []
    for name, (manifest_path, m) in sorted(models.items()):
        entries = [e for _, e in m.files() if moved_by_gitmodel(e)]
        check_pointers(entries, _read_worktree(root))
        known: dict[str, set[str]] | None = None
        for entry in entries:
            full = safe_target(root, entry.path, where=entry.path)
            if os.path.lexists(full):
                if force:  # read the bytes again: damage that kept size and mtime fools any stat cache
                    digest = sha256_dir(full) if full.is_dir() else sha256_file(full, progress=progress)
                else:
                    digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
                if digest == entry.sha256:
                    continue
                known = known if known is not None else pinned_before(root, name, manifest_path)
                if not force and digest not in known.get(entry.path, set()):
                    cache.save()
                    raise Refused(f"has changes that no commit of {manifest_path} pins",
                                  where=entry.path,
                                  hint="record them with `gitmodel bump`, or discard them with "
                                       "`gitmodel pull --force`")
            todo.append(entry)
    cache.save()
    url, fetched = fetched_from(place(root, todo, remote=remote or cfg.remote, where="gitmodel pull",
                                      retry="gitmodel pull", progress=progress))
    report = VerifyReport([verify_manifest(root, HashCache(git.git_dir(root), root, progress=progress), name, m, path)
                           for name, (path, m) in sorted(models.items())])
    in_git = [e.path for _, (_, m) in sorted(models.items()) for _, e in m.files() if not moved_by_gitmodel(e)]
    return PullReport(url, fetched, [e.path for e in todo], report, in_git)
