"""The card's header is Hub metadata, as the real huggingface_hub reads it (offline: from the file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kit.cli import gm
from tests.kit.git import git

try:
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard import metadata_load
except ImportError:  # pragma: no cover - the test extra installs it
    pytest.fail("huggingface_hub is missing: pip install -e '.[test]' (or pip install huggingface_hub)")


def _model(repo: Path, *roles: str, license: str = "Apache 2.0", message: str = "") -> Path:
    """A released model with train and test data, metrics and a card section, made through the CLI."""
    assert gm(repo, "init", "--remote", str(repo.parent / "remote")).returncode == 0
    (repo / "data").mkdir()
    (repo / "w.bin").write_bytes(b"\x00weights" * 16)
    (repo / "data" / "train.csv").write_text("text,label\ngood,pos\n")
    (repo / "data" / "test.csv").write_text("text,label\nbad,neg\n")
    (repo / "metrics.json").write_text(json.dumps({"accuracy": 0.91, "f1": 0.88}))
    added = gm(repo, "add", "sentiment", "--weights", "w.bin", "--data", "data/train.csv", "--data",
               "data/test.csv", "--metrics", "metrics.json", *[a for r in roles for a in ("--data-role", r)])
    assert added.returncode == 0, added.stderr
    with (repo / "models" / "sentiment.yaml").open("a") as fh:
        fh.write(f"card:\n  license: {license}\n  task: text-classification\n  license_name: in-house\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "sentiment")
    tagged = gm(repo, "tag", "sentiment", *(("-m", message) if message else ()))
    assert tagged.returncode == 0, tagged.stderr
    return repo


def _card(repo: Path, ref: str = "sentiment@v0.1.0") -> Path:
    made = gm(repo, "card", ref, "-o", "CARD.md")
    assert made.returncode == 0, made.stderr
    return repo / "CARD.md"


def test_card_loads_in_huggingface_hub_with_hub_license_and_eval_results(repo: Path) -> None:
    _model(repo, "data/test.csv=test",
           message="Baseline | March tickets\n\nretrained with the new \x1b[31mtokenizer\x1b[0m")
    path = _card(repo)
    card = ModelCard.load(path, ignore_metadata_errors=False)
    assert card.data.license == "apache-2.0"  # written `Apache 2.0` in the manifest
    assert card.data.model_name == "sentiment"
    results = {(r.metric_type, r.metric_value, r.dataset_type, r.task_type) for r in card.data.eval_results}
    assert results == {("accuracy", 0.91, "data/test.csv", "text-classification"),
                       ("f1", 0.88, "data/test.csv", "text-classification")}
    assert metadata_load(path)["license"] == "apache-2.0"
    # the versions table shows what the releaser wrote, on one row, its `|` escaped
    row = next(line for line in card.text.splitlines() if line.startswith("| v0.1.0"))
    assert row.endswith("| Baseline \\| March tickets retrained with the new [31mtokenizer [0m |")
    assert "\x1b" not in card.text
    assert row.count(" | ") == 3


def test_no_model_index_when_metrics_were_not_measured_on_held_out_data(repo: Path) -> None:
    _model(repo)  # both data files default to role train
    path = _card(repo)
    card = ModelCard.load(path, ignore_metadata_errors=False)
    assert card.data.eval_results is None
    assert "model-index" not in metadata_load(path)
    assert metadata_load(path)["metrics"] == ["accuracy", "f1"]
    # marking the test set (a data change: minor bump), the next release's card claims results against it
    bumped = gm(repo, "bump", "sentiment", "--data-role", "data/test.csv=test")
    assert bumped.returncode == 0, bumped.stderr
    assert "0.1.0 → 0.2.0" in bumped.stdout
    git(repo, "commit", "-q", "-am", "test set marked")
    assert gm(repo, "tag", "sentiment").returncode == 0
    again = ModelCard.load(_card(repo, "sentiment@v0.2.0"), ignore_metadata_errors=False)
    assert {r.dataset_type for r in again.data.eval_results} == {"data/test.csv"}


def test_license_the_hub_does_not_know_is_refused_with_the_list(repo: Path) -> None:
    _model(repo, license="Proprietary")
    refused = gm(repo, "card", "sentiment@v0.1.0", "-o", "CARD.md")
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("error: models/sentiment.yaml: card.license: 'Proprietary' is not a license id")
    assert all(lic in line for lic in ("apache-2.0", "mit", "cc-by-4.0", "other"))
    assert not (repo / "CARD.md").exists()
    # the hint, followed: `other` with license_name (already in the card section) loads on the Hub side
    text = (repo / "models" / "sentiment.yaml").read_text().replace("license: Proprietary", "license: other")
    (repo / "models" / "sentiment.yaml").write_text(text)
    made = gm(repo, "card", "sentiment", "-o", "CARD.md")
    assert made.returncode == 0, made.stderr
    data = ModelCard.load(repo / "CARD.md", ignore_metadata_errors=False).data
    assert (data.license, data.license_name) == ("other", "in-house")


def test_data_role_is_checked_before_anything_is_written(repo: Path) -> None:
    assert gm(repo, "init", "--remote", str(repo.parent / "remote")).returncode == 0
    (repo / "w.bin").write_bytes(b"\x00w" * 8)
    (repo / "test.csv").write_text("a\n1\n")
    typo = gm(repo, "add", "m", "--weights", "w.bin", "--data", "test.csv", "--data-role", "test.csv=evaluation")
    assert typo.returncode == 2
    assert typo.stderr.startswith("error: --data-role: unknown role 'evaluation' — one of train, validation, eval")
    stray = gm(repo, "add", "m", "--weights", "w.bin", "--data-role", "test.csv=test")
    assert stray.returncode == 2
    assert "test.csv is not one of m's data files" in stray.stderr
    assert not (repo / "models" / "m.yaml").exists()
    assert not (repo / "w.bin.dvc").exists()


def test_roles_the_flag_offers_that_mean_held_out_are_the_ones_the_card_reports() -> None:
    from gitmodel.review.card import EVAL_ROLES, HUB_LICENSES
    from gitmodel.workspace.inputs import DATA_ROLES

    assert set(DATA_ROLES) - {"train", "other"} <= set(EVAL_ROLES)
    assert "train" not in EVAL_ROLES
    assert len(set(HUB_LICENSES)) == len(HUB_LICENSES)
