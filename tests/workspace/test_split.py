"""Migration: an existing model keeps working unchanged; `gitmodel split-prompt` moves its prompts into a
prompt unit released at v1.0.0 and makes the model use it, in one bump (real git, real DVC, real hooks)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from gitmodel import resolve
from gitmodel.model import manifest as mf
from tests.kit.cli import gm
from tests.kit.files import write
from tests.kit.git import git
from tests.kit.repos import initialized
from tests.kit.units import committed, ok


def _sentiment(repo: Path) -> Path:
    initialized(repo)
    write(repo, "artifacts/model.bin", b"\x00weights\x01" * 32)
    write(repo, "prompts/system.txt", "You label support tickets.\n")
    ok(repo, "add", "sentiment", "--weights", "artifacts/model.bin", "--prompt", "prompts/system.txt",
       "--version", "1.2.0")
    committed(repo, "sentiment 1.2.0")
    ok(repo, "tag", "sentiment")
    return repo


def test_an_existing_manifest_is_read_and_written_byte_for_byte(repo: Path) -> None:
    root = _sentiment(repo)
    path = root / "models" / "sentiment.yaml"
    text = path.read_text()
    m = mf.load(path)
    assert (m.kind, m.unit, m.uses) == (None, "model", None)
    assert mf.render(m, schema_ref="../.gitmodel/schemas/manifest.v1.json") == text  # no kind:, no uses: added
    assert "kind" not in text
    assert gm(root, "check").returncode == 0


def test_split_prompt_releases_the_prompts_and_references_them_in_one_bump(repo: Path) -> None:
    root = _sentiment(repo)
    done = json.loads(ok(root, "split-prompt", "sentiment", "--json"))
    assert (done["unit"], done["release"]) == ("sentiment-prompt", "sentiment-prompt@v1.0.0")
    assert (done["old_version"], done["new_version"], done["level"]) == ("1.2.0", "1.3.0", "minor")
    assert git(root, "log", "-1", "--format=%s").stdout.strip() == \
        "sentiment-prompt 1.0.0: the prompts of sentiment, split out"
    unit = yaml.safe_load(git(root, "show", "sentiment-prompt@v1.0.0:models/sentiment-prompt.yaml").stdout)
    assert (unit["kind"], [p["path"] for p in unit["prompts"]]) == ("prompt", ["prompts/system.txt"])
    model = yaml.safe_load((root / "models" / "sentiment.yaml").read_text())
    assert "prompts" not in model
    assert model["uses"] == {"prompt": "sentiment-prompt@v1.0.0"}
    committed(root, "sentiment 1.3.0")  # the hook passes the one bump
    ok(root, "tag", "sentiment")
    served = resolve("sentiment@v1.3.0", repo=root)
    assert served.prompts == []
    assert served.members["prompt"].prompts[0].read_text() == "You label support tickets.\n"
    # the prompt now moves on its own: an edit is the prompt unit's change, not the model's
    (root / "prompts" / "system.txt").write_text("You label support tickets, briefly.\n")
    git(root, "add", "prompts/system.txt")
    refused = gm(root, "check", "--staged")
    assert refused.returncode == 1
    assert "sentiment-prompt: prompts/system.txt" in refused.stdout + refused.stderr


def test_split_prompt_refuses_uncommitted_prompts_and_leaves_nothing(repo: Path) -> None:
    root = _sentiment(repo)
    (root / "prompts" / "system.txt").write_text("edited, not committed\n")
    refused = gm(root, "split-prompt", "sentiment", "--name", "support-prompt")
    assert refused.returncode == 1
    assert "prompts/system.txt has uncommitted changes" in refused.stderr
    assert not (root / "models" / "support-prompt.yaml").exists()
    assert git(root, "tag", "-l", "support-prompt@*").stdout == ""
    bad = gm(root, "split-prompt", "sentiment", "--name", "../x")
    assert bad.returncode == 2
