"""`.gitmodel.yaml`: defaults, the template, and errors naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import parse_yaml
from gitmodel.model.config import (
    CONFIG_FILE,
    ApprovalRule,
    Config,
    default_policy,
    default_text,
    from_dict,
    load_config,
)
from gitmodel.model.schemas import validate
from gitmodel.model.semver import Level


def test_missing_config_means_defaults(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg == Config()
    assert cfg.policy == default_policy()
    assert cfg.manifest_path("team/ranker") == "models/team/ranker.yaml"
    assert cfg.name_from_path("models/team/ranker.yaml") == "team/ranker"
    assert cfg.name_from_path("other/x.yaml") is None


def test_the_shipped_template_is_valid_and_equals_the_defaults(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text(default_text())
    cfg = load_config(tmp_path, full=True)
    assert cfg.policy == default_policy()
    assert cfg.manifests == "models"
    assert cfg.pre_push == "check"
    assert cfg.remote is None


def test_a_custom_config(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text(
        "manifests: registry/\npolicy: {prompts: patch, weights: major}\n"
        "gates: {sentiment: {accuracy: '>= 0.85', loss: '< 1e-2'}, '*': {}}\nstages: [dev, prod]\n"
        "approvals: {prod: [ml-lead]}\nhooks: {pre_push: push}\nremote: s3store\n")
    cfg = load_config(tmp_path, full=True)
    assert cfg.manifests == "registry"
    assert cfg.policy["prompts"] == Level.PATCH
    assert cfg.policy["weights"] == Level.MAJOR
    assert cfg.policy["data"] == Level.MINOR  # unspecified components keep the default
    assert [str(g) for g in cfg.gates_for("sentiment")] == ["accuracy >= 0.85", "loss < 0.01"]
    assert cfg.gates_for("other") == []
    assert cfg.stages == ["dev", "prod"]
    assert cfg.approvals == {"prod": ApprovalRule(("ml-lead",))}  # the short form: each role once
    assert (cfg.pre_push, cfg.remote) == ("push", "s3store")


@pytest.mark.parametrize(("text", "field"), [
    ("colour: red", "colour"),
    ("policy: {weights: huge}", "policy.weights"),
    ("policy: {bananas: minor}", "policy.bananas"),
    ("policy: [minor]", "policy"),
    ("manifests: ../elsewhere", "manifests"),
    ("gates: {m: {accuracy: 'about 0.9'}}", "gates.m.accuracy"),
    ("stages: prod", "stages"),
    ("hooks: {pre_push: sometimes}", "hooks.pre_push"),
    ("remote: 5", "remote"),
])
def test_bad_config_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    (tmp_path / CONFIG_FILE).write_text(text + "\n")
    with pytest.raises(InvalidInput) as info:
        load_config(tmp_path)
    assert info.value.where == f"{CONFIG_FILE}: {field}"


@pytest.mark.parametrize("text", ["colour: red", "policy: {weights: huge}", "stages: prod", "remote: 5"])
def test_the_config_schema_agrees(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate(parse_yaml(text, where=CONFIG_FILE), "config.v1.json", where=CONFIG_FILE)
    assert info.value.where is not None
    assert info.value.where.startswith(f"{CONFIG_FILE}: ")


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("policy: {weights: minor\n")
    with pytest.raises(InvalidInput, match="line") as info:
        load_config(tmp_path)
    assert info.value.where == CONFIG_FILE


def test_a_non_mapping_is_refused() -> None:
    with pytest.raises(InvalidInput, match="mapping"):
        from_dict(["a"])
    assert from_dict(None) == Config()
