"""The bump rule's arithmetic: each component's level under a policy, and the version verdict."""

from __future__ import annotations

import pytest

from gitmodel.model import semver
from gitmodel.model.config import default_policy
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.policy import diff_manifests, reasons, required_level, version_verdict
from gitmodel.model.records import replace
from gitmodel.model.semver import Level
from gitmodel.workspace.edit import next_version

A, B = "a" * 64, "b" * 64
BASE = Manifest(
    name="m", version="1.0.0", description="d",
    weights=(FileEntry("w.bin", A, 1, "dvc", md5="c" * 32),),
    data=(FileEntry("d.csv", A, 1, "git", role="train"),),
    prompts=(FileEntry("p.txt", A, 1, "git"),),
    params={"lr": 0.1}, environment={"python": "3.11.7"},
    schema={"inputs": {"type": "object", "properties": {"text": {"type": "string"}}}},
    metrics={"accuracy": 0.9}, lineage={"parent": "m@v0.9.0"}, card={"license": "mit"},
)

CASES = {
    "weights": replace(BASE, weights=(FileEntry("w.bin", B, 1, "dvc", md5="d" * 32),)),
    "data": replace(BASE, data=(*BASE.data, FileEntry("more.csv", B, 2, "git"))),
    "prompts": replace(BASE, prompts=(FileEntry("p.txt", B, 1, "git"),)),
    "params": replace(BASE, params={"lr": 0.2}),
    "environment": replace(BASE, environment={"python": "3.11.8"}),
    "schema-breaking": replace(BASE, schema={"inputs": {"type": "object", "properties": {}}}),
    "schema-compatible": replace(BASE, schema={"inputs": {"type": "object", "properties": {
        "text": {"type": "string"}, "lang": {"type": "string"}}}}),
    "metadata-description": replace(BASE, description="better words"),
    "metadata-metrics": replace(BASE, metrics={"accuracy": 0.95}),
    "metadata-card": replace(BASE, card={"license": "apache-2.0"}),
}


@pytest.mark.parametrize(("case", "level"), [
    ("weights", Level.MINOR), ("data", Level.MINOR), ("prompts", Level.MINOR), ("params", Level.MINOR),
    ("environment", Level.PATCH), ("schema-breaking", Level.MAJOR), ("schema-compatible", Level.MINOR),
    ("metadata-description", Level.PATCH), ("metadata-metrics", Level.PATCH), ("metadata-card", Level.PATCH),
])
def test_default_policy_levels(case: str, level: Level) -> None:
    changes = diff_manifests(BASE, CASES[case])
    assert changes
    assert required_level(changes) == level
    assert reasons(changes, level)


CUSTOM = {**default_policy(), "prompts": Level.PATCH, "weights": Level.MAJOR, "metadata": Level.NONE,
          "schema": Level.MINOR, "environment": Level.MINOR}


@pytest.mark.parametrize(("case", "level"), [
    ("weights", Level.MAJOR), ("prompts", Level.PATCH), ("data", Level.MINOR), ("environment", Level.MINOR),
    ("metadata-metrics", Level.NONE), ("schema-breaking", Level.MINOR), ("schema-compatible", Level.MINOR),
])
def test_custom_policy_levels(case: str, level: Level) -> None:
    assert required_level(diff_manifests(BASE, CASES[case], CUSTOM)) == level


def test_the_highest_level_wins_and_the_version_is_not_a_change() -> None:
    both = replace(CASES["prompts"], environment={"python": "3.12.0"}, version="7.0.0")
    changes = diff_manifests(BASE, both)
    assert {c.component for c in changes} == {"prompts", "environment"}
    assert required_level(changes) == Level.MINOR
    assert diff_manifests(BASE, BASE.with_version("2.0.0")) == []


def test_a_storage_move_of_the_same_bytes_is_a_patch() -> None:
    moved = replace(BASE, data=(FileEntry("d.csv", A, 1, "dvc", role="train", md5="e" * 32),))
    changes = diff_manifests(BASE, moved)
    assert [(c.key, c.level, c.note) for c in changes] == [("d.csv", Level.PATCH, "storage moved")]


def test_change_descriptions_are_readable() -> None:
    (change,) = diff_manifests(BASE, CASES["params"])
    assert change.describe() == "params.lr 0.1 → 0.2"
    (change,) = diff_manifests(BASE, CASES["prompts"])
    assert change.describe() == "p.txt changed"
    breaking = diff_manifests(BASE, CASES["schema-breaking"])
    assert "breaking: field text removed" in breaking[0].describe()


V = semver.parse


@pytest.mark.parametrize(("current", "released", "case", "problem"), [
    ("1.0.0", "1.0.0", None, None),                         # fresh release, unchanged: fine
    ("1.0.0", "1.0.0", "prompts", "already released"),      # changed but same version
    ("0.9.0", "1.0.0", None, "lower than the latest release"),
    ("0.9.0", "1.0.0", "prompts", "lower than the latest release"),
    ("1.0.1", "1.0.0", "prompts", "not a minor bump"),      # patch where minor is required
    ("1.1.0", "1.0.0", "prompts", None),
    ("2.0.0", "1.0.0", "prompts", None),                    # more than required is fine
    ("1.1.0-rc.1", "1.0.0", "prompts", None),               # a pre-release of the next minor counts
    ("1.1.0", "1.0.0", "schema-breaking", "not a major bump"),
    ("1.0.1", "1.0.0", "environment", None),
    ("1.0.1", "1.0.0", None, None),                         # a bump without changes is allowed
])
def test_version_verdict(current: str, released: str, case: str | None, problem: str | None) -> None:
    changes = diff_manifests(BASE, CASES[case]) if case else []
    level, found = version_verdict(V(current), V(released), changes)
    assert level == required_level(changes)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@pytest.mark.parametrize(("current", "released", "level", "expected"), [
    ("1.0.0", "1.0.0", Level.MINOR, "1.1.0"),    # release + required level
    ("1.0.1", "1.0.0", Level.MINOR, "1.1.0"),    # a hand-set patch does not satisfy minor
    ("1.1.0", "1.0.0", Level.MINOR, "1.1.0"),    # already satisfies: kept
    ("3.0.0", "1.0.0", Level.MINOR, "3.0.0"),
    ("1.1.0", "1.0.0", Level.MAJOR, "2.0.0"),
    ("0.5.0", "1.0.0", Level.PATCH, "1.0.1"),    # lowered by hand: back above the release
    ("1.0.0", "1.0.0", Level.NONE, "1.0.0"),
    ("0.5.0", "1.0.0", Level.NONE, "1.0.0"),
    ("1.2.0", "1.0.0", Level.NONE, "1.2.0"),
])
def test_next_version_follows_the_bump_rule(current: str, released: str, level: Level, expected: str) -> None:
    result = next_version(V(current), V(released), level)
    assert str(result) == expected
    # whatever bump computes, check accepts for that level
    assert semver.meets(result, V(released), level) or (level == Level.NONE and result >= V(released))
