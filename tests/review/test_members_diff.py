"""`gitmodel diff` between two releases of a system: each member's move, and with --expand its own diff."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from gitmodel.model.schemas import load_schema
from tests.kit.units import committed, ok, release_prompt, units_repo


def test_diff_of_a_system_shows_member_moves_and_expands_them(repo: Path) -> None:
    units = units_repo(repo)
    release_prompt(units, "A clearer prompt.\n")
    ok(units, "bump", "support-bot", "--latest", "prompt")
    committed(units, "support-bot 0.2.0")
    ok(units, "tag", "support-bot")
    plain = json.loads(ok(units, "diff", "support-bot@v0.1.0", "support-bot@v0.2.0", "--json"))
    [bot] = plain["models"]
    assert (bot["required_level"], bot["ok"]) == ("minor", True)
    assert bot["uses"] == [{"role": "prompt", "kind": "changed", "old": "support-prompt@v0.1.0",
                            "new": "support-prompt@v0.2.0", "level": "minor", "diff": None}]
    expanded = json.loads(ok(units, "diff", "support-bot@v0.1.0", "support-bot@v0.2.0", "--json", "--expand"))
    jsonschema.validate(expanded, load_schema("diff.v1.json"))  # the member's diff is a model row too
    member = expanded["models"][0]["uses"][0]["diff"]
    assert (member["name"], member["old_version"], member["new_version"]) == ("support-prompt", "0.1.0", "0.2.0")
    assert [(f["path"], f["kind"]) for f in member["files"]] == [("prompts/support.txt", "changed")]
    text = ok(units, "diff", "support-bot@v0.1.0", "support-bot@v0.2.0", "--expand")
    assert "    prompt: support-prompt@v0.1.0 → support-prompt@v0.2.0 (changed, minor)" in text
    assert "      support-prompt  0.1.0 → 0.2.0  required minor, given minor  ✓ ok" in text
    markdown = ok(units, "diff", "support-bot@v0.1.0", "support-bot@v0.2.0", "--expand", "--format", "markdown")
    assert "<details><summary>prompt: the member's own diff</summary>" in markdown
