"""The gate under attack: a released model behind installed hooks (the fixtures `gitrepo`, `dvcrepo`:
import them into a test module), and the two places a bad change must be
refused (the pre-commit hook, and CI's `check --base` when the hook is skipped)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.workspace.edit import add_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.dvc import dvc_released
from tests.kit.files import write
from tests.kit.git import bare_remote, commit, git, push, release

PROMPT = "prompts/sentiment.txt"


def refused(root: Path, *needles: str) -> None:
    """Commit what is staged: the hook refuses it (exit 1) saying each of `needles`; then drop the change."""
    result = commit(root, "should be refused")
    assert result.returncode == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    git(root, "reset", "-q", "--hard")


def refused_and_caught(root: Path, message: str, base: str = "base"
                       ) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """Commit what is staged: the hook refuses it (exit 1); committed anyway with --no-verify, CI's
    `check --base` refuses it too (exit 1). Both results, for the caller's own assertions."""
    refused = commit(root, message)
    assert refused.returncode == 1, refused.stderr
    assert commit(root, "skip the hook", "--no-verify").returncode == 0
    caught = gm(root, "check", "--base", base)
    assert caught.returncode == 1, caught.stdout + caught.stderr
    return refused, caught


@pytest.fixture
def gitrepo(repo: Path, tmp_path: Path) -> Path:
    """gitmodel init (hooks, no DVC), a git remote, and `sentiment` released as v0.1.0 and pushed."""
    init_repo(repo, dvc=False)
    write(repo, PROMPT, "You label support tickets.\n")
    write(repo, "artifacts/sentiment.bin", "weights v1\n")
    add_model(repo, "sentiment", weights=["artifacts/sentiment.bin"], prompts=[PROMPT],
              force_git=["artifacts/sentiment.bin"])
    assert commit(repo, "add sentiment").returncode == 0
    release(repo, "sentiment", "0.1.0")
    bare_remote(repo, tmp_path / "origin.git")
    pushed = push(repo, "main", "sentiment@v0.1.0")
    assert pushed.returncode == 0, pushed.stderr
    return repo


@pytest.fixture
def dvcrepo(repo: Path, tmp_path: Path) -> Path:
    """gitmodel init with DVC and a local DVC remote; `sentiment`'s weights in DVC, released as v0.1.0;
    a branch `base` there."""
    dvc_released(repo, tmp_path / "dvc-remote")
    git(repo, "branch", "base")
    return repo


def dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real DVC CLI in `root` (must succeed)."""
    proc = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    return proc
