"""Fast acceptance for `validate-input`: records a JSON Schema certainly accepts, without jsonschema.

jsonschema spends about 30 µs on a record of a small schema, too close to the 20,000 rows/s budget. For
the plain keywords most input schemas use, a tree of closures says "certainly valid" in a few µs. Whatever
it cannot vouch for (1.0 where an integer is expected, an enum of objects) it answers False and jsonschema
decides, and writes every message; a schema with any other keyword skips it. So it must only be right
when it says True: `tests/context/test_samples.py` checks that against jsonschema with generated schemas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[object], bool]
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "$schema", "$id",
                          "deprecated", "readOnly", "writeOnly", "$defs", "definitions"})
_SCALARS = (str, int, float, bool, type(None))
_TYPE_CHECKS: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


class _Unsupported(Exception):
    """The schema uses a keyword the fast path does not model."""


def _is_num(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _all_of(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def run(value: object) -> bool:
        for check in checks:  # noqa: SIM110 -- a plain loop is measurably faster than all() here
            if not check(value):
                return False
        return True

    return run


def _bound(schema: Mapping[str, Any], key: str) -> Check | None:
    if key not in schema:
        return None
    limit = schema[key]
    if not _is_num(limit):
        raise _Unsupported(key)  # draft 4's boolean exclusiveMinimum/Maximum
    # Each is "not jsonschema's failure condition", so NaN and mixed int/float compare exactly as there.
    return {
        "minimum": lambda v: not (_is_num(v) and v < limit),
        "maximum": lambda v: not (_is_num(v) and v > limit),
        "exclusiveMinimum": lambda v: not (_is_num(v) and v <= limit),
        "exclusiveMaximum": lambda v: not (_is_num(v) and v >= limit),
    }[key]


def _enum_check(options: object) -> Check:
    if not isinstance(options, list):
        raise _Unsupported("enum")
    # Scalars of the same type only: jsonschema tells True from 1 inside containers, Python's == does not.
    scalars = [(type(o), o) for o in options if isinstance(o, _SCALARS)]
    return lambda v: isinstance(v, _SCALARS) and any(t is type(v) and o == v for t, o in scalars)


def _length_check(kind: type[str] | type[list[Any]], low: int, high: float) -> Check:
    return lambda v: not isinstance(v, kind) or low <= len(v) <= high


def _length_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    for kind, low_key, high_key in ((str, "minLength", "maxLength"), (list, "minItems", "maxItems")):
        low, high = schema.get(low_key, 0), schema.get(high_key, float("inf"))
        for key, n in ((low_key, low), (high_key, high)):
            if key in schema and (not isinstance(n, int) or isinstance(n, bool)):
                raise _Unsupported(key)
        if low_key in schema or high_key in schema:
            checks.append(_length_check(kind, low, high))
    return checks


def _constant(answer: bool) -> Check:
    return lambda v: answer


def _any_of(checks: list[Check]) -> Check:
    return lambda v: any(check(v) for check in checks)


def _object_checks(schema: Mapping[str, Any], format_checker: Any) -> list[Check]:
    checks: list[Check] = []
    props = schema.get("properties", {})
    if not isinstance(props, Mapping):
        raise _Unsupported("properties")
    subs = [(name, _compile(sub, format_checker)) for name, sub in props.items()]
    if subs:
        def properties(v: object) -> bool:
            if isinstance(v, dict):
                for name, sub in subs:
                    if name in v and not sub(v[name]):
                        return False
            return True
        checks.append(properties)
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise _Unsupported("required")
    if required:
        checks.append(lambda v: not isinstance(v, dict) or all(r in v for r in required))
    extra = schema.get("additionalProperties", True)
    if extra is False:
        known = frozenset(props)
        checks.append(lambda v: not isinstance(v, dict) or v.keys() <= known)
    elif extra is not True:
        sub_extra, known = _compile(extra, format_checker), frozenset(props)
        checks.append(lambda v: not isinstance(v, dict)
                      or all(sub_extra(x) for k, x in v.items() if k not in known))
    return checks


_HANDLED = frozenset({"type", "properties", "required", "additionalProperties", "items", "enum", "const",
                      "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
                      "maxLength", "minItems", "maxItems", "pattern", "format", "allOf", "anyOf"})


def _compile(schema: object, format_checker: Any) -> Check:
    if schema is True or schema is False:
        return _constant(schema)
    if not isinstance(schema, Mapping):
        raise _Unsupported(type(schema).__name__)
    if unknown := set(schema) - _HANDLED - _ANNOTATIONS:
        raise _Unsupported(", ".join(sorted(map(str, unknown))))
    checks: list[Check] = []
    if "type" in schema:
        names = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        if not isinstance(names, list) or not all(n in _TYPE_CHECKS for n in names):
            raise _Unsupported("type")
        preds = [_TYPE_CHECKS[n] for n in names]
        checks.append(preds[0] if len(preds) == 1 else _any_of(preds))
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if (bound := _bound(schema, key)) is not None:
            checks.append(bound)
    checks += _length_checks(schema)
    if "enum" in schema:
        checks.append(_enum_check(schema["enum"]))
    if "const" in schema:
        checks.append(_enum_check([schema["const"]]))
    if "pattern" in schema:
        try:
            regex = re.compile(schema["pattern"])
        except (re.error, TypeError):
            raise _Unsupported("pattern") from None
        checks.append(lambda v: not isinstance(v, str) or regex.search(v) is not None)
    if "format" in schema and format_checker is not None:
        fmt = schema["format"]
        checks.append(lambda v: format_checker.conforms(v, fmt))
    checks += _object_checks(schema, format_checker)
    if "items" in schema:
        if isinstance(schema["items"], list):
            raise _Unsupported("items")  # tuple form
        item = _compile(schema["items"], format_checker)
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    for key in ("allOf", "anyOf"):
        if key in schema:
            if not isinstance(schema[key], list) or not schema[key]:
                raise _Unsupported(key)
            parts = [_compile(sub, format_checker) for sub in schema[key]]
            checks.append(_all_of(parts) if key == "allOf" else _any_of(parts))
    return _all_of(checks) if checks else (lambda v: True)


def fast_acceptor(schema: object, validator: Any) -> Check | None:
    """A check that is True only for records `validator` accepts, or None when the schema is out of reach."""
    from jsonschema import validators

    if type(validator) is validators.Draft3Validator:
        return None  # draft 3's `required` and `divisibleBy` mean other things
    try:
        return _compile(schema, validator.format_checker)
    except _Unsupported:
        return None
