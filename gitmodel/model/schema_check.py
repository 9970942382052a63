"""A yes/no JSON Schema check for the keyword subset gitmodel's own schemas use, without jsonschema.

jsonschema costs ~100 ms to import, more than the whole commit-hook budget. This answers only "valid?"
for draft 2020-12 schemas made of the keywords in SUPPORTED with local `#/$defs/...` references, with
jsonschema's semantics (bool is not a number, 1.0 is an integer, `pattern` is `re.search`). When the
answer is "invalid", or the schema uses anything else, the caller asks jsonschema, which also explains
the error: this module can only save time, never change a verdict (a property test compares the two).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any

SUPPORTED = frozenset({
    "$schema", "$id", "$comment", "title", "description", "$defs", "$ref", "type", "required",
    "properties", "patternProperties", "additionalProperties", "const", "enum", "items", "maxLength",
    "minLength", "minimum", "maximum", "not", "anyOf", "allOf", "pattern",
})


class Unsupported(Exception):
    """The schema uses a keyword or reference this module does not implement."""


def _equal(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1, 1 is 1.0, containers compare element-wise.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "number":
        return isinstance(value, int | float)
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise Unsupported(f"type {name!r}")


class _Checker:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/") :]:
            raise Unsupported(f"$ref {ref!r}")
        defs = self.root.get("$defs", {})
        name = ref[len("#/$defs/") :]
        if name not in defs:
            raise Unsupported(f"$ref {ref!r} not found")
        return defs[name]

    def valid(self, value: Any, schema: Any) -> bool:  # noqa: C901, PLR0911, PLR0912 - one branch per keyword
        if schema is True:
            return True
        if schema is False:
            return False
        if not isinstance(schema, dict):
            raise Unsupported("schema is not an object or boolean")
        unknown = set(schema) - SUPPORTED
        if unknown:
            raise Unsupported(f"keyword {sorted(unknown)[0]!r}")
        if "$ref" in schema and not self.valid(value, self.resolve(schema["$ref"])):
            return False
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_is_type(value, t) for t in types):
                return False
        if "const" in schema and not _equal(value, schema["const"]):
            return False
        if "enum" in schema and not any(_equal(value, option) for option in schema["enum"]):
            return False
        if "not" in schema and self.valid(value, schema["not"]):
            return False
        if "anyOf" in schema and not any(self.valid(value, sub) for sub in schema["anyOf"]):
            return False
        if "allOf" in schema and not all(self.valid(value, sub) for sub in schema["allOf"]):
            return False
        if isinstance(value, str):
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                return False
            if "minLength" in schema and len(value) < schema["minLength"]:
                return False
            if "pattern" in schema and re.search(schema["pattern"], value) is None:
                return False
        if isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                return False
            if "maximum" in schema and value > schema["maximum"]:
                return False
        if isinstance(value, list) and "items" in schema \
                and not all(self.valid(item, schema["items"]) for item in value):
            return False
        if isinstance(value, dict):
            return self.valid_object(value, schema)
        return True

    def valid_object(self, value: dict[str, Any], schema: dict[str, Any]) -> bool:
        if any(key not in value for key in schema.get("required", [])):
            return False
        properties = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        if not properties and not patterns and "additionalProperties" not in schema:
            return True  # any mapping (params, schema.inputs): keys are not looked at
        for key, item in value.items():
            if not isinstance(key, str):
                raise Unsupported("a non-string key")  # jsonschema's own behaviour is the reference here
            matched = False
            if key in properties:
                matched = True
                if not self.valid(item, properties[key]):
                    return False
            for pattern, sub in patterns.items():
                if re.search(pattern, key):
                    matched = True
                    if not self.valid(item, sub):
                        return False
            if not matched and "additionalProperties" in schema and not self.valid(item, schema["additionalProperties"]):
                return False
        return True


def is_valid(instance: Any, schema: dict[str, Any]) -> bool | None:
    """True or False for schemas in the supported subset; None when jsonschema must decide."""
    try:
        return _Checker(schema).valid(instance, schema)
    except (Unsupported, re.error, TypeError, RecursionError):
        return None
