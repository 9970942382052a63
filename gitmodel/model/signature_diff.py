"""Compare two input/output signatures (JSON Schema) and call each change breaking or compatible.

Breaking for callers: a field removed, a type narrowed, a new required field, an enum value dropped.
Compatible: a new optional field, a type widened, a field no longer required, an enum value added.
"""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, Any, Any, bool, str]


def _types(schema: Any) -> set[str]:
    if not isinstance(schema, dict) or "type" not in schema:
        return set()
    value = schema["type"]
    return {value} if isinstance(value, str) else {str(v) for v in value}


def _narrowed(old: set[str], new: set[str]) -> bool:
    """True when some value valid before is invalid now (no type at all means any type)."""
    if not new:
        return False
    if not old:
        return True
    return any(t not in new and not (t == "integer" and "number" in new) for t in old)


def _compare(side: str, path: str, old: Any, new: Any, rows: list[Row]) -> None:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    old_t, new_t = _types(old), _types(new)
    if old_t != new_t:
        narrowed = _narrowed(old_t, new_t)
        rows.append((f"{path}.type" if path else f"schema.{side}.type", "changed", sorted(old_t), sorted(new_t),
                     narrowed, f"{'breaking' if narrowed else 'compatible'}: type "
                     f"{'/'.join(sorted(old_t)) or 'any'} → {'/'.join(sorted(new_t)) or 'any'}"))
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if old_enum != new_enum and (old_enum is not None or new_enum is not None):
        dropped = old_enum is None or any(v not in (new_enum or []) for v in old_enum) if new_enum else False
        rows.append((f"{path}.enum", "changed", old_enum, new_enum, bool(dropped),
                     "breaking: enum values dropped" if dropped else "compatible: enum values added"))
    old_props = old.get("properties") if isinstance(old.get("properties"), dict) else {}
    new_props = new.get("properties") if isinstance(new.get("properties"), dict) else {}
    old_req = set(old.get("required") or [])
    new_req = set(new.get("required") or [])
    for name in sorted(set(old_props) | set(new_props)):
        key = f"{path}.{name}"
        if name not in new_props:
            rows.append((key, "removed", old_props[name], None, True, f"breaking: field {name} removed"))
        elif name not in old_props:
            required = name in new_req
            rows.append((key, "added", None, new_props[name], required,
                         f"breaking: new required field {name}" if required else f"compatible: new optional field {name}"))
        else:
            _compare(side, key, old_props[name], new_props[name], rows)
    for name in sorted(new_req - old_req):
        if name in old_props:
            rows.append((f"{path}.{name}", "changed", "optional", "required", True, f"breaking: {name} now required"))
    for name in sorted(old_req - new_req):
        if name in new_props:
            rows.append((f"{path}.{name}", "changed", "required", "optional", False,
                         f"compatible: {name} no longer required"))
    handled = {"type", "enum", "properties", "required"}
    for key in sorted((set(old) | set(new)) - handled):
        if old.get(key) != new.get(key):
            rows.append((f"{path}.{key}", "changed", old.get(key), new.get(key), False, f"compatible: {key} changed"))


def classify(old: dict[str, Any], new: dict[str, Any]) -> list[Row]:
    """Rows of (key, kind, old, new, breaking, note) for schema.inputs and schema.outputs."""
    rows: list[Row] = []
    for side in ("inputs", "outputs"):
        if old.get(side) != new.get(side):
            _compare(side, f"schema.{side}", old.get(side), new.get(side), rows)
    return rows
