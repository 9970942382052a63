"""push, pull, checkout and verify: moving a model's bytes between workspace, DVC cache and remote.

`verify` needs no DVC: it rehashes the working tree through the stat-keyed HashCache. The others reach
DVC only through `gitmodel.storage.dvc` and `gitmodel.storage.dvc_transfer`.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmodel.infra.errors import GitmodelError, InvalidInput, Refused
from gitmodel.infra.fileio import read_capped, safe_target
from gitmodel.infra.hashing import HashCache, sha256_dir, sha256_file
from gitmodel.infra.progress import Progress
from gitmodel.model import manifest as mf
from gitmodel.model import semver
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.names import validate_name
from gitmodel.repo import git
from gitmodel.repo.reading import load_manifests
from gitmodel.repo.saved import pinned_before
from gitmodel.repo.sources import WorkTree, stored_dir_sha256, stored_sha256
from gitmodel.repo.tags import parse_ref, read_tags
from gitmodel.storage.dvc_pointers import check_pointers, pointer_path
from gitmodel.storage.export import Located, locate_release
from gitmodel.storage.lfs import not_downloaded
from gitmodel.storage.placement import Placement, check_pinned_paths, place_verified

if TYPE_CHECKING:
    from gitmodel.storage.dvc_transfer import FetchResult


def _workspace_models(root: Path, cfg: Config, names: list[str] | None) -> dict[str, tuple[str, Manifest]]:
    """name → (manifest path, manifest) from the working tree, for `names` (all when empty)."""
    wanted = {validate_name(n) for n in names} if names else None
    if wanted:
        for name in sorted(wanted):
            if not (root / cfg.manifest_path(name)).exists():
                raise InvalidInput("no such model", where=cfg.manifest_path(name),
                                   hint="see `gitmodel ls`")
    cache = HashCache(git.git_dir(root), root)
    return load_manifests(WorkTree(root, cache), cfg, full=set(), names=wanted)


def _dedupe(entries: list[FileEntry]) -> list[FileEntry]:
    seen: dict[str, FileEntry] = {}
    for entry in entries:
        if entry.storage == "dvc" and entry.md5 and entry.md5 not in seen:
            seen[entry.md5] = entry
    return list(seen.values())


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
    from gitmodel.storage import dvc_transfer

    cfg = load_config(root)
    refs = [n for n in names or [] if "@" in n or "#" in n]
    plain = [n for n in names or [] if n not in refs]
    models = _workspace_models(root, cfg, plain) if plain or not refs else {}
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
    result = dvc_transfer.push_entries(root, _dedupe(entries), remote or cfg.remote, progress)
    objects = [("pushed", path, pinned_by.get(md5, [])) for path, md5 in zip(result.pushed, result.pushed_md5, strict=True)]
    objects += [("up to date", path, pinned_by.get(md5, []))
                for path, md5 in zip(result.up_to_date, result.up_to_date_md5, strict=True)]
    return PushReport(result.remote.name, result.remote.url, covered, result.pushed, result.up_to_date, objects)


# ------------------------------------------------------------------------------------------------ verify


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


def _verify_manifest(root: Path, cache: HashCache, name: str, manifest: Manifest, against: str) -> ModelVerify:
    checks = []
    lfs_paths = {e.path for _, e in manifest.files() if e.storage == "lfs"}
    pinned = [(c, e.path, e.sha256) for c, e in manifest.files()] + manifest.pinned_extras()
    # a git-stored file is the blob git stores for it (a CRLF checkout of an LF blob is the same file)
    in_git = [e.path for _, e in manifest.files() if e.storage == "git"] + [p for _, p, _ in manifest.pinned_extras()]
    stored = stored_sha256(cache, in_git)
    for component, path, expected in pinned:
        full = safe_target(root, path, where=path)  # a link out of the repo is never followed (exit 2)
        if full.is_dir():
            actual: str | None = stored_dir_sha256(cache, path) if path in in_git else cache.dir_sha256(full)
        elif path in stored:
            actual = stored[path][0]
        elif full.is_file():
            actual = cache.sha256(full)
        else:
            actual = None
        note = not_downloaded(full, path, expected) if path in lfs_paths and actual not in (None, expected) else None
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
            return VerifyReport([_verify_manifest(root, cache, located.name, located.manifest, located.tag)])
        models = _workspace_models(root, cfg, [ref] if ref else None)
        return VerifyReport([_verify_manifest(root, cache, name, m, path)
                             for name, (path, m) in sorted(models.items())])
    finally:
        cache.save()


# ------------------------------------------------------------------------------------------------ pull


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


def _modified_outputs(root: Path, cache: HashCache, entries: list[FileEntry], allowed: dict[str, set[str]]
                      ) -> list[str]:
    """DVC outputs present in the working tree whose content is none of the `allowed` sha256s."""
    dirty = []
    for entry in entries:
        full = root / entry.path
        if not full.exists():
            continue
        digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
        if digest not in allowed.get(entry.path, set()):
            dirty.append(entry.path)
    return dirty


def _place(root: Path, entries: list[FileEntry], fetched: FetchResult | None, *, where: str, retry: str,
           name: str = "NAME", progress: Progress | None = None) -> None:
    """Verify, then place the entries' bytes from the DVC cache (see gitmodel/storage/placement.py)."""
    if not entries or fetched is None:
        return
    by_md5 = {e.md5: fetched.objects[e.path] for e in _dedupe(entries) if e.path in fetched.objects}
    origin = {e.md5: fetched.origin(e.path) for e in _dedupe(entries)}
    plan = Placement(root, [(e, by_md5.get(e.md5, []), origin.get(e.md5, "local DVC cache")) for e in entries])
    place_verified(plan, where=where, retry=retry, name=name, progress=progress)


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
    from gitmodel.storage import dvc_transfer

    cfg = load_config(root)
    models = _workspace_models(root, cfg, names)
    cache = HashCache(git.git_dir(root), root, progress=progress)
    every = models
    if names:  # `pull NAME` must not clobber a file another model pins; a broken other manifest is its own problem
        with contextlib.suppress(GitmodelError):
            every = _workspace_models(root, cfg, None)
    check_pinned_paths([(path, e) for _, (path, m) in sorted(every.items()) for _, e in m.files()],
                       work_tree=True)
    dvc_paths = [e.path for _, (_, m) in sorted(models.items()) for _, e in m.files() if e.storage == "dvc"]
    tracked = sorted(git.ls_files_stage(root, _literal(dvc_paths))) if dvc_paths else []
    if tracked:  # a manifest that calls a git-tracked file (`serve.py`) DVC-stored would have pull replace it
        owner = next((p for _, (p, m) in sorted(models.items()) for _, e in m.files() if e.storage == "dvc"
                      and (tracked[0] == e.path or tracked[0].startswith(e.path + "/"))), "a manifest")
        raise InvalidInput(f"{tracked[0]} is tracked by git, but {owner} says DVC stores it", where=owner,
                           hint="a file is stored by git or by DVC, not both: fix the manifest's `storage:` (do "
                                "not pull this manifest as it is)")
    todo = []
    for name, (manifest_path, m) in sorted(models.items()):
        entries = [e for _, e in m.files() if e.storage == "dvc"]
        check_pointers([e.path for e in entries], _read_worktree(root))
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
    fetched = dvc_transfer.fetch_entries(root, _dedupe(todo), remote or cfg.remote, progress) if todo else None
    _place(root, todo, fetched, where="gitmodel pull", retry="gitmodel pull", progress=progress)
    report = VerifyReport([_verify_manifest(root, HashCache(git.git_dir(root), root, progress=progress), name, m, path)
                           for name, (path, m) in sorted(models.items())])
    in_git = [e.path for _, (_, m) in sorted(models.items()) for _, e in m.files() if e.storage != "dvc"]
    return PullReport(fetched.remote.url if fetched and fetched.remote else None,
                      fetched.fetched if fetched else [], [e.path for e in todo], report, in_git)


# -------------------------------------------------------------------------------------------- checkout


@dataclass
class CheckoutReport:
    name: str
    version: str
    tag: str
    restored: list[str]
    fetched: list[str]
    verify: VerifyReport

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "tag": self.tag, "restored": self.restored,
                "fetched": self.fetched, "verify": self.verify.to_json()}


def _git_paths(root: Path, located: Located) -> list[str]:
    """What checkout restores from git: manifest, pointers and their .gitignore, git-stored files."""
    m = located.manifest
    paths = [located.manifest_path]
    for _, entry in m.files():
        if entry.storage == "dvc":
            paths.append(pointer_path(entry.path))
            paths.append((Path(entry.path).parent / ".gitignore").as_posix())
        else:
            paths.append(entry.path)
    paths += [p for _, p, _ in m.pinned_extras()]
    present = git.ls_tree(root, located.commit, paths)
    return [p for p in dict.fromkeys(paths) if p in present]


def _known_states(root: Path, located: Located) -> list[str]:
    """Commits whose files count as saved: HEAD, the target, and the release the working tree holds
    (after `gitmodel checkout` of an older release its files differ from HEAD, yet nothing is lost)."""
    commits = [c for c in (git.head_commit(root), located.commit) if c]
    try:
        current = (root / located.manifest_path).read_bytes()
        version = mf.parse(current, where=located.manifest_path, full=False).version
        held = read_tags(root, {located.name}).release(located.name, semver.parse(version))
    except (OSError, GitmodelError):
        return commits
    if held is not None and git.show_file(root, held.commit, located.manifest_path) == current:
        commits.append(held.commit)
    return commits


def _literal(paths: list[str]) -> list[str]:
    """Paths from a manifest as git pathspecs that match only themselves: a pinned file named `*` or
    `:(top)` would otherwise make `git restore` put back (and `git status` judge) every file in the tree."""
    return [f":(literal){p}" for p in paths]


def _uncommitted(root: Path, located: Located, git_paths: list[str], dvc_entries: list[FileEntry]) -> list[str]:
    """Paths whose working content no known state has: what checkout would destroy."""
    states = _known_states(root, located)
    trees = [git.ls_tree(root, commit, git_paths) for commit in states]
    dirty = []
    for path in git.dirty_paths(root, _literal(git_paths)):
        full = root / path
        if full.is_file():
            oid = git.hash_object(root, full)
            if any(tree.get(path) is not None and tree[path].oid == oid for tree in trees):
                continue
        elif not full.exists() and any(path not in tree for tree in trees):
            continue
        dirty.append(path)
    # DVC outputs are git-ignored: saved means some known state's manifest pins their content.
    allowed: dict[str, set[str]] = {}
    for commit in states:
        blob = git.show_file(root, commit, located.manifest_path)
        if blob is None:
            continue
        try:
            known = mf.parse(blob, where=f"{commit[:12]}:{located.manifest_path}", full=False)
        except GitmodelError:
            continue
        for _, e in known.files():
            allowed.setdefault(e.path, set()).add(e.sha256)
    cache = HashCache(git.git_dir(root), root)
    dirty += _modified_outputs(root, cache, dvc_entries, allowed)
    cache.save()
    return dirty


def _smudge_lfs_pointers(root: Path, located: Located) -> None:
    """`git restore` smudges LFS files where git-lfs is configured; elsewhere fetch and verify the bytes."""
    from gitmodel.storage.lfs import fetch_lfs_file, worktree_pointer

    for _, entry in located.manifest.files():
        if entry.storage == "lfs" and worktree_pointer(root / entry.path) is not None:
            fetch_lfs_file(root, located.commit, entry.path, root / entry.path, expected_sha256=entry.sha256)


def checkout(root: Path, ref: str, *, force: bool = False, remote: str | None = None,
             progress: Progress | None = None) -> CheckoutReport:
    """Restore one release's components into the working tree: its manifest, DVC pointers, prompts,
    params and environment files from git, and its weights and data from the DVC cache or remote.

    The manifest comes back too, so the working tree is that release and `gitmodel verify NAME` passes;
    the index and HEAD are left alone (review with `git status`, undo with `git restore`).
    """
    from gitmodel.storage import dvc_transfer

    cfg = load_config(root)
    if parse_ref(ref)[1:] == (None, None):
        raise InvalidInput("name a release: NAME@vX.Y.Z or NAME#STAGE", where=ref,
                           hint=f"see `gitmodel versions {ref}`")
    located = locate_release(root, ref)
    git_paths = _git_paths(root, located)
    dvc_entries = [e for _, e in located.manifest.files() if e.storage == "dvc"]
    for _, e in located.manifest.files():
        safe_target(root, e.path, where=f"{located.tag}: {e.path}")
    for path in git_paths:
        safe_target(root, path, where=f"{located.tag}: {path}")
    check_pinned_paths([(located.tag, e) for _, e in located.manifest.files()], work_tree=True)
    in_git = sorted(git.ls_tree(root, located.commit, [e.path for e in dvc_entries])) if dvc_entries else []
    if in_git:  # placing the DVC copy would replace (a directory of) files the release keeps in git
        raise InvalidInput(f"{in_git[0]} is in git at {located.tag}, but its manifest says DVC stores it",
                           where=located.tag, hint="a file is stored by git or by DVC, not both: do not check "
                                                   "out this release; fix its manifest in a new version")
    check_pointers([e.path for e in dvc_entries], lambda p: git.show_file(root, located.commit, p))
    if not force:
        dirty = _uncommitted(root, located, git_paths, dvc_entries)
        if dirty:
            raise Refused("uncommitted changes would be overwritten: " + ", ".join(sorted(dirty)),
                          where=located.manifest_path,
                          hint=f"commit or stash them, or rerun with `gitmodel checkout {ref} --force`")
    fetched = (dvc_transfer.fetch_entries(root, _dedupe(dvc_entries), remote or cfg.remote, progress)
               if dvc_entries else None)
    # Every byte is verified (and every path checked) before git restores anything.
    _place(root, dvc_entries, fetched, where=located.tag, retry=f"gitmodel checkout {ref}", name=located.name,
           progress=progress)
    git.run(root, "restore", f"--source={located.commit}", "--worktree", "--", *_literal(git_paths))
    _smudge_lfs_pointers(root, located)
    report = VerifyReport([_verify_manifest(root, HashCache(git.git_dir(root), root, progress=progress), located.name,
                                            located.manifest, located.tag)])
    return CheckoutReport(located.name, located.version, located.tag, git_paths + [e.path for e in dvc_entries],
                          fetched.fetched if fetched else [], report)
