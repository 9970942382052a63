"""A system resolved and exported as one set of verified releases (real git, real DVC): members by role,
recursively, each checked against its tag; a damaged member refuses the whole set and places nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from gitmodel import resolve
from gitmodel.infra.errors import Refused
from tests.kit.cli import gm
from tests.kit.git import git
from tests.kit.units import ok, release_prompt, units_repo


@pytest.fixture
def units(repo: Path) -> Path:
    root = units_repo(repo)
    ok(root, "promote", "support-bot@v0.1.0", "prod")
    return root


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_resolve_a_system_by_stage_returns_every_member_verified(units: Path) -> None:
    bot = resolve("support-bot#prod", repo=units)
    assert (bot.tag, sorted(bot.members)) == ("support-bot@v0.1.0", ["eval", "model", "prompt"])
    prompt = bot.members["prompt"]
    assert prompt.tag == "support-prompt@v0.1.0"
    assert prompt.prompts[0].read_text() == "You answer support tickets.\n"
    model = bot.members["model"]
    assert model.tag == "sentiment@v1.0.0"
    assert _sha(model.weights[0]) == model.manifest.weights[0].sha256  # a DVC-stored file, from the cache
    # two levels: the model's training set is the same release as the system's eval set, one export of it
    train, evaluation = model.members["train"], bot.members["eval"]
    assert train.tag == evaluation.tag == "tickets@v1.0.0"
    assert train.root == evaluation.root
    assert train.data[0].read_text().startswith("text,label")


def test_a_damaged_member_object_refuses_the_set_and_places_nothing(units: Path) -> None:
    weights = yaml.safe_load((units / "models" / "sentiment.yaml").read_text())["weights"][0]
    obj = units / ".dvc" / "cache" / "files" / "md5" / weights["md5"][:2] / weights["md5"][2:]
    good = obj.read_bytes()

    def damage() -> None:  # the local cache's copy of the model's weights (never pushed: no remote copy)
        if obj.exists():
            obj.chmod(0o644)
        obj.write_bytes(b"\x01" + good[1:])

    damage()
    out = units.parent / "export"
    got = gm(units, "get", "support-bot#prod", "--out", str(out))
    assert got.returncode == 1, got.stderr
    assert "sentiment" in got.stderr
    assert not out.exists()  # the system's manifest, placed before the model's member failed, is gone too
    damage()
    resolved = units / ".git" / "gitmodel" / "resolved"
    before = sorted(p.name for p in resolved.iterdir()) if resolved.exists() else []
    with pytest.raises(Refused, match="sentiment"):
        resolve("support-bot#prod", repo=units)
    after = sorted(p.name for p in resolved.iterdir() if not p.name.startswith(".")) if resolved.exists() else []
    assert after == before  # neither the system, nor the members exported before the damaged one


def test_get_exports_members_side_by_side(units: Path, tmp_path: Path) -> None:
    out = tmp_path / "bot"
    placed = json.loads(ok(units, "get", "support-bot@v0.1.0", "--out", str(out), "--json"))
    assert sorted(placed["members"]) == ["eval", "model", "prompt"]
    assert (out / "models" / "support-bot.yaml").is_file()
    assert (out / "prompt" / "prompts" / "support.txt").read_text() == "You answer support tickets.\n"
    assert _sha(out / "model" / "artifacts" / "sentiment.bin") == placed["members"]["model"]["files"][0]["sha256"]
    assert (out / "model" / "train" / "data" / "tickets.csv").is_file()
    assert (out / "eval" / "data" / "tickets.csv").is_file()


def test_a_member_tag_moved_after_release_refuses_resolve(units: Path) -> None:
    release_prompt(units, "The next prompt.\n")
    message = git(units, "tag", "-l", "--format=%(contents)", "support-prompt@v0.1.0").stdout
    git(units, "tag", "-f", "-a", "support-prompt@v0.1.0", "-m", message, "HEAD")
    with pytest.raises(Refused, match=r"uses\.prompt.*was moved|was moved"):
        resolve("support-bot#prod", repo=units)
