"""Repos with models stored in git (no DVC cost), built in-process with gitmodel's own functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitmodel.workspace.edit import add_model, bump_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.clock import pin_dates
from tests.kit.files import write
from tests.kit.git import commit_all, git, release
from tests.kit.manifests import edit, set_metrics

GATED_CONFIG = 'gates:\n  sentiment: {accuracy: ">= 0.85"}\nstages: [dev, staging, prod]\n'
PROMPT_V1 = "You are a sentiment classifier.\n"
PROMPT_V2 = "You are a careful sentiment classifier. Answer pos, neu or neg.\n"


def initialized(repo: Path) -> Path:
    """`gitmodel init --remote ../remote` through the CLI (must succeed), committed."""
    done = gm(repo, "init", "--remote", str(repo.parent / "remote"))
    assert done.returncode == 0, done.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "gitmodel init")
    return repo


def model_repo(repo: Path, *, dvc: bool = True, commit: bool = True, name: str = "sentiment") -> Path:
    """`gitmodel init` plus `gitmodel add NAME` over weights, data and a prompt, optionally committed.

    Without DVC the weights are stored in git (fast tests of the rules that do not involve pointers).
    """
    init_repo(repo, hooks=False, dvc=dvc)
    write(repo, "artifacts/model.bin", b"\x00weights\x01" * 10)
    write(repo, "data/train.csv", "text,label\ngood,pos\n")
    write(repo, "prompts/system.txt", PROMPT_V1)
    add_model(repo, name, weights=["artifacts/model.bin"], data=["data/train.csv"],
              prompts=["prompts/system.txt"], force_git=[] if dvc else ["artifacts/model.bin"])
    if commit:
        git(repo, "commit", "-q", "-m", f"add {name}")
    return repo


def make_model(root: Path, *, accuracy: float | None = 0.91, config: str = GATED_CONFIG) -> Path:
    """sentiment 0.1.0: weights and prompt stored in git, metrics set, a gate and stages configured, committed."""
    write(root, "artifacts/model.bin", b"weights v1")
    write(root, "prompts/system.txt", PROMPT_V1)
    (root / ".gitmodel.yaml").write_text(config)
    add_model(root, "sentiment", weights=["artifacts/model.bin"], prompts=["prompts/system.txt"],
              force_git=["artifacts/model.bin", "prompts/system.txt"], description="Sentiment classifier")
    set_metrics(root, {"accuracy": accuracy} if accuracy is not None else None)
    commit_all(root, "add sentiment")
    return root


def change_prompt_and_bump(root: Path, text: str, *, accuracy: float | None = None) -> str:
    """A new prompt (and metrics), `bump`, committed; returns the new version."""
    (root / "prompts" / "system.txt").write_text(text)
    if accuracy is not None:
        set_metrics(root, {"accuracy": accuracy})
    result = bump_model(root, "sentiment")
    commit_all(root, f"sentiment {result.new_version}")
    return result.new_version


def add_sentiment(root: Path, name: str = "sentiment") -> None:
    """`add NAME` over a git-stored weights file and a prompt (staged, not committed)."""
    write(root, f"prompts/{name}.txt", "You label support tickets.\n")
    write(root, f"artifacts/{name}.bin", "weights v1\n")
    add_model(root, name, weights=[f"artifacts/{name}.bin"], prompts=[f"prompts/{name}.txt"],
              force_git=[f"artifacts/{name}.bin"])


def released_in_git(repo: Path, weights: str = "model.txt") -> Path:
    """`init` (no hooks, no DVC), sentiment over one git-stored weights file, committed and released as
    0.1.0 the way `gitmodel tag` does."""
    init_repo(repo, hooks=False, dvc=False)
    write(repo, weights, "weights v1\n")
    add_model(repo, "sentiment", weights=[weights], force_git=[weights])
    commit_all(repo, "sentiment 0.1.0")
    release(repo, "sentiment")
    return repo


def two_releases(root: Path, monkeypatch: Any) -> Path:
    """sentiment v0.1.0 and v0.2.0 released as `gitmodel tag` does: the prompt, the params (lr) and the
    metrics differ."""
    pin_dates(monkeypatch, "2026-01-15T10:00:00+00:00")
    write(root, "artifacts/model.bin", "weights v1\n")
    write(root, "prompts/system.txt", PROMPT_V1)
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
    release(root, "sentiment")
    pin_dates(monkeypatch, "2026-02-20T09:30:00+00:00")
    (root / "prompts/system.txt").write_text(PROMPT_V2)
    (root / "params.yaml").write_text("lr: 0.0005\nepochs: 3\n")
    result = bump_model(root, "sentiment")
    assert result.new_version == "0.2.0"
    edit(root, "sentiment", metrics={"accuracy": 0.93, "f1": 0.87, "loss": 0.28})
    commit_all(root, "sentiment 0.2.0")
    release(root, "sentiment")
    return root
