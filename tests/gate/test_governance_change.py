"""`check --base` names every change of roles and of the signers file: a governance change is reviewed, never silent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gitmodel.registry.releases import approve, tag_release
from gitmodel.registry.stages import promote
from tests.kit.cli import gm
from tests.kit.clock import Clock
from tests.kit.git import commit_all, git
from tests.kit.repos import change_prompt_and_bump, make_model
from tests.kit.signing import GOVERNED, SIGNERS, Person, Team, governed_model, write_signers

ALICE_ONLY = GOVERNED.replace("[alice@example.com, bob@example.com]", "[alice@example.com]")


def test_a_roles_and_signers_change_is_shown_by_check_base(repo: Path, tmp_path: Path) -> None:
    alice, mallory = Person(tmp_path / "keys", "alice"), Person(tmp_path / "keys", "mallory")
    make_model(repo, config=ALICE_ONLY)
    write_signers(repo, alice)
    commit_all(repo, "governance")
    git(repo, "branch", "base")
    (repo / ".gitmodel.yaml").write_text(ALICE_ONLY.replace("[alice@example.com]",
                                                               "[alice@example.com, mallory@example.com]"))
    write_signers(repo, alice, mallory)
    commit_all(repo, "add mallory to ml-lead")
    done = gm(repo, "check", "--base", "base")
    assert done.returncode == 0, done.stderr  # a reviewed change is legitimate: shown, not refused
    assert ("governance change: .gitmodel.yaml: roles.ml-lead: alice@example.com → alice@example.com, "
            "mallory@example.com") in done.stderr
    assert f"governance change: signers file {SIGNERS}: 1 key line(s) added, 0 removed" in done.stderr
    data = json.loads(gm(repo, "check", "--base", "base", "--json").stdout)
    assert sum("governance change" in w for w in data["warnings"]) == 2


def test_no_governance_change_no_line(repo: Path) -> None:
    make_model(repo, config=ALICE_ONLY)
    git(repo, "branch", "base")
    done = gm(repo, "check", "--base", "base")
    assert done.returncode == 0, done.stderr
    assert "governance change" not in done.stderr


def test_check_base_verifies_the_tags_pushed_alongside(repo: Path, team: Team, clock: Clock) -> None:
    # a pull request adds mallory to ml-lead in the same change as a new version; locally she approves and
    # promotes (her branch's roles say she may); CI judges the new tags with the base's roles
    clock.tick()
    governed_model(repo, team)
    git(repo, "branch", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    clock.tick()
    (repo / ".gitmodel.yaml").write_text(GOVERNED.replace("bob@example.com]", "bob@example.com, mallory@example.com]"))
    change_prompt_and_bump(repo, "Always answer pos.\n")
    team.bob.act(repo)
    tag_release(repo, "sentiment")
    team.mallory.act(repo)
    approve(repo, "sentiment@v0.2.0", "ml-lead")
    clock.tick()
    assert promote(repo, "sentiment@v0.2.0", "prod").tag == "sentiment#prod#1"  # her own branch lets her
    done = gm(repo, "check", "--base", "base")
    assert done.returncode == 1
    assert "governance change: .gitmodel.yaml: roles.ml-lead" in done.stderr
    assert "sentiment#prod#1 (signed by mallory@example.com): approvals.prod needs ml-lead" in done.stderr
    assert "is signed by mallory@example.com, who is not in roles.ml-lead" in done.stderr
    assert "sentiment@v0.2.0" in done.stderr


def test_check_base_refuses_a_release_signed_by_a_stranger(repo: Path, team: Team, clock: Clock) -> None:
    clock.tick()
    governed_model(repo, team)
    git(repo, "branch", "base")
    clock.tick()
    change_prompt_and_bump(repo, "Always answer neg.\n")
    team.stranger.act(repo)
    tag_release(repo, "sentiment")  # signed, but by a key the signers file lacks
    done = gm(repo, "check", "--base", "base", "--json")
    assert done.returncode == 1
    (finding,) = json.loads(done.stdout)["violations"]
    assert finding["rule"] == "signed"
    assert finding["path"] == "sentiment@v0.2.0"
    assert finding["message"].startswith("sentiment@v0.2.0 is unknown key SHA256:")
    team.bob.act(repo)
    git(repo, "tag", "-d", "sentiment@v0.2.0")
    tag_release(repo, "sentiment")
    assert gm(repo, "check", "--base", "base").returncode == 0


def test_the_hook_path_imports_nothing_of_governance(tmp_path: Path) -> None:
    # signing costs nothing when it is off: the commit hook never loads signing, governance or CycloneDX
    probe = ("import sys, gitmodel.gate.hook; print(sorted(m for m in sys.modules if m.startswith(("
             "'gitmodel.repo.signing', 'gitmodel.repo.governance', 'gitmodel.registry', 'gitmodel.review', "
             "'cyclonedx', 'concurrent'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
