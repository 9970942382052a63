"""Helpers for the release and stage tests: a real repo with one small git-stored model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.model import manifest as mf
from gitmodel.model.records import replace
from gitmodel.workspace.edit import add_model, bump_model
from tests.conftest import git

# the gto installed beside this interpreter (the project's `test` extra), never a machine-specific path
GTO = Path(sys.executable).parent / "gto"
GTO_INSTALL = f"{sys.executable} -m pip install 'gto>=1.10,<2'  (or: pip install -e '.[test]')"
CONFIG = 'gates:\n  sentiment: {accuracy: ">= 0.85"}\nstages: [dev, staging, prod]\n'


class Clock:
    """Monotonic fake time for git: every tag and commit gets its own second (GTO orders by time)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: int = 1_767_225_600) -> None:
        self.now = start  # default 2026-01-01T00:00:00Z
        self.monkeypatch = monkeypatch

    def tick(self) -> str:
        """Advance a minute; in-process git calls (they inherit os.environ) use the new time."""
        self.now += 60
        stamp = f"@{self.now} +0000"
        self.monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)
        self.monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
        return stamp

    def env(self) -> dict[str, str]:
        stamp = self.tick()
        return {"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp}


def set_metrics(root: Path, metrics: dict[str, object] | None, name: str = "sentiment") -> None:
    path = root / "models" / f"{name}.yaml"
    manifest = mf.load(path)
    mf.save(replace(manifest, metrics=metrics), path)


def commit(root: Path, message: str, *, allow_empty: bool = False) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, *(["--allow-empty"] if allow_empty else []))
    return git(root, "rev-parse", "HEAD").stdout.strip()


def make_model(root: Path, *, accuracy: float | None = 0.91, config: str = CONFIG) -> Path:
    """sentiment 0.1.0: weights and prompt stored in git (no DVC cost), metrics set, committed."""
    (root / "artifacts").mkdir(exist_ok=True)
    (root / "prompts").mkdir(exist_ok=True)
    (root / "artifacts" / "model.bin").write_bytes(b"weights v1")
    (root / "prompts" / "system.txt").write_text("You are a sentiment classifier.\n")
    (root / ".gitmodel.yaml").write_text(config)
    add_model(root, "sentiment", weights=["artifacts/model.bin"], prompts=["prompts/system.txt"],
              force_git=["artifacts/model.bin", "prompts/system.txt"], description="Sentiment classifier")
    set_metrics(root, {"accuracy": accuracy} if accuracy is not None else None)
    commit(root, "add sentiment")
    return root


def change_prompt_and_bump(root: Path, text: str, *, accuracy: float | None = None) -> str:
    (root / "prompts" / "system.txt").write_text(text)
    if accuracy is not None:
        set_metrics(root, {"accuracy": accuracy})
    result = bump_model(root, "sentiment")
    commit(root, f"sentiment {result.new_version}")
    return result.new_version


def gto(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real GTO CLI; a missing gto fails the test with the command that installs it."""
    if not GTO.exists():
        pytest.fail(f"gto is not installed beside {sys.executable}: {GTO_INSTALL}")
    return subprocess.run([str(GTO), *args], cwd=root, text=True, capture_output=True,
                          env={**os.environ, "GTO_NO_EMOJI": "1"})
