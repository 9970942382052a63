"""Unit kinds and references on plain values: what each kind may pin, the level a moved reference requires
(the referenced release's own step unless the policy says), and the config keys that set it."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.model import manifest as mf
from gitmodel.model.config import from_dict as config_from_dict
from gitmodel.model.policy import diff_manifests, required_level
from gitmodel.model.schemas import load_schema
from gitmodel.model.semver import Level
from gitmodel.model.units import reference_level

SHA = "a" * 64
PROMPT = {"path": "prompts/p.txt", "sha256": SHA, "size": 1, "storage": "git"}


def _doc(**fields: Any) -> dict[str, Any]:
    return {"schema_version": 1, "name": "bot", "version": "1.0.0", **fields}


@pytest.mark.parametrize(("fields", "where"), [
    ({"kind": "prompt"}, "prompts"),
    ({"kind": "prompt", "prompts": [PROMPT], "weights": [dict(PROMPT, path="w.bin")]}, "weights"),
    ({"kind": "dataset", "prompts": [PROMPT]}, "prompts"),
    ({"kind": "dataset", "data": []}, "data"),
    ({"kind": "agent"}, "kind"),
    ({"uses": {"prompt": "p@1.0.0"}}, "uses.prompt"),
    ({"uses": {"prompt": "../p@v1.0.0"}}, "uses.prompt"),
    ({"uses": {"Prompt": "p@v1.0.0"}}, "uses.Prompt"),
    ({"uses": {"prompt": "bot@v0.9.0"}}, "uses.prompt"),
    ({"uses": ["p@v1.0.0"]}, "uses"),
])
def test_invalid_units_are_refused_by_the_parser_and_the_schema(fields: dict[str, Any], where: str) -> None:
    doc = _doc(**fields)
    with pytest.raises(InvalidInput) as raised:
        mf.from_dict(doc, where="models/bot.yaml")
    assert raised.value.line().startswith(f"error: models/bot.yaml: {where}: ")
    if "bot@v" not in str(fields):  # a self-reference is the parser's rule: the schema cannot see the name
        assert not jsonschema.Draft202012Validator(load_schema("manifest.v1.json")).is_valid(doc)


@pytest.mark.parametrize("fields", [
    {}, {"kind": "model"}, {"kind": "prompt", "prompts": [PROMPT], "params": {"temperature": 0.2}},
    {"kind": "dataset", "data": [dict(PROMPT, path="data/t.csv")]}, {"kind": "system"},
    {"kind": "system", "uses": {"prompt": "p@v1.0.0", "model": "team/m@v2.0.0-rc.1"}},
])
def test_valid_units_pass_both(fields: dict[str, Any]) -> None:
    doc = _doc(**fields)
    m = mf.from_dict(doc, where="models/bot.yaml")
    assert m.unit == fields.get("kind", "model")
    assert m.to_dict() == doc  # `kind` written only when given: a model's manifest stays as it was
    jsonschema.Draft202012Validator(load_schema("manifest.v1.json")).validate(doc)


@pytest.mark.parametrize(("old", "new", "level"), [
    ("p@v1.4.0", "p@v1.4.1", Level.PATCH), ("p@v1.4.0", "p@v1.5.0", Level.MINOR),
    ("p@v1.4.0", "p@v2.0.0", Level.MAJOR), ("p@v2.0.0", "p@v1.9.0", Level.MAJOR),  # back a major: major
    ("p@v1.4.0", "p@v1.4.0-rc.1", Level.PATCH), (None, "p@v1.0.0", Level.MINOR),
    ("p@v1.0.0", None, Level.MAJOR), ("p@v1.0.0", "q@v1.0.0", Level.MAJOR),
])
def test_a_reference_moves_at_its_releases_own_step(old: str | None, new: str | None, level: Level) -> None:
    assert reference_level("prompt", old, new, {}) == level


def test_the_policy_sets_the_level_per_role_then_for_every_reference() -> None:
    cfg = config_from_dict({"policy": {"uses.prompt": "patch", "uses": "major"}})
    assert reference_level("prompt", "p@v1.0.0", "p@v2.0.0", cfg.policy) == Level.PATCH
    assert reference_level("model", "m@v1.0.0", "m@v1.0.1", cfg.policy) == Level.MAJOR
    old = mf.from_dict(_doc(kind="system", uses={"prompt": "p@v1.0.0"}), where="x")
    new = mf.from_dict(_doc(kind="system", uses={"prompt": "p@v3.0.0"}), where="x")
    assert required_level(diff_manifests(old, new, cfg.policy)) == Level.PATCH
    assert required_level(diff_manifests(old, new)) == Level.MAJOR
    jsonschema.Draft202012Validator(load_schema("config.v1.json")).validate(
        {"policy": {"uses.prompt": "patch", "uses": "major"}})
    for bad in ("uses.a.b", "uses.", "usesx"):
        with pytest.raises(InvalidInput, match=f"policy.{bad}"):
            config_from_dict({"policy": {bad: "minor"}})
        assert not jsonschema.Draft202012Validator(load_schema("config.v1.json")).is_valid({"policy": {bad: "minor"}})


def test_changing_a_units_kind_is_major() -> None:
    old = mf.from_dict(_doc(kind="prompt", prompts=[PROMPT]), where="x")
    new = mf.from_dict(_doc(kind="system", prompts=[PROMPT]), where="x")
    changes = diff_manifests(old, new)
    assert [(c.component, c.old, c.new, c.level) for c in changes] == [("kind", "prompt", "system", Level.MAJOR)]
    # an omitted kind is a model: writing `kind: model` changes nothing but the fingerprint's text
    assert diff_manifests(mf.from_dict(_doc(), where="x"), mf.from_dict(_doc(kind="model"), where="x")) == []
