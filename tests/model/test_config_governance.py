"""`.gitmodel.yaml` governance: signers, roles, approvals (short and long form), require_signatures."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import parse_yaml
from gitmodel.model.config import (
    CONFIG_FILE,
    MEMBER_PATTERN,
    ROLE_PATTERN,
    ApprovalRule,
    default_text,
    from_dict,
    load_config,
)
from gitmodel.model.schemas import load_schema, validate
from tests.kit.cli import gm

GOVERNED = """\
signers: .gitmodel/allowed_signers
roles: {ml-lead: [alice@example.com], legal: [lee@example.com, 0123456789ABCDEF0123456789ABCDEF01234567]}
approvals: {prod: {roles: [ml-lead, legal], distinct: true, count: 3}, staging: [ml-lead]}
require_signatures: [prod]
"""


def test_governance_is_read_in_both_forms(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text(GOVERNED)
    cfg = load_config(tmp_path, full=True)  # the JSON Schema accepts it too
    assert cfg.signers == ".gitmodel/allowed_signers"
    assert cfg.roles["legal"] == ("lee@example.com", "0123456789ABCDEF0123456789ABCDEF01234567")
    assert cfg.approvals["prod"] == ApprovalRule(("ml-lead", "legal"), distinct=True, count=3)
    assert cfg.approvals["staging"] == ApprovalRule(("ml-lead",))
    assert cfg.approvals["staging"].needed == 1
    assert cfg.approvals["prod"].needed == 3
    assert cfg.signatures_required("prod")
    assert not cfg.signatures_required("staging")
    assert cfg.signatures_required(None)  # releases and approvals: some stage is judged on them
    assert from_dict({"require_signatures": True, "signers": "s"}).signatures_required("dev")
    assert not from_dict({}).signatures_required(None)


@pytest.mark.parametrize(("text", "field"), [
    ("signers: /etc/passwd", "signers"),
    ("signers: ../keys", "signers"),
    ("roles: {ml-lead: alice@example.com}", "roles.ml-lead"),
    ("roles: {ML Lead: [alice@example.com]}", "roles.ML Lead"),
    ("roles: {ml-lead: ['alice @example.com']}", "roles.ml-lead"),
    ("approvals: {prod: {roles: [ml-lead], count: many}}", "approvals.prod.count"),
    ("approvals: {prod: {roles: [ml-lead], distinct: 1}}", "approvals.prod.distinct"),
    ("approvals: {prod: {roles: [ml-lead], quorum: 2}}", "approvals.prod.quorum"),
    ("approvals: {prod: {distinct: true}}", "approvals.prod.roles"),
    ("approvals: {prod: ml-lead}", "approvals.prod"),
    ("require_signatures: sometimes\nsigners: s", "require_signatures"),
    ("require_signatures: true", "signers"),
    ("roles: {legal: [lee@example.com]}\napprovals: {prod: [ml-lead]}", "approvals.prod"),
])
def test_bad_governance_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    (tmp_path / CONFIG_FILE).write_text(text + "\n")
    with pytest.raises(InvalidInput) as info:
        load_config(tmp_path)
    assert info.value.where == f"{CONFIG_FILE}: {field}"


def test_bad_governance_is_one_line_and_exit_2(repo: Path) -> None:
    (repo / CONFIG_FILE).write_text("roles: {ml-lead: alice@example.com}\n")
    done = gm(repo, "validate", CONFIG_FILE)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert f"{CONFIG_FILE}: roles.ml-lead" in done.stderr


@pytest.mark.parametrize("text", ["roles: {ml-lead: [a b]}", "approvals: {prod: {roles: [x], count: -1}}",
                                  "approvals: {prod: {roles: [Bad]}}", "require_signatures: yes please"])
def test_the_schema_refuses_what_the_parser_refuses(text: str) -> None:
    with pytest.raises(InvalidInput):
        validate(parse_yaml(text, where=CONFIG_FILE), "config.v1.json", where=CONFIG_FILE)
    with pytest.raises(InvalidInput):
        from_dict(parse_yaml(text, where=CONFIG_FILE))


def test_the_patterns_are_the_schemas() -> None:
    schema = load_schema("config.v1.json")
    assert list(schema["properties"]["roles"]["patternProperties"]) == [ROLE_PATTERN]
    assert schema["$defs"]["roleList"]["items"]["pattern"] == ROLE_PATTERN
    member = schema["properties"]["roles"]["patternProperties"][ROLE_PATTERN]["items"]["pattern"]
    assert member == MEMBER_PATTERN


def test_the_template_names_every_governance_field() -> None:
    text = default_text()
    for key in ("signers:", "roles:", "require_signatures:", "distinct:", "count:"):
        assert key in text
    schema = load_schema("config.v1.json")
    assert {"signers", "roles", "require_signatures", "approvals"} <= set(schema["properties"])
