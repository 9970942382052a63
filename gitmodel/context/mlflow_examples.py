"""MLflow's own example and scoring payloads as records, for `gitmodel validate-input`.

`mlflow.<flavor>.save_model(..., input_example=...)` writes `input_example.json` (a DataFrame in pandas'
split orient `{"columns": [...], "data": [[...]]}`, or the example as given) and
`serving_input_example.json` (the scoring server's request: `{"dataframe_split": ...}`,
`{"dataframe_records": [...]}`, `{"inputs": ...}` or `{"instances": [...]}`, with optional `params`).
Each becomes the records the manifest's `schema.inputs` describes: one DataFrame row, one instance, one
row of a tensor. A plain JSON object stays one record, and so does an object whose keys the schema itself
declares (a model whose input has a column named `inputs` is not unwrapped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitmodel.infra.errors import InvalidInput

ENVELOPES = ("dataframe_split", "dataframe_records", "inputs", "instances")
_SPLIT_KEYS = {"columns", "data", "index"}


def mlflow_records(value: object, schema: object, where: str) -> list[object] | None:
    """The records of an MLflow payload, or None when `value` is one plain record."""
    if not isinstance(value, dict):
        return None
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    declared = set(props) if isinstance(props, Mapping) else set()
    keys = set(value) - {"params"}
    if len(keys) == 1 and not (set(value) & declared):
        (key,) = keys
        if key in ENVELOPES:
            return _envelope(key, value[key], props if isinstance(props, Mapping) else {}, f"{where}: {key}")
    if {"columns", "data"} <= set(value) <= _SPLIT_KEYS and not (set(value) & declared):
        return _split(value, where)
    return None


def _envelope(key: str, body: Any, props: Mapping[str, Any], where: str) -> list[object]:
    if key == "dataframe_split":
        if not isinstance(body, dict) or not {"columns", "data"} <= set(body) <= _SPLIT_KEYS:
            raise _bad(where, "expected pandas' split orient: {\"columns\": [...], \"data\": [[...], ...]}")
        return _split(body, where)
    if key in ("dataframe_records", "instances"):
        if not isinstance(body, list):
            raise _bad(where, "expected a list of records")
        return list(body)
    # inputs: a list is a batch; a mapping of equal-length lists is columns (tf-serving's columnar format)
    # unless the schema says those values are themselves arrays (an array column, one record)
    if isinstance(body, list):
        return list(body)
    if isinstance(body, dict) and _columnar(body, props):
        columns = list(body)
        return [{c: body[c][i] for c in columns} for i in range(len(body[columns[0]]))]
    return [body]


def _columnar(body: dict[str, Any], props: Mapping[str, Any]) -> bool:
    values = list(body.values())
    if not values or not all(isinstance(v, list) for v in values) or len({len(v) for v in values}) != 1:
        return False
    return not any(_one_record_is_array(props.get(k)) for k in body)


def _one_record_is_array(prop: Any) -> bool:
    """True when one record's value is an array: an array column, or a tensor without a batch dimension."""
    if not isinstance(prop, Mapping):
        return False
    tensor = prop.get("x-mlflow-tensor")
    if isinstance(tensor, Mapping):
        shape = tensor.get("shape")
        return not (isinstance(shape, list) and shape and shape[0] == -1)
    kind = prop.get("type")
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def _split(body: Mapping[str, Any], where: str) -> list[object]:
    columns, data = body.get("columns"), body.get("data")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _bad(f"{where}.columns", "expected a list of column names")
    if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
        raise _bad(f"{where}.data", "expected a list of rows (lists of values)")
    records: list[object] = []
    for i, row in enumerate(data, 1):
        if len(row) != len(columns):
            raise _bad(f"{where}.data", f"row {i} has {len(row)} values for {len(columns)} columns")
        records.append(dict(zip(columns, row, strict=True)))
    return records


def _bad(where: str, what: str) -> InvalidInput:
    return InvalidInput(what, where=where, hint="MLflow writes this file itself: re-save the model, or fix the file")
