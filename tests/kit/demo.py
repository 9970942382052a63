"""A registry with some history to look at (the one `gitmodel site` tests build): three models, several
releases, a prompt reworded, promotions, a rollback and an approval, made with gitmodel's own functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.registry.releases import approve, tag_release
from gitmodel.registry.stages import promote, rollback
from gitmodel.workspace.edit import add_model, bump_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.clock import Clock
from tests.kit.files import write
from tests.kit.git import commit_all
from tests.kit.manifests import edit

PROMPTS = ("You are a sentiment classifier.\n",
           "You are a careful sentiment classifier. Answer pos, neu or neg.\n")
APPROVER = "Ada Lovelace"
CONFIG = "stages: [dev, staging, prod]\n"


def _release(root: Path, clock: Clock, name: str, message: str) -> None:
    clock.tick()
    commit_all(root, f"{name} release")
    clock.tick()
    tag_release(root, name, message=message)


def _stage(root: Path, clock: Clock, ref: str, stage: str) -> None:
    clock.tick()
    promote(root, ref, stage)


def demo_registry(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`root` (a fresh git repo) as a registry: sentiment v0.1.0-v0.3.0 (v0.2.0 rewords the prompt, is approved
    by Ada Lovelace as ml-lead, and holds prod after v0.3.0 was rolled back), team/ranker v0.1.0-v0.2.0
    (v0.1.0 in prod, v0.2.0 in staging) and churn (never released)."""
    clock = Clock(monkeypatch)
    clock.tick()
    init_repo(root, hooks=False, dvc=False)
    (root / ".gitmodel.yaml").write_text((root / ".gitmodel.yaml").read_text() + CONFIG)
    write(root, "artifacts/sentiment.bin", "weights v1\n")
    write(root, "prompts/system.txt", PROMPTS[0])
    add_model(root, "sentiment", weights=["artifacts/sentiment.bin"], prompts=["prompts/system.txt"],
              force_git=["artifacts/sentiment.bin"], description="Support ticket sentiment")
    edit(root, "sentiment", metrics={"accuracy": 0.88, "f1": 0.85},
         card={"intended_use": "Routing English support tickets by sentiment.", "license": "apache-2.0",
               "owners": ["ml-team"], "limitations": "English only."},
         lineage={"base_model": "distilbert-base-uncased"})
    _release(root, clock, "sentiment", "first release")
    (root / "prompts/system.txt").write_text(PROMPTS[1])
    bump_model(root, "sentiment")
    edit(root, "sentiment", metrics={"accuracy": 0.91, "f1": 0.87})
    _release(root, clock, "sentiment", "terser prompt")
    write(root, "artifacts/sentiment.bin", "weights v2\n")
    bump_model(root, "sentiment")
    edit(root, "sentiment", metrics={"accuracy": 0.93, "f1": 0.86}, lineage={
        "base_model": "distilbert-base-uncased", "parent": "sentiment@v0.2.0"})
    _release(root, clock, "sentiment", "retrained on more tickets")

    write(root, "artifacts/ranker.bin", "ranker weights\n")
    (root / "ranker.yaml").write_text("depth: 4\n")
    add_model(root, "team/ranker", weights=["artifacts/ranker.bin"], params_file="ranker.yaml",
              force_git=["artifacts/ranker.bin"], description="Search result ranker")
    edit(root, "team/ranker", metrics={"ndcg": 0.71})
    _release(root, clock, "team/ranker", "")
    (root / "ranker.yaml").write_text("depth: 6\n")
    bump_model(root, "team/ranker")
    edit(root, "team/ranker", metrics={"ndcg": 0.74})
    _release(root, clock, "team/ranker", "deeper trees")

    write(root, "artifacts/churn.bin", "churn weights\n")
    add_model(root, "churn", weights=["artifacts/churn.bin"], force_git=["artifacts/churn.bin"],
              description="Customer churn predictor")
    clock.tick()
    commit_all(root, "churn 0.1.0")

    _stage(root, clock, "sentiment@v0.1.0", "prod")
    _stage(root, clock, "sentiment@v0.2.0", "staging")
    clock.tick()
    monkeypatch.setenv("GIT_COMMITTER_NAME", APPROVER)
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ada@example.com")
    approve(root, "sentiment@v0.2.0", "ml-lead", "eval report reviewed")
    monkeypatch.delenv("GIT_COMMITTER_NAME")
    monkeypatch.delenv("GIT_COMMITTER_EMAIL")
    _stage(root, clock, "sentiment@v0.2.0", "prod")
    _stage(root, clock, "sentiment@v0.3.0", "prod")
    clock.tick()
    rollback(root, "sentiment", "prod")
    _stage(root, clock, "team/ranker@v0.1.0", "prod")
    _stage(root, clock, "team/ranker@v0.2.0", "staging")
    return root
