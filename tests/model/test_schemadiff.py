"""Input/output signature changes: breaking (major by default) or compatible (minor)."""

from __future__ import annotations

from typing import Any

import pytest

from gitmodel.model.signature_diff import classify

BASE = {"inputs": {"type": "object", "required": ["text"],
                   "properties": {"text": {"type": "string"}, "n": {"type": "integer"}}},
        "outputs": {"type": "object", "properties": {"label": {"enum": ["neg", "neu", "pos"]}}}}


def change(path: list[str], value: Any) -> dict[str, Any]:
    import copy

    new = copy.deepcopy(BASE)
    node = new
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return new


@pytest.mark.parametrize(("new", "breaking", "note"), [
    (change(["inputs", "properties", "n"], None), True, "field n removed"),
    (change(["inputs", "properties", "lang"], {"type": "string"}), False, "new optional field lang"),
    (change(["inputs", "required"], ["text", "n"]), True, "n now required"),
    (change(["inputs", "required"], []), False, "text no longer required"),
    (change(["inputs", "properties", "n"], {"type": "string"}), True, "type integer → string"),
    (change(["inputs", "properties", "n"], {"type": "number"}), False, "type integer → number"),
    (change(["inputs", "properties", "n"], {"type": ["integer", "null"]}), False, "type"),
    (change(["inputs", "properties", "n"], {}), False, "any"),
    (change(["outputs", "properties", "label"], {"enum": ["neg", "pos"]}), True, "enum values dropped"),
    (change(["outputs", "properties", "label"], {"enum": ["neg", "neu", "pos", "mixed"]}), False,
     "enum values added"),
])
def test_each_change_is_classified(new: dict[str, Any], breaking: bool, note: str) -> None:
    rows = classify(BASE, new)
    assert rows, "a change must be reported"
    assert any(row[4] is breaking and note in row[5] for row in rows), rows
    assert any(r[4] for r in rows) is breaking


def test_a_new_required_field_is_breaking() -> None:
    new = change(["inputs", "properties", "lang"], {"type": "string"})
    new["inputs"]["required"] = ["text", "lang"]
    rows = classify(BASE, new)
    assert [(r[0], r[4]) for r in rows] == [("schema.inputs.lang", True)]
    assert "new required field lang" in rows[0][5]


def test_no_change_no_rows() -> None:
    assert classify(BASE, change([], None) if False else dict(BASE)) == []
    assert classify({}, {}) == []


def test_a_schema_appearing_or_disappearing() -> None:
    appeared = classify({}, BASE)
    assert appeared
    assert all(row[0].startswith("schema.") for row in appeared)
    removed = classify(BASE, {})
    assert any(row[4] for row in removed)
