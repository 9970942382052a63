"""CSV cells as JSON values: a CSV cell is always text, so `validate-input` converts the cells whose column the
input schema declares as integer, number, boolean, null, object or array (and leaves text that does not parse,
for validation to report)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_INT_RE = re.compile(r"[+-]?\d+")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

Coercer = Callable[[str], object]


def _to_int(cell: str) -> object:
    if not _INT_RE.fullmatch(cell):
        return cell
    try:
        return int(cell)
    except ValueError:  # past Python's 4,300-digit limit; validation then reports the string
        return cell


def _to_number(cell: str) -> object:
    if _INT_RE.fullmatch(cell):
        return _to_int(cell)
    return float(cell) if _NUMBER_RE.fullmatch(cell) else cell


_BOOLEANS = {"true": True, "false": False}


def _to_bool(cell: str) -> object:
    return _BOOLEANS.get(cell.lower(), cell)


def _to_null(cell: str) -> object:
    return None if cell.lower() == "null" else cell


def _to_json(cell: str) -> object:
    try:
        return json.loads(cell)
    except (ValueError, RecursionError):
        return cell


_COERCERS: dict[str, Coercer] = {"integer": _to_int, "number": _to_number, "boolean": _to_bool,
                                 "null": _to_null, "object": _to_json, "array": _to_json}


def _coercer(prop: object) -> Coercer | None:
    if not isinstance(prop, Mapping):
        return None
    declared = prop.get("type")
    types = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    if not types or "string" in types:
        # The cell is already a valid string; converting it could only make a valid value invalid.
        return None
    steps = [_COERCERS[t] for t in types if t in _COERCERS]
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]

    def first_that_converts(cell: str) -> object:
        for step in steps:
            value = step(cell)
            if value is not cell:
                return value
        return cell

    return first_that_converts


def csv_coercers(schema: object) -> dict[str, Coercer]:
    """A converter for each top-level property whose declared type is not a string."""
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(props, Mapping):
        return {}
    return {name: c for name, prop in props.items() if (c := _coercer(prop)) is not None}


def coerce(record: Mapping[str, str], coercers: Mapping[str, Coercer]) -> dict[str, object]:
    """A CSV record as a JSON object: empty cells left out, typed cells converted where they parse."""
    out: dict[str, object] = {}
    for key, cell in record.items():
        if cell == "":
            continue  # an empty cell is an absent value, so `required` catches it
        convert = coercers.get(key)
        out[key] = convert(cell) if convert else cell
    return out


def coerce_csv_record(record: dict[str, str], schema: dict[str, Any]) -> dict[str, object]:
    """CSV cells converted to the JSON types the schema's top-level properties declare."""
    return coerce(record, csv_coercers(schema))
