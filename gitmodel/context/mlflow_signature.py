"""MLflow's model signature (column and tensor specs, as JSON strings in MLmodel) as JSON Schema."""

from __future__ import annotations

import json
import re
from typing import Any

from gitmodel.infra.errors import InvalidInput

_COLUMN_TYPES: dict[str, dict[str, Any]] = {
    "boolean": {"type": "boolean"}, "integer": {"type": "integer"}, "long": {"type": "integer"},
    "float": {"type": "number"}, "double": {"type": "number"}, "string": {"type": "string"},
    "binary": {"type": "string", "contentEncoding": "base64"},
    "datetime": {"type": "string", "format": "date-time"}, "any": {},
}


def signature_to_schema(signature: Any, *, where: str) -> dict[str, Any] | None:
    """MLflow's signature (JSON strings of column or tensor specs) as {inputs, outputs} JSON Schemas."""
    if signature is None:
        return None
    if not isinstance(signature, dict):
        raise InvalidInput("expected a mapping with inputs and outputs", where=where)
    schema: dict[str, Any] = {}
    for key in ("inputs", "outputs"):
        raw = signature.get(key)
        if raw is None:
            continue
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise InvalidInput(f"not JSON: {exc}", where=f"{where}.{key}") from None
        if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
            raise InvalidInput("expected a JSON list of column or tensor specs", where=f"{where}.{key}")
        schema[key] = _specs(raw, where=f"{where}.{key}")
    return schema or None


def _specs(specs: list[dict[str, Any]], *, where: str) -> dict[str, Any]:
    """One record: named specs → an object; unnamed → the value itself (one) or a positional array."""
    converted = [_spec(s, where=f"{where}[{i}]") for i, s in enumerate(specs)]
    named = [s.get("name") for s in specs]
    if specs and all(isinstance(n, str) and n for n in named):
        required = [s["name"] for s in specs if s.get("required", True) is not False]
        out: dict[str, Any] = {"type": "object", "properties": dict(zip(named, converted, strict=True))}
        if required:
            out["required"] = required
        return out
    if len(converted) == 1:
        return converted[0]
    return {"type": "array", "prefixItems": converted, "minItems": len(converted)}


def _spec(spec: dict[str, Any], *, where: str) -> dict[str, Any]:
    kind = spec.get("type")
    if kind == "tensor":
        tensor = spec.get("tensor-spec")
        if not isinstance(tensor, dict):
            raise InvalidInput("tensor without tensor-spec", where=where)
        return _tensor(tensor, where=where)
    return _column(spec, where=where)


def _column(spec: dict[str, Any], *, where: str) -> dict[str, Any]:
    kind = spec.get("type")
    if isinstance(kind, str) and kind in _COLUMN_TYPES:
        return dict(_COLUMN_TYPES[kind])
    if kind == "array":
        return {"type": "array", "items": _column(_mapping(spec.get("items"), f"{where}.items"), where=f"{where}.items")}
    if kind == "object":
        props = _mapping(spec.get("properties"), f"{where}.properties")
        out: dict[str, Any] = {"type": "object",
                               "properties": {k: _column(_mapping(v, f"{where}.{k}"), where=f"{where}.{k}")
                                              for k, v in props.items()}}
        required = [k for k, v in props.items() if isinstance(v, dict) and v.get("required", True) is not False]
        if required:
            out["required"] = required
        return out
    if kind == "map":
        return {"type": "object",
                "additionalProperties": _column(_mapping(spec.get("values"), f"{where}.values"), where=f"{where}.values")}
    raise InvalidInput(f"unknown MLflow type {kind!r}", where=f"{where}.type",
                       hint="known: " + ", ".join([*_COLUMN_TYPES, "array", "object", "map", "tensor"]))


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput("expected a mapping", where=where)
    return value


def _dtype(dtype: str) -> dict[str, Any]:
    if dtype in ("bool", "bool_"):
        return {"type": "boolean"}
    if re.fullmatch(r"u?int(8|16|32|64)?", dtype):
        return {"type": "integer"}
    if re.fullmatch(r"float(16|32|64|128)?|double|half", dtype):
        return {"type": "number"}
    if dtype in ("str", "object", "bytes", "str_", "bytes_") or dtype.startswith(("<U", "|S")):
        return {"type": "string"}
    if dtype.startswith("datetime64"):
        return {"type": "string", "format": "date-time"}
    return {}


def _tensor(tensor: dict[str, Any], *, where: str) -> dict[str, Any]:
    """One record of a tensor: the leading -1 (batch) dimension dropped, fixed dimensions as array lengths."""
    dtype = tensor.get("dtype")
    shape = tensor.get("shape")
    if not isinstance(dtype, str) or not isinstance(shape, list) or not all(isinstance(d, int) for d in shape):
        raise InvalidInput("tensor-spec needs dtype (string) and shape (list of integers)", where=where)
    dims = shape[1:] if shape and shape[0] == -1 else shape
    node: dict[str, Any] = _dtype(dtype)
    for dim in reversed(dims):
        array: dict[str, Any] = {"type": "array", "items": node}
        if dim >= 0:
            array["minItems"] = array["maxItems"] = dim
        node = array
    return {**node, "x-mlflow-tensor": {"dtype": dtype, "shape": shape}}
