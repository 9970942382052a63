"""Builders for review and card tests: real git repos with models and release tags, made in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitmodel.model import manifest as mf
from gitmodel.model.records import replace
from gitmodel.workspace.edit import add_model, bump_model
from tests.conftest import git

PROMPT_V1 = "You are a sentiment classifier.\n"
PROMPT_V2 = "You are a careful sentiment classifier. Answer pos, neu or neg.\n"


def pin_dates(monkeypatch: Any, when: str = "2026-01-15T10:00:00+00:00") -> None:
    """Stable author, committer and tagger dates (goldens print release dates)."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)


def edit(root: Path, model: str, **fields: Any) -> mf.Manifest:
    path = root / "models" / f"{model}.yaml"
    updated = replace(mf.load(path), **fields)
    mf.save(updated, path)
    return updated


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def release(root: Path, name: str, version: str, rev: str = "HEAD") -> None:
    git(root, "tag", "-a", f"{name}@v{version}", "-m", f"gitmodel release {name} v{version}", rev)


def two_releases(root: Path, monkeypatch: Any) -> Path:
    """sentiment v0.1.0 and v0.2.0: the prompt, the params (lr) and the metrics differ."""
    pin_dates(monkeypatch, "2026-01-15T10:00:00+00:00")
    (root / "artifacts").mkdir()
    (root / "prompts").mkdir()
    (root / "artifacts/model.bin").write_text("weights v1\n")
    (root / "prompts/system.txt").write_text(PROMPT_V1)
    (root / "params.yaml").write_text("lr: 0.001\nepochs: 3\n")
    add_model(root, "sentiment", weights=["artifacts/model.bin"], prompts=["prompts/system.txt"],
              params_file="params.yaml", force_git=["artifacts/model.bin"],
              description="Sentiment classifier for support tickets")
    edit(root, "sentiment", metrics={"accuracy": 0.91, "f1": 0.88, "loss": 0.31},
         lineage={"base_model": "distilbert-base-uncased", "datasets": ["imdb"]},
         card={"license": "apache-2.0", "intended_use": "Routing English support tickets by sentiment.",
               "limitations": "English only; sarcasm is often misread.", "owners": ["ml-team"],
               "tags": ["sentiment", "text-classification"], "task": "text-classification"})
    commit_all(root, "sentiment 0.1.0")
    release(root, "sentiment", "0.1.0")
    pin_dates(monkeypatch, "2026-02-20T09:30:00+00:00")
    (root / "prompts/system.txt").write_text(PROMPT_V2)
    (root / "params.yaml").write_text("lr: 0.0005\nepochs: 3\n")
    result = bump_model(root, "sentiment")
    assert result.new_version == "0.2.0"
    edit(root, "sentiment", metrics={"accuracy": 0.93, "f1": 0.87, "loss": 0.28})
    commit_all(root, "sentiment 0.2.0")
    release(root, "sentiment", "0.2.0")
    return root
