"""`gitmodel audit`: every event in order with its verified signer (real ssh-keygen keys, real git), as a
table, JSON and CSV; `--verify` fails on an unsigned event where signatures are required."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from gitmodel.registry.releases import approve, tag_release
from gitmodel.registry.stages import promote, rollback
from tests.kit.cli import gm
from tests.kit.clock import Clock
from tests.kit.git import git
from tests.kit.repos import change_prompt_and_bump, make_model
from tests.kit.signing import Team, governed_model


@pytest.fixture
def history(repo: Path, team: Team, clock: Clock) -> Path:
    """0.1.0 released by bob, approved by alice, promoted to prod by alice; 0.2.0 likewise; prod rolled back."""
    clock.tick()
    governed_model(repo, team)
    team.alice.act(repo)
    clock.tick()
    approve(repo, "sentiment@v0.1.0", "ml-lead")
    clock.tick()
    promote(repo, "sentiment@v0.1.0", "prod")
    clock.tick()
    change_prompt_and_bump(repo, "You are a careful sentiment classifier.\n")
    team.bob.act(repo)
    tag_release(repo, "sentiment")
    clock.tick()
    team.alice.act(repo)
    approve(repo, "sentiment@v0.2.0", "ml-lead")
    clock.tick()
    promote(repo, "sentiment@v0.2.0", "prod")
    clock.tick()
    rollback(repo, "sentiment", "prod")
    return repo


def test_audit_json_lists_every_event_with_its_verified_signer(history: Path) -> None:
    done = gm(history, "audit", "sentiment", "--json", "--verify")
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)["events"]
    assert [(e["event"], e["what"], e["who"], e["verified"]) for e in events] == [
        ("release", "v0.1.0", "bob@example.com", True),
        ("approval", "v0.1.0 as ml-lead", "alice@example.com", True),
        ("stage", "v0.1.0 to prod", "alice@example.com", True),
        ("release", "v0.2.0", "bob@example.com", True),
        ("approval", "v0.2.0 as ml-lead", "alice@example.com", True),
        ("stage", "v0.2.0 to prod", "alice@example.com", True),
        ("rollback", "prod back to v0.1.0", "alice@example.com", True),
    ]
    fingerprint = git(history, "for-each-ref", "--format=%(contents)", "refs/tags/sentiment@v0.1.0").stdout
    first = next(line for line in fingerprint.splitlines() if line.startswith("fingerprint:"))
    assert events[0]["fingerprint"] == first.split(": ")[1]
    assert events[1]["fingerprint"] == events[0]["fingerprint"]  # an approval carries its release's
    assert all(e["signatures_required"] and e["problem"] is None for e in events)


def test_audit_table_and_csv(history: Path) -> None:
    table = gm(history, "audit")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["when", "model", "event", "what", "who", "verified",
                                                    "fingerprint", "tag"]
    assert "sentiment#prod#3" in table.stdout
    rows = list(csv.reader(io.StringIO(gm(history, "audit", "--format", "csv").stdout)))
    assert rows[0][:5] == ["when", "model", "event", "what", "who"]
    assert len(rows) == 8
    assert [r[4] for r in rows[1:3]] == ["bob@example.com", "alice@example.com"]


def test_audit_verify_fails_on_an_unsigned_event(history: Path, team: Team) -> None:
    team.alice.act(history)
    git(history, "tag", "-a", "--no-sign", "sentiment#dev#9", "sentiment@v0.1.0^{commit}", "-m", "by hand")
    team.stranger.act(history)
    git(history, "tag", "-s", "sentiment@v0.1.0!", "sentiment@v0.1.0^{commit}", "-m", "deregister")
    done = gm(history, "audit", "sentiment", "--verify")
    assert done.returncode == 1
    assert "audit: sentiment#dev#9 is unsigned: signatures are required (require_signatures)" in done.stderr
    assert "audit: sentiment@v0.1.0! is unknown key SHA256:" in done.stderr
    rows = {line.split()[-1]: line for line in done.stdout.splitlines()[1:]}
    assert " unsigned " in rows["sentiment#dev#9"]
    assert "deregister" in rows["sentiment@v0.1.0!"]


def test_audit_without_governance_says_unsigned_and_verify_passes(repo: Path, clock: Clock) -> None:
    clock.tick()
    make_model(repo)
    assert gm(repo, "tag", "sentiment").returncode == 0
    done = gm(repo, "audit", "sentiment", "--json", "--verify")
    assert done.returncode == 0, done.stderr
    (event,) = json.loads(done.stdout)["events"]
    assert (event["event"], event["who"], event["verified"], event["signatures_required"]) == \
        ("release", "unsigned", False, False)
    assert event["tagger"] == "Test User <test@example.com>"
