"""`gitmodel used-by`: every release that pinned a dataset release, a file or a content, directly or through
references two levels deep, with the stages each holds now — from one read of every release's manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from gitmodel.repo import git as git_adapter
from gitmodel.review.used_by import used_by
from tests.kit.cli import gm
from tests.kit.units import committed, ok, release_prompt, units_repo


@pytest.fixture
def units(repo: Path) -> Path:
    """units_repo, plus triage-bot (a system using only the model: tickets two levels down), a second
    support-bot release, and stages: support-bot 0.2.0 in prod, sentiment 1.0.0 in staging."""
    root = units_repo(repo)
    ok(root, "add", "triage-bot", "--kind", "system", "--use", "model=sentiment@v1.0.0")
    committed(root, "triage-bot 0.1.0")
    ok(root, "tag", "triage-bot")
    release_prompt(root, "Prompt two.\n")
    ok(root, "bump", "support-bot", "--latest", "prompt")
    committed(root, "support-bot 0.2.0")
    ok(root, "tag", "support-bot")
    ok(root, "promote", "support-bot@v0.2.0", "prod")
    ok(root, "promote", "sentiment@v1.0.0", "staging")
    ok(root, "promote", "triage-bot@v0.1.0", "dev")
    return root


def _users(payload: dict[str, Any]) -> list[tuple[str, int, list[str]]]:
    return [(u["release"], u["depth"], u["stages"]) for u in payload["users"]]


EXPECTED = [("sentiment@v1.0.0", 1, ["staging"]), ("support-bot@v0.1.0", 1, []), ("support-bot@v0.2.0", 1, ["prod"]),
            ("triage-bot@v0.1.0", 2, ["dev"])]


def test_used_by_a_dataset_release_lists_models_and_systems_two_levels_up(units: Path) -> None:
    payload = json.loads(ok(units, "used-by", "tickets@v1.0.0", "--json"))
    assert _users(payload) == EXPECTED
    triage = next(u for u in payload["users"] if u["name"] == "triage-bot")
    assert triage["via"] == ["uses.model=sentiment@v1.0.0", "uses.train=tickets@v1.0.0"]
    assert triage["kind"] == "system"
    table = ok(units, "used-by", "tickets@v1.0.0")
    assert "triage-bot@v0.1.0   system  uses.model=sentiment@v1.0.0 → uses.train=tickets@v1.0.0  dev" in table
    assert "support-prompt" not in table


def test_used_by_a_path_or_a_content_finds_the_dataset_itself_too(units: Path) -> None:
    by_path = json.loads(ok(units, "used-by", "--path", "data/tickets.csv", "--json"))
    assert _users(by_path) == [("tickets@v1.0.0", 0, []), *EXPECTED]
    digest = hashlib.sha256((units / "data" / "tickets.csv").read_bytes()).hexdigest()
    by_content = json.loads(ok(units, "used-by", "--sha256", digest, "--json"))
    assert _users(by_content) == _users(by_path)
    prompt = json.loads(ok(units, "used-by", "support-prompt@v0.1.0", "--json"))
    assert _users(prompt) == [("support-bot@v0.1.0", 1, [])]  # 0.2.0 moved on to the next prompt


def test_used_by_reads_every_release_manifest_in_one_git_call(units: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    real = git_adapter.run

    def counting(cwd: Path, *args: str, **kwargs: Any) -> Any:
        calls.append(args)
        return real(cwd, *args, **kwargs)

    monkeypatch.setattr(git_adapter, "run", counting)
    result = used_by(units, "tickets@v1.0.0")
    assert len(result.users) == 4
    assert [a[0] for a in calls].count("cat-file") == 1  # 7 releases, one `git cat-file --batch`


def test_used_by_refuses_unknown_and_malformed_targets(units: Path) -> None:
    missing = gm(units, "used-by", "tickets@v9.0.0")
    assert missing.returncode == 2
    assert "no release tickets@v9.0.0 (releases of tickets: v1.0.0)" in missing.stderr
    assert gm(units, "used-by", "../etc@v1.0.0").returncode == 2
    assert gm(units, "used-by", "--sha256", "xyz").returncode == 2
    both = gm(units, "used-by", "tickets@v1.0.0", "--path", "data/tickets.csv")
    assert both.returncode == 2
