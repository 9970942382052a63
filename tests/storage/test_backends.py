"""Every registered storage backend answers the protocol (gitmodel/storage/backend.py) on a real repository:
real git, real DVC with a local remote, real git-lfs with a `file://` LFS remote (git-lfs serves it with its
standalone transfer agent). And no code outside gitmodel/storage/ branches on a storage name."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.hashing import HashCache
from gitmodel.model.components import pinned_by_kind
from gitmodel.model.config import load_config
from gitmodel.model.manifest import STORAGES, FileEntry, load
from gitmodel.model.records import replace
from gitmodel.repo import git as gitcli
from gitmodel.repo.sources import Commit, Index, Source, WorkTree
from gitmodel.storage import dvc as dvcstore
from gitmodel.storage.backend import Backend
from gitmodel.storage.backends import BACKENDS, backend_for, backend_named, by_backend
from gitmodel.storage.lfs import routed
from tests.kit.git import git
from tests.kit.tools import need_tool

WEIGHTS = b"\x00weights in DVC\x00" * 200
DATA = b"\x00data in Git LFS\x00" * 200
PROMPT = b"You are a classifier.\n"
FILES = {"dvc": ("w.bin", WEIGHTS), "lfs": ("d.bin", DATA), "git": ("p.txt", PROMPT)}
TAG = "m@v0.1.0"

# What each registered backend is, as data; a new backend adds its line (test_the_registry_is_the_manifests_choices).
KIND = {  # name: (its content id is the md5, pointer suffix, bytes beside git, moved by gitmodel, git blob)
    "dvc": (True, ".dvc", True, True, False),
    "git": (False, None, False, False, True),
    "lfs": (False, None, True, False, False),
}


@dataclass
class Repo:
    root: Path
    origin: Path
    commit: str
    entries: dict[str, FileEntry]  # by storage

    def sources(self) -> list[Source]:
        cache = HashCache(gitcli.git_dir(self.root), self.root)
        return [WorkTree(self.root, cache), Index(self.root, cache), Commit(self.root, cache, self.commit)]


@pytest.fixture
def real(repo: Path, tmp_path: Path) -> Repo:
    """A model whose weights are in DVC, data in Git LFS and prompt in git; committed and released."""
    from gitmodel.workspace.edit import add_model
    from gitmodel.workspace.init_repo import init_repo

    need_tool("git-lfs")
    subprocess.run(["git", "lfs", "install", "--skip-repo"], check=True, capture_output=True)
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(repo, "remote", "add", "origin", origin.as_uri())
    init_repo(repo, hooks=False)
    for path, data in FILES.values():
        (repo / path).write_bytes(data)
    add_model(repo, "m", weights=[FILES["dvc"][0]], data=[FILES["lfs"][0]], prompts=[FILES["git"][0]],
              force_lfs=[FILES["lfs"][0]])
    git(repo, "commit", "-q", "-m", "m 0.1.0")
    git(repo, "tag", "-a", TAG, "-m", "first release")
    manifest = load(repo / "models" / "m.yaml")
    entries = {e.storage: e for _, e in manifest.files()}
    assert set(entries) == set(BACKENDS)  # the fixture holds one file of every registered backend
    return Repo(repo, origin, git(repo, "rev-parse", "HEAD").stdout.strip(), entries)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ls_files(root: Path, rev: str | None = None) -> set[str]:
    args = ["ls-tree", "-r", "--name-only", rev] if rev else ["ls-files"]
    return set(git(root, *args).stdout.split())


def test_the_registry_is_the_manifests_choices() -> None:
    assert tuple(sorted(BACKENDS)) == tuple(sorted(STORAGES)) == tuple(sorted(KIND))
    for name, backend in BACKENDS.items():
        assert isinstance(backend, Backend)
        assert backend.name == name
        assert backend_named(name) is backend
        assert backend_for(FileEntry(path="x", sha256="0" * 64, size=1, storage=name)) is backend
        _, suffix, outside, moved, blob = KIND[name]
        assert (backend.pointer_suffix, backend.outside_git, backend.moved_by_gitmodel, backend.git_blob) == \
            (suffix, outside, moved, blob)


def test_by_backend_groups_in_registry_order() -> None:
    entries = [FileEntry(path=f"f{i}", sha256="0" * 64, size=1, storage=s) for i, s in enumerate(["lfs", "git", "dvc",
                                                                                                 "git"])]
    groups = by_backend(entries)
    assert [b.name for b, _ in groups] == list(BACKENDS)
    assert [[e.path for e in group] for _, group in groups] == [["f2"], ["f1", "f3"], ["f0"]]


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_paths_an_entry_pins_and_the_id_its_store_keeps(real: Repo, name: str) -> None:
    backend, entry = BACKENDS[name], real.entries[name]
    path, data = FILES[name]
    md5_kept, suffix, _, moved, _ = KIND[name]
    assert backend.pointers(entry) == ([path + suffix] if suffix else [])
    # what a manifest pinning the entry pins (the component registry's one walk, the hook's too): the file
    # and this backend's pointers
    assert [p for _, p in pinned_by_kind({"weights": [entry.to_dict()]})] == [path, *backend.pointers(entry)]
    tracked, committed = ls_files(real.root), ls_files(real.root, real.commit)
    # git holds the pointers, and the file itself unless gitmodel moves its bytes (then DVC git-ignores it)
    assert set(backend.pointers(entry)) <= committed
    assert (path in committed) is not moved
    assert set(backend.stage_paths(real.root, entry)) <= tracked
    assert set(backend.restore_paths(entry)) <= committed
    assert set(backend.pointers(entry)) <= set(backend.written_paths(path))
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert backend.content_id(entry) == (md5 if md5_kept else None)
    assert backend.tracked(real.root, path)[0] == (md5 if md5_kept else None)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_hash_the_staged_committed_and_worktree_content(real: Repo, name: str) -> None:
    backend, entry = BACKENDS[name], real.entries[name]
    path, data = FILES[name]
    assert entry.sha256 == sha(data)
    worktree, index, commit = real.sources()
    for source in (worktree, index, commit):
        backend.preload(source, [path])
        # DVC's bytes are not in git: an index or a commit holds only the pointer beside the file
        expected = None if backend.pointer_suffix and source is not worktree else entry.sha256
        assert backend.sha256(source, path) == expected, source.label
        assert backend.freshness(source, entry, "weights", model="m", manifest_path="models/m.yaml",
                                 worktree=source is worktree) == []
    cache = HashCache(gitcli.git_dir(real.root), real.root)
    assert backend.hash_file(real.root / path, cache) == (entry.sha256, entry.size)
    assert backend.refresh(real.root, entry, real.root / path, cache) == ("unchanged" if KIND[name][3] else "rehash")
    # the file changes in the work tree: the backend says so, and `bump` re-tracks or rehashes it
    (real.root / path).write_bytes(data + b"changed")
    stale = backend.freshness(WorkTree(real.root, cache), entry, "weights", model="m", manifest_path="models/m.yaml",
                              worktree=True)
    assert [(s.rule, s.path, s.old, s.new) for s in stale] == [("fresh", path, entry.sha256, sha(data + b"changed"))]
    assert backend.refresh(real.root, entry, real.root / path, cache) == ("retrack" if KIND[name][3] else "rehash")
    assert backend.hash_file(real.root / path, cache)[0] == sha(data + b"changed")


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_fetch_writes_verified_bytes_into_a_staging_path(real: Repo, name: str, tmp_path: Path) -> None:
    backend, entry = BACKENDS[name], real.entries[name]
    if backend.moved_by_gitmodel:  # the bytes must come from the remote: the local store is emptied
        backend.push(real.root, [entry], None)
        shutil.rmtree(real.root / ".dvc" / "cache")
    staging = tmp_path / "staging"
    staging.mkdir()
    batch = backend.fetch(real.root, real.commit, [entry], remote=None)
    assert batch.fetched == ([entry.path] if backend.moved_by_gitmodel else [])
    written = backend.write(real.root, real.commit, batch, entry, staging / "good", progress=False)
    assert (written.sha256, written.mismatch, written.problem) == (entry.sha256, None, None)
    assert sha((staging / "good").read_bytes()) == entry.sha256
    # a manifest that names other bytes: the backend never reports the write as good
    lie = replace(entry, sha256="0" * 64)
    batch = backend.fetch(real.root, real.commit, [lie], remote=None)
    bad = backend.write(real.root, real.commit, batch, lie, staging / "bad", progress=False)
    assert bad.mismatch is not None or bad.problem is not None or bad.sha256 != lie.sha256


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_push_and_whether_the_remote_has_the_object(real: Repo, name: str, tmp_path: Path) -> None:
    backend, entry = BACKENDS[name], real.entries[name]
    remote = load_config(real.root).remote
    if backend.moved_by_gitmodel:
        assert backend.missing_in_remote(real.root, [entry], remote) == [entry.path]
        notes, problems = backend.publish(real.root, [entry], tag=TAG, push=False, remote=remote, git_remote="origin")
        assert notes == []
        assert len(problems) == 1
        assert f"not in the default DVC remote: {entry.path}" in problems[0]
        assert list(backend.push(real.root, [entry], remote)) == [entry.path]  # type: ignore[call-overload]
    else:  # git push carries git's blobs, and Git LFS's objects through git-lfs
        assert backend.push(real.root, [entry], remote) is None
    assert backend.missing_in_remote(real.root, [entry], remote) == []
    assert backend.publish(real.root, [entry], tag=TAG, push=False, remote=remote, git_remote="origin") == ([], [])
    if name == "lfs":  # publishing uploaded the release's object to the LFS server
        assert (real.origin / "lfs" / "objects" / entry.sha256[:2] / entry.sha256[2:4] / entry.sha256).is_file()
    git(real.root, "push", "-q", "origin", "HEAD:refs/heads/main", TAG)
    (tmp_path / "scratch").mkdir()
    checks = backend.check_remote(real.root, [entry], tmp_path / "scratch", remote)
    assert [(c.entry, c.problem, c.fix) for c in checks] == [(entry, None, None)]
    assert checks[0].size == (entry.size if backend.outside_git else 0)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_place_and_restore_put_the_pinned_bytes_back(real: Repo, name: str) -> None:
    backend, entry = BACKENDS[name], real.entries[name]
    path, data = FILES[name]
    full = real.root / path
    if backend.moved_by_gitmodel:
        backend.push(real.root, [entry], None)
        full.unlink()
        placed = backend.place(real.root, [entry], remote=None, where="test", retry="test")
        assert full.read_bytes() == data
        assert placed.fetched == []  # the local store had it
    else:
        full.write_bytes(b"not placed by gitmodel")
        assert backend.place(real.root, [entry], remote=None, where="test", retry="test").fetched == []
        assert full.read_bytes() == b"not placed by gitmodel"
    # what `checkout` does after `git restore`: a file left as its LFS pointer becomes the content
    git(real.root, "restore", "--source", real.commit, "--", *backend.restore_paths(entry))
    if name == "lfs":
        full.write_bytes(git(real.root, "cat-file", "blob", f"{real.commit}:{path}").stdout.encode())
        assert backend.absent(full)
        assert "not downloaded" in (backend.verify_note(full, path, entry.sha256) or "")
    else:
        assert not backend.absent(full)
        assert backend.verify_note(full, path, entry.sha256) is None
    backend.after_restore(real.root, real.commit, [entry])
    assert full.read_bytes() == data


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_prepare_and_check_staged(real: Repo, name: str) -> None:
    backend, entry = BACKENDS[name], real.entries[name]
    backend.check_staged(real.root, [entry])  # what add staged is what the backend stores
    (real.root / "new.bin").write_bytes(b"\x00new")
    before = (real.root / ".gitattributes").read_bytes()
    setup = backend.prepare(real.root, ["new.bin"])
    assert (setup is not None) == (name == "lfs")
    assert routed(real.root, "new.bin") == (name == "lfs")
    if setup is not None:
        setup.undo(real.root)
    assert (real.root / ".gitattributes").read_bytes() == before


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_a_pointer_naming_another_path_is_refused(real: Repo, name: str) -> None:
    backend, entry = BACKENDS[name], real.entries[name]
    hostile = b"outs:\n- md5: " + b"0" * 32 + b"\n  size: 1\n  hash: md5\n  path: ../serve.py\n"
    read = dict.fromkeys(backend.pointers(entry), hostile).get
    if backend.pointer_suffix:
        with pytest.raises(InvalidInput):
            backend.check_pointers([entry], read)
    else:
        backend.check_pointers([entry], read)


def test_dvc_is_imported_only_where_bytes_move(real: Repo) -> None:
    """The registry and the hashing methods import no DVC (the hook imports them when a manifest changes)."""
    probe = ("import sys; from gitmodel.storage.backends import BACKENDS; from gitmodel.storage.backends import "
             "backend_for; import gitmodel.gate.check; print(sorted(m for m in ('dvc', 'typing', 'dataclasses', "
             "'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=real.root)
    assert out.stdout.strip() == "[]"
    assert dvcstore.is_dvc_repo(real.root)


# Branches on a storage name: `e.storage == "dvc"`, `storage != "git"`, `.storage in (...)`, `== "lfs"`, ...
_BRANCH = re.compile(r"""storage\s*(==|!=)|(==|!=)\s*\w*\.?storage\b|\.storage\s+(not\s+)?in\b|storage\s+in\s*[(\[{]|"""
                     r"""(==|!=)\s*["'](dvc|git|lfs)["']|["'](dvc|git|lfs)["']\s*(==|!=)|"""
                     r"""in\s*[(\[{]\s*["'](dvc|git|lfs)["']""")
# Where such a comparison remains outside gitmodel/storage/, and why it is not a backend's behaviour:
ALLOWED = {
    # the bump rule compares two entries' storage fields (the same bytes moved home: a patch); no backend named
    "gitmodel/model/policy.py": 2,
    # the lean hook's pin list reads raw YAML without importing storage; it is the component registry's to derive
    "gitmodel/gate/hook.py": 1,
}


def branches(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines()
            if _BRANCH.search(line.split("#", 1)[0]) and not line.lstrip().startswith("#")]


def test_no_code_outside_storage_branches_on_a_storage_name() -> None:
    package = Path(__file__).resolve().parents[2] / "gitmodel"
    found = {}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        if rel.startswith("gitmodel/storage/"):
            continue
        hits = branches(path)
        if hits:
            found[rel] = hits
    unexpected = {rel: hits for rel, hits in found.items() if len(hits) > ALLOWED.get(rel, 0)}
    assert unexpected == {}, "ask the entry's backend (gitmodel/storage/backends.py: backend_for(entry)) instead"


def test_the_branch_detector_sees_each_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    forms = ['if e.storage == "dvc":', "if entry.storage != 'git':", 'x = [e for e in es if e.storage in ("dvc", "lfs")]',
             'if storage == "lfs":', 'if get("storage") == "dvc":', 'if choose(p) == "dvc":', 'if "lfs" == s:']
    sample.write_text("\n".join(forms + ["x = backend_for(e).outside_git  # storage == 'dvc' in a comment"]) + "\n")
    assert branches(sample) == forms
