"""The lean validator never disagrees with jsonschema on gitmodel's own schemas."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmodel.model.schema_check import is_valid
from gitmodel.model.schemas import load_schema
from tests.kit.manifests import paths_in

SHA = "a" * 64
GOOD_FILE = {"path": "artifacts/model.bin", "sha256": SHA, "size": 10, "storage": "dvc", "md5": "b" * 32}
GOOD = {
    "schema_version": 1, "name": "team/sentiment", "version": "1.2.3-rc.1+build.5", "description": "d",
    "weights": [GOOD_FILE], "data": [dict(GOOD_FILE, path="data/dir", md5="c" * 32 + ".dir", nfiles=3)],
    "prompts": [dict(GOOD_FILE, storage="git", md5=None)], "params": {"lr": 0.1},
    "params_file": {"path": "params.yaml", "sha256": SHA}, "schema": {"inputs": {}, "outputs": {}},
    "environment": {"python": "3.11", "packages": {"torch": "2.3"}, "lock": {"path": "req.lock", "sha256": SHA}},
    "metrics": {"acc": 0.9, "note": "x", "ok": True, "none": None}, "lineage": {"datasets": ["a"]},
    "card": {"owners": ["ml"], "tags": ["t"]}, "x-team": {"anything": [1, 2]},
}
GOOD["prompts"][0].pop("md5")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "x", "/abs", "a/../b", "a//b", "a\\b", "ok/path", "1.0.0", "01.0.0", "1.2", SHA,
                     "A" * 64, "b" * 32, "b" * 32 + ".dir", "git", "dvc", "lfs", "s3", "Team", "a" * 101,
                     "v1.0.0", "1.0.0-", "line\nbreak", "é/ü.txt"]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["path", "sha256", "size", "storage", "md5",
                                                                  "x-a", "a", "inputs", "lock"]), inner,
                                                 max_size=3)), max_leaves=8)


def mutate(doc: Any, where: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not where:
        return new
    head, rest = where[0], where[1:]
    if isinstance(doc, dict):
        out = dict(doc)
        if drop and not rest:
            out.pop(head, None)
        else:
            out[head] = mutate(doc[head], rest, new, drop)
        return out
    out_list = list(doc)
    out_list[head] = mutate(doc[head], rest, new, drop)
    return out_list


def agree(doc: Any, schema_name: str) -> None:
    schema = load_schema(schema_name)
    lean = is_valid(doc, schema)
    if lean is not None:
        assert lean == jsonschema.Draft202012Validator(schema).is_valid(doc), doc


def test_good_manifest_is_valid_without_jsonschema() -> None:
    assert is_valid(GOOD, load_schema("manifest.v1.json")) is True
    agree(GOOD, "manifest.v1.json")


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_mutated_manifests_agree(data: st.DataObject) -> None:
    targets = paths_in(GOOD)
    where = data.draw(st.sampled_from(targets))
    doc = mutate(GOOD, where, data.draw(json_values), drop=data.draw(st.booleans()))
    extra_key = data.draw(st.sampled_from([None, "unknown", "x-ok", "weights"]))
    if extra_key and isinstance(doc, dict):
        doc = dict(doc, **{extra_key: data.draw(json_values)})
    agree(doc, "manifest.v1.json")


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_arbitrary_documents_agree(doc: Any) -> None:
    agree(doc, "manifest.v1.json")
    agree(doc, "config.v1.json")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["manifests", "policy", "gates", "stages", "hooks", "remote", "approvals",
                                        "x"]), json_values, max_size=4))
def test_config_like_documents_agree(doc: dict[str, Any]) -> None:
    agree(doc, "config.v1.json")


def test_exact_edge_cases() -> None:
    schema = load_schema("manifest.v1.json")
    assert is_valid(dict(GOOD, schema_version=True), schema) is False  # true is not 1
    assert is_valid(dict(GOOD, schema_version=1.0), schema) is True    # 1.0 is 1
    assert is_valid(dict(GOOD, weights=[dict(GOOD_FILE, size=2.0)]), schema) is True
    assert is_valid(dict(GOOD, weights=[dict(GOOD_FILE, size=True)]), schema) is False
    assert is_valid(dict(GOOD, params={1: "int key"}), schema) is True  # params is any object
    assert is_valid({**GOOD, 1: "x"}, schema) is None  # a non-string key at a checked level: jsonschema decides
    assert is_valid({}, {"type": "object", "dependentRequired": {}}) is None  # unsupported keyword
