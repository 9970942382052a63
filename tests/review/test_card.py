"""gitmodel card: Hugging Face header, sections from the manifest, versions from release tags, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitmodel.infra.errors import InvalidInput
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.review.card import hf_metadata, render_card
from tests.kit.cli import gm
from tests.kit.goldens import golden
from tests.kit.manifests import edit
from tests.kit.repos import two_releases


def header(text: str) -> dict:
    assert text.startswith("---\n")
    block, _sep, _rest = text[4:].partition("\n---\n")
    data = yaml.safe_load(block)
    assert isinstance(data, dict)
    return data


def test_release_card_matches_golden(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    result = render_card(repo, "sentiment@v0.2.0")
    golden("card_sentiment_v0.2.0.md", result.text)
    meta = header(result.text)
    assert meta["license"] == "apache-2.0"
    assert meta["base_model"] == "distilbert-base-uncased"
    assert meta["datasets"] == ["imdb"]
    assert meta["tags"] == ["gitmodel", "sentiment", "text-classification"]
    assert meta["metrics"] == ["accuracy", "f1", "loss"]
    # imdb is training data (lineage.datasets) and no data has an eval role: no evaluation results claimed
    assert "model-index" not in meta
    assert "| accuracy | 0.93 |" in result.text
    assert "| v0.1.0 | 2026-01-15 | Test User | — |" in result.text  # released without a message
    assert "| v0.2.0 (this card) | 2026-02-20 |" in result.text
    assert "Routing English support tickets by sentiment." in result.text


def test_older_release_card_shows_its_own_metrics_and_history(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    text = render_card(repo, "sentiment@v0.1.0").text
    assert "| accuracy | 0.91 |" in text
    assert "| loss | 0.31 |" in text
    assert "v0.2.0" not in text
    assert "lr` | `0.001`" in text


def test_working_tree_card_and_unreleased_version(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    edit(repo, "sentiment", version="0.3.0")
    result = render_card(repo, "sentiment")
    assert result.version == "0.3.0"
    assert "# sentiment v0.3.0" in result.text
    assert "(this card)" not in result.text  # 0.3.0 is not released yet


def test_header_without_metrics_or_license_is_minimal() -> None:
    m = Manifest(name="tiny", version="0.1.0",
                 weights=(FileEntry("w.bin", "a" * 64, 3, "git"),),
                 data=(FileEntry("data/eval.csv", "b" * 64, 3, "git", role="eval"),), metrics={"note": "x"})
    assert hf_metadata(m) == {"tags": ["gitmodel"]}
    m2 = Manifest(name="tiny", version="0.1.0", data=m.data, metrics={"acc": 0.5})
    assert hf_metadata(m2)["model-index"][0]["results"][0]["dataset"] == {"name": "data/eval.csv",
                                                                          "type": "data/eval.csv"}


def test_repo_template_override(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    (repo / ".gitmodel").mkdir(exist_ok=True)  # add already put the schemas there
    (repo / ".gitmodel/model-card.md").write_text("$yaml_header\n\n# $name ($version) — costs $$0\n")
    result = render_card(repo, "sentiment@v0.2.0")
    assert result.template == ".gitmodel/model-card.md"
    assert result.text.endswith("\n# sentiment (0.2.0) — costs $0\n")
    (repo / ".gitmodel/model-card.md").write_text("# $name $no_such_field\n")
    with pytest.raises(InvalidInput, match=r"unknown placeholder \$no_such_field") as exc:
        render_card(repo, "sentiment")
    assert exc.value.where == ".gitmodel/model-card.md"


def test_cli_writes_card_atomically(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    result = gm(repo, "card", "sentiment@v0.2.0", "-o", "MODEL_CARD.md")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wrote MODEL_CARD.md (sentiment 0.2.0)"
    text = (repo / "MODEL_CARD.md").read_text()
    assert header(text)["metrics"] == ["accuracy", "f1", "loss"]
    assert [p.name for p in repo.iterdir() if p.name.startswith(".MODEL_CARD")] == []  # no temp file left
    stdout = gm(repo, "card", "sentiment@v0.2.0")
    assert stdout.stdout == text


def test_cli_card_errors(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_releases(repo, monkeypatch)
    missing = gm(repo, "card", "sentiment@v9.9.9", "-o", "CARD.md")
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: sentiment@v9.9.9: no release sentiment@v9.9.9")
    assert not (repo / "CARD.md").exists()
    unknown = gm(repo, "card", "nosuch")
    assert unknown.returncode == 2
    assert "no such model" in unknown.stderr
    stage = gm(repo, "card", "sentiment#prod")
    assert stage.returncode == 2


def test_cli_card_json(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    two_releases(repo, monkeypatch)
    result = gm(repo, "card", "sentiment@v0.1.0", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["name"], data["version"], data["template"]) == ("sentiment", "0.1.0", "templates/model-card.md")
    assert data["metadata"]["metrics"] == ["accuracy", "f1", "loss"]
    assert data["text"].startswith("---\n")
