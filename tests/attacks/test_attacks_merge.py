"""Attack: commits that `git commit`'s hooks never see (issue 13, item 4).

A merge commit is judged by the pre-merge-commit hook exactly as a commit is by pre-commit. What no local
hook sees (fast-forward merges, cherry-pick, rebase, revert) is listed in docs/hooks.md, and each case
below shows `gitmodel check --base` catching it, as CI runs it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitmodel.gate import install as hooks
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.git import commit, git, head, release
from tests.kit.repos import add_sentiment

PROMPT = Path("prompts/sentiment.txt")


@pytest.fixture
def released(repo: Path) -> Path:
    """Hooks installed, `sentiment` added and released at 0.1.0 on main, a branch `feature` from there."""
    init_repo(repo, dvc=False)
    add_sentiment(repo)
    assert commit(repo, "sentiment 0.1.0").returncode == 0
    release(repo, "sentiment", "0.1.0")
    git(repo, "branch", "feature")
    return repo


def _unbumped_prompt_edit_on(root: Path, branch: str) -> None:
    """A prompt edit committed on `branch` with the hook skipped (or made on a machine without hooks)."""
    git(root, "switch", "-q", branch)
    (root / PROMPT).write_text("Label tickets, and be rude about it.\n")
    git(root, "add", "-A")
    assert commit(root, "tweak the prompt", "--no-verify").returncode == 0
    git(root, "switch", "-q", "main")


def _merge(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return git(root, "merge", *args, check=False)


def test_install_writes_and_uninstall_removes_pre_merge_commit(repo: Path) -> None:
    installed = hooks.install(repo)
    assert "pre-merge-commit" in installed.installed
    stub = repo / ".git/hooks/pre-merge-commit"
    assert hooks.is_ours(stub)
    assert '-c "$BOOT" pre-merge-commit' in stub.read_text()
    hooks.uninstall(repo)
    assert not stub.exists()


def test_a_merge_carrying_an_unbumped_prompt_change_is_refused(released: Path) -> None:
    _unbumped_prompt_edit_on(released, "feature")
    (released / "notes.txt").write_text("main moved on\n")  # a true merge, not a fast-forward
    git(released, "add", "notes.txt")
    assert commit(released, "notes").returncode == 0
    before = head(released)

    refused = _merge(released, "feature", "-m", "merge feature")
    assert refused.returncode != 0
    assert "prompts/sentiment.txt: prompts changed" in refused.stderr
    assert "run `gitmodel bump sentiment`" in refused.stderr
    assert head(released) == before  # no merge commit was made

    # the hint, followed, ends the merge in a correct state: bumped, committed as the merge, the gate passes
    assert gm(released, "bump", "sentiment").returncode == 0
    done = commit(released, "merge feature, sentiment 0.2.0")
    assert done.returncode == 0, done.stderr
    parents = git(released, "rev-list", "--parents", "-n", "1", "HEAD").stdout.split()
    assert len(parents) == 3  # the merge commit and its two parents
    assert "version: 0.2.0" in (released / "models/sentiment.yaml").read_text()
    assert gm(released, "check", "--base", "sentiment@v0.1.0").returncode == 0


def test_a_merge_of_a_bumped_change_passes(released: Path) -> None:
    git(released, "switch", "-q", "feature")
    (released / PROMPT).write_text("Label tickets, politely.\n")
    assert gm(released, "bump", "sentiment").returncode == 0
    assert commit(released, "sentiment 0.2.0").returncode == 0  # through the pre-commit hook
    git(released, "switch", "-q", "main")

    merged = _merge(released, "--no-ff", "feature", "-m", "merge feature")
    assert merged.returncode == 0, merged.stderr
    assert "1 model(s) checked" in merged.stderr  # the pre-merge-commit hook judged it
    assert len(git(released, "rev-list", "--parents", "-n", "1", "HEAD").stdout.split()) == 3


def test_merge_no_verify_skips_the_hook_and_check_base_catches_it(released: Path) -> None:
    _unbumped_prompt_edit_on(released, "feature")
    assert _merge(released, "--no-ff", "--no-verify", "feature", "-m", "merge").returncode == 0
    caught = gm(released, "check", "--base", "sentiment@v0.1.0")
    assert caught.returncode == 1
    assert "prompts/sentiment.txt: prompts changed" in caught.stderr


# What git runs no commit hook for: each one lands the unbumped change, and `check --base` (CI) catches it.
def _fast_forward(root: Path) -> subprocess.CompletedProcess[str]:
    return _merge(root, "--ff-only", "feature")


def _cherry_pick(root: Path) -> subprocess.CompletedProcess[str]:
    return git(root, "cherry-pick", "feature", check=False)


def _rebase(root: Path) -> subprocess.CompletedProcess[str]:
    (root / "notes.txt").write_text("main moved on\n")
    git(root, "add", "notes.txt")
    assert commit(root, "notes").returncode == 0
    git(root, "switch", "-q", "feature")
    result = git(root, "rebase", "main", check=False)  # rewrites the branch's commits: no hook
    git(root, "switch", "-q", "main")
    return git(root, "merge", "--ff-only", "feature", check=False) if result.returncode == 0 else result


def _revert(root: Path) -> subprocess.CompletedProcess[str]:
    """Revert the prompt edit of a released 0.2.0 (edit and bump in one commit, hooks passed): the prompt
    and the version go back to 0.1.0's, lowering the version below the latest release."""
    (root / PROMPT).write_text("Label tickets, politely.\n")
    assert gm(root, "bump", "sentiment").returncode == 0
    assert commit(root, "sentiment 0.2.0").returncode == 0
    release(root, "sentiment", "0.2.0")
    return git(root, "revert", "--no-edit", "HEAD", check=False)


@pytest.mark.parametrize("bypass", [_fast_forward, _cherry_pick, _rebase, _revert],
                         ids=["fast-forward-merge", "cherry-pick", "rebase", "revert"])
def test_what_no_local_hook_sees_check_base_catches(released: Path, bypass) -> None:  # type: ignore[no-untyped-def]
    if bypass is not _revert:
        _unbumped_prompt_edit_on(released, "feature")
    base = head(released)
    landed = bypass(released)
    assert landed.returncode == 0, landed.stderr  # git made the commit(s): no hook refused
    assert head(released) != base
    caught = gm(released, "check", "--base", base)
    assert caught.returncode == 1, caught.stdout
    assert "sentiment" in caught.stderr
