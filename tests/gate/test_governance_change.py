"""`check --base` names every change of roles and of the signers file: a governance change is reviewed, never silent."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kit.cli import gm
from tests.kit.git import commit_all, git
from tests.kit.repos import make_model
from tests.kit.signing import SIGNERS, Person, write_signers

GOVERNED = ("stages: [dev, prod]\nsigners: .gitmodel/allowed_signers\nroles: {ml-lead: [alice@example.com]}\n"
            "approvals: {prod: {roles: [ml-lead], distinct: true}}\nrequire_signatures: [prod]\n")


def test_a_roles_and_signers_change_is_shown_by_check_base(repo: Path, tmp_path: Path) -> None:
    alice, mallory = Person(tmp_path / "keys", "alice"), Person(tmp_path / "keys", "mallory")
    make_model(repo, config=GOVERNED)
    write_signers(repo, alice)
    commit_all(repo, "governance")
    git(repo, "branch", "base")
    (repo / ".gitmodel.yaml").write_text(GOVERNED.replace("[alice@example.com]", "[alice@example.com, mallory@example.com]"))
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
    make_model(repo, config=GOVERNED)
    git(repo, "branch", "base")
    done = gm(repo, "check", "--base", "base")
    assert done.returncode == 0, done.stderr
    assert "governance change" not in done.stderr
