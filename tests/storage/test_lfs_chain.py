"""gitmodel's hooks and Git LFS's, whichever was installed first (issue 14, items 3 and 4).

Real git-lfs (`make test` installs it through scripts/ensure-git-lfs.sh) and a real LFS remote: a bare
repository reached by a `file://` URL, which git-lfs serves with its own standalone transfer agent (objects
land in `remote.git/lfs/objects`). The LFS filter is configured for the user, not the repository, as
Debian's system-wide configuration has it, so `git lfs install` is what writes the repository's hooks.
Success is judged as a user meets it: a fresh clone smudges the weights, or fails to.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gitmodel.gate import install as hooks
from gitmodel.storage import lfs
from gitmodel.workspace.edit import add_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.git import bare_remote, git, release

WEIGHTS = b"\x00weights v1\x00" * 300
OID = hashlib.sha256(WEIGHTS).hexdigest()
TAG = "ranker@v0.1.0"


@pytest.fixture(autouse=True)
def _git_lfs_everywhere(isolated_env: Path) -> None:
    """git-lfs present and its filter configured for the user (the test's own HOME), no repository hooks."""
    if shutil.which("git-lfs") is None:
        pytest.fail("git-lfs is not installed: `apt-get install git-lfs` (or `sh scripts/ensure-git-lfs.sh` as root)")
    subprocess.run(["git", "lfs", "install", "--skip-repo"], check=True, capture_output=True)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return bare_remote(None, tmp_path / "remote.git")


def _on_remote(remote: Path, oid: str = OID) -> bool:
    return (remote / "lfs" / "objects" / oid[:2] / oid[2:4] / oid).is_file()


def _traced(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """git with GIT_TRACE on: stderr shows each `git-lfs <command>` the hooks run."""
    return subprocess.run(["git", *args], cwd=root, text=True, capture_output=True,
                          env={**os.environ, "GIT_TRACE": "1", **(env or {})})


def _lfs_runs(trace: str, command: str) -> int:
    return sum(1 for line in trace.splitlines() if "trace: exec: git-lfs " + command in line)


def _model_commit(repo: Path) -> str:
    """`ranker` with weights in LFS, committed through the hooks; the commit's trace."""
    git(repo, "lfs", "track", "*.bin")
    (repo / "weights").mkdir()
    (repo / "weights/model.bin").write_bytes(WEIGHTS)
    add_model(repo, "ranker", weights=["weights/model.bin"])
    git(repo, "add", "-A")
    committed = _traced(repo, "commit", "-q", "-m", "ranker 0.1.0")
    assert committed.returncode == 0, committed.stderr
    return committed.stderr


def _clone(remote: Path, dest: Path, *, skip_smudge: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"GIT_LFS_SKIP_SMUDGE": "1"} if skip_smudge else {})}
    return subprocess.run(["git", "clone", "-q", remote.as_uri(), str(dest)], text=True, capture_output=True, env=env)


def _clone_smudges(remote: Path, dest: Path) -> None:
    cloned = _clone(remote, dest)
    assert cloned.returncode == 0, cloned.stderr
    assert (dest / "weights/model.bin").read_bytes() == WEIGHTS


def test_gitmodel_first_then_git_lfs_install_both_work(repo: Path, remote: Path, tmp_path: Path) -> None:
    git(repo, "remote", "add", "origin", remote.as_uri())
    init_repo(repo, dvc=False)                      # gitmodel's hooks first
    directory = repo / ".git/hooks"

    refused = git(repo, "lfs", "install", check=False)  # Git LFS's own behaviour: it keeps a hook it did not write
    assert refused.returncode == 2
    said = refused.stdout + refused.stderr
    assert "Hook already exists: pre-push" in said
    assert "nothing is missing" in said               # it shows gitmodel's stub, which says why that is fine
    assert hooks.is_ours(directory / "pre-push")

    assert _lfs_runs(_model_commit(repo), "post-commit") == 1  # Git LFS's post-commit ran, once
    release(repo, "ranker")
    pushed = _traced(repo, "push", "-q", "origin", "main", TAG)
    assert pushed.returncode == 0, pushed.stderr
    assert _lfs_runs(pushed.stderr, "pre-push") == 1  # LFS's upload ran through gitmodel's pre-push
    assert _on_remote(remote)
    _clone_smudges(remote, tmp_path / "clone")

    switched = _traced(repo, "checkout", "-q", "-b", "other")
    assert _lfs_runs(switched.stderr, "post-checkout") == 1


def test_git_lfs_first_then_gitmodel_both_work_and_survive_lfs_update_force(repo: Path, remote: Path,
                                                                             tmp_path: Path) -> None:
    git(repo, "remote", "add", "origin", remote.as_uri())
    git(repo, "lfs", "install")                     # Git LFS's hooks first
    init_repo(repo, dvc=False)
    directory = repo / ".git/hooks"
    for hook in ("pre-push", "post-checkout", "post-commit", "post-merge"):
        assert f"git lfs {hook}" in (directory / f"{hook}.legacy").read_text()  # Git LFS's, kept and run first

    assert _lfs_runs(_model_commit(repo), "post-commit") == 1
    release(repo, "ranker")
    pushed = _traced(repo, "push", "-q", "origin", "main", TAG)
    assert pushed.returncode == 0, pushed.stderr
    assert _lfs_runs(pushed.stderr, "pre-push") == 1  # by the kept hook; gitmodel's does not run it again
    assert _on_remote(remote)
    _clone_smudges(remote, tmp_path / "clone")

    # what `git lfs install`'s refusal suggests: it writes Git LFS's hooks over gitmodel's
    assert git(repo, "lfs", "update", "--force").returncode == 0
    assert not hooks.is_ours(directory / "pre-push")
    reinstalled = gm(repo, "hooks", "install")
    assert reinstalled.returncode == 0, reinstalled.stderr
    assert "replaced Git LFS's pre-push hook" in reinstalled.stdout
    assert hooks.is_ours(directory / "pre-push")
    assert hooks.is_git_lfs_hook(directory / "pre-push.legacy", "pre-push")
    assert hooks.is_ours(directory / "post-commit")

    (repo / "weights/model.bin").write_bytes(WEIGHTS + b"v2")
    assert gm(repo, "bump", "ranker").returncode == 0
    committed = _traced(repo, "commit", "-q", "-am", "ranker 0.2.0")
    assert committed.returncode == 0, committed.stderr
    pushed = _traced(repo, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert _lfs_runs(pushed.stderr, "pre-push") == 1
    assert _on_remote(remote, hashlib.sha256(WEIGHTS + b"v2").hexdigest())


def _without_upload(repo: Path, remote: Path) -> None:
    """The state the issue found: commits on the remote whose LFS objects were never uploaded (gitmodel's
    pre-push kept `git lfs install` from writing Git LFS's; here the push skips hooks to get there)."""
    git(repo, "remote", "add", "origin", remote.as_uri())
    init_repo(repo, dvc=False)
    _model_commit(repo)
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    assert not _on_remote(remote)
    release(repo, "ranker")


def test_pushing_a_release_tag_uploads_its_lfs_objects_the_remote_lacks(repo: Path, remote: Path,
                                                                       tmp_path: Path) -> None:
    _without_upload(repo, remote)
    # Git LFS's pre-push skips them (the commit is on the remote already); gitmodel's check does not
    pushed = _traced(repo, "push", "-q", "origin", TAG)
    assert pushed.returncode == 0, pushed.stderr
    assert _on_remote(remote)
    _clone_smudges(remote, tmp_path / "clone")


def test_a_release_tag_whose_lfs_objects_nobody_can_show_is_refused(repo: Path, remote: Path,
                                                                    tmp_path: Path) -> None:
    _without_upload(repo, remote)
    git(repo, "tag", "-d", TAG)
    broken = _clone(remote, tmp_path / "broken")
    assert broken.returncode != 0                    # what a release without its objects does to a user
    assert "smudge filter lfs failed" in broken.stderr

    ci = tmp_path / "ci"                               # a teammate's clone that never downloaded the weights
    assert _clone(remote, ci, skip_smudge=True).returncode == 0
    assert gm(ci, "hooks", "install").returncode == 0
    release(ci, "ranker")
    refused = git(ci, "push", "origin", TAG, check=False)
    assert refused.returncode != 0
    assert f"{TAG}: 1 Git LFS file(s) of this release are not in this clone's LFS store" in refused.stderr
    assert f"run `git lfs fetch origin {TAG}`" in refused.stderr
    assert git(ci, "ls-remote", "--tags", "origin").stdout == ""  # the tag was not published

    # the hint, followed: the fetch fails while the server lacks the object...
    assert git(ci, "lfs", "fetch", "origin", TAG, check=False).returncode != 0
    # ...so its author uploads it (the named command), after which the fetch and the push go through
    assert git(repo, "lfs", "push", "--all", "origin").returncode == 0
    assert git(ci, "lfs", "fetch", "origin", TAG).returncode == 0
    pushed = git(ci, "push", "origin", TAG, check=False)
    assert pushed.returncode == 0, pushed.stderr
    _clone_smudges(remote, tmp_path / "fixed")


def test_verify_in_a_skip_smudge_clone_says_not_downloaded_and_the_hint_works(repo: Path, remote: Path,
                                                                              tmp_path: Path) -> None:
    git(repo, "remote", "add", "origin", remote.as_uri())
    init_repo(repo, dvc=False)
    _model_commit(repo)
    assert git(repo, "push", "-q", "origin", "main").returncode == 0
    clone = tmp_path / "ci"
    assert _clone(remote, clone, skip_smudge=True).returncode == 0
    assert lfs.worktree_pointer(clone / "weights/model.bin") == (OID, len(WEIGHTS))

    result = gm(clone, "verify", "ranker")
    assert result.returncode == 1
    assert ("weights/model.bin: not downloaded (LFS pointer) — run `git lfs pull --include weights/model.bin`"
            in result.stderr)
    assert "expected sha256" not in result.stderr     # not reported as a changed file
    as_json = gm(clone, "verify", "ranker", "--json")
    assert '"note": "not downloaded (LFS pointer)' in as_json.stdout

    assert git(clone, "lfs", "pull", "--include", "weights/model.bin").returncode == 0
    assert gm(clone, "verify", "ranker").returncode == 0


def test_uninstall_where_gitmodel_stood_in_for_lfs_says_how_to_get_lfs_hooks_back(repo: Path) -> None:
    init_repo(repo, dvc=False)
    git(repo, "lfs", "track", "*.bin")               # the repository uses Git LFS now (.git/lfs exists)
    assert lfs.used_here(repo)
    removed = gm(repo, "hooks", "uninstall")
    assert removed.returncode == 0, removed.stderr
    assert "run `git lfs install`" in removed.stdout
    directory = repo / ".git/hooks"
    assert not any((directory / h).exists() for h in ("pre-commit", "pre-merge-commit", "pre-push",
                                                       "post-checkout", "post-commit", "post-merge"))
    assert git(repo, "lfs", "install").returncode == 0   # the hint, followed: Git LFS writes its own hooks
    assert hooks.is_git_lfs_hook(directory / "pre-push", "pre-push")
