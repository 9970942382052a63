"""`gitmodel checkout NAME@vX.Y.Z`: one release's components back into the working tree — what git holds
restored by git, what a backend's store holds (DVC) fetched and verified before anything is placed — refusing
to overwrite work no known state has."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import GitmodelError, InvalidInput, Refused
from gitmodel.infra.fileio import safe_target
from gitmodel.infra.hashing import HashCache
from gitmodel.infra.progress import Progress
from gitmodel.model import manifest as mf
from gitmodel.model import semver
from gitmodel.model.config import load_config
from gitmodel.model.manifest import FileEntry
from gitmodel.repo import git
from gitmodel.repo.tags import parse_ref, read_tags
from gitmodel.storage.backends import backend_for, by_backend
from gitmodel.storage.export import Located, locate_release
from gitmodel.storage.placement import check_pinned_paths
from gitmodel.storage.transfer import check_pointers, fetched_from, literal, moved_by_gitmodel, place
from gitmodel.storage.verify import VerifyReport, verify_manifest


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
        paths += backend_for(entry).restore_paths(entry)
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


def _uncommitted(root: Path, located: Located, git_paths: list[str], dvc_entries: list[FileEntry]) -> list[str]:
    """Paths whose working content no known state has: what checkout would destroy."""
    states = _known_states(root, located)
    trees = [git.ls_tree(root, commit, git_paths) for commit in states]
    dirty = []
    for path in git.dirty_paths(root, literal(git_paths)):
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


def checkout(root: Path, ref: str, *, force: bool = False, remote: str | None = None,
             progress: Progress | None = None) -> CheckoutReport:
    """Restore one release's components into the working tree: its manifest, DVC pointers, prompts,
    params and environment files from git, and its weights and data from the DVC cache or remote.

    The manifest comes back too, so the working tree is that release and `gitmodel verify NAME` passes;
    the index and HEAD are left alone (review with `git status`, undo with `git restore`).
    """
    cfg = load_config(root)
    if parse_ref(ref)[1:] == (None, None):
        raise InvalidInput("name a release: NAME@vX.Y.Z or NAME#STAGE", where=ref,
                           hint=f"see `gitmodel versions {ref}`")
    located = locate_release(root, ref)
    git_paths = _git_paths(root, located)
    dvc_entries = [e for _, e in located.manifest.files() if moved_by_gitmodel(e)]
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
    check_pointers(dvc_entries, lambda p: git.show_file(root, located.commit, p))
    if not force:
        dirty = _uncommitted(root, located, git_paths, dvc_entries)
        if dirty:
            raise Refused("uncommitted changes would be overwritten: " + ", ".join(sorted(dirty)),
                          where=located.manifest_path,
                          hint=f"commit or stash them, or rerun with `gitmodel checkout {ref} --force`")
    # Every byte is verified (and every path checked) before git restores anything.
    _url, fetched = fetched_from(place(root, dvc_entries, remote=remote or cfg.remote, where=located.tag,
                                       retry=f"gitmodel checkout {ref}", name=located.name,
                                       progress=progress))
    git.run(root, "restore", f"--source={located.commit}", "--worktree", "--", *literal(git_paths))
    for backend, entries in by_backend(e for _, e in located.manifest.files()):
        backend.after_restore(root, located.commit, entries)
    report = VerifyReport([verify_manifest(root, HashCache(git.git_dir(root), root, progress=progress), located.name,
                                            located.manifest, located.tag)])
    return CheckoutReport(located.name, located.version, located.tag, git_paths + [e.path for e in dvc_entries],
                          fetched, report)
