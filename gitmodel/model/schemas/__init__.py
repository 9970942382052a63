"""JSON Schemas shipped with gitmodel, and the one place that turns jsonschema errors into ours."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from gitmodel.infra.errors import InvalidInput

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any

_DIR = Path(__file__).resolve().parent


def schema_path(name: str) -> Path:
    return _DIR / name


@cache
def load_schema(name: str) -> dict[str, Any]:
    with open(_DIR / name, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def field_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate(data: Any, name: str, *, where: str) -> None:
    """Raise InvalidInput naming `where` and the field of the first (most relevant) schema error."""
    from gitmodel.model.schema_check import is_valid

    if is_valid(data, load_schema(name)):
        return  # jsonschema (~100 ms to import) is needed only to decide the rest and explain an error
    import jsonschema
    from jsonschema.exceptions import best_match

    validator_cls = jsonschema.validators.validator_for(load_schema(name))
    validator = validator_cls(load_schema(name))
    error = best_match(validator.iter_errors(data))
    if error is None:
        return
    parts = list(error.absolute_path)
    message = error.message
    hint = None
    if isinstance(error.instance, float) and not math.isfinite(error.instance):
        message = f"{error.instance} is not a finite number (JSON has no NaN or Infinity)"
        hint = "write a number, or null for no value"
    elif error.validator == "required" and isinstance(error.instance, dict):
        missing = next((k for k in error.validator_value if k not in error.instance), None)
        if missing is not None:
            parts.append(missing)
            message = "is required"
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in allowed and not str(k).startswith("x-"))
        if extra:
            parts.append(extra[0])
            message = "unknown field"
    elif error.validator == "not" and isinstance(error.instance, str):
        message = f"{error.instance!r} must be a relative POSIX path inside the repository"
    elif error.validator == "pattern" and isinstance(error.instance, str):
        expected = {"sha256": "64 lower-case hex digits", "md5": "32 lower-case hex digits",
                    "version": "a semantic version like 1.2.0", "name": "a model name like team/ranker"}
        form = expected.get(str(parts[-1])) if parts else None
        message = f"{error.instance!r} is not {form}" if form else f"{error.instance!r} does not have the expected form"
    if len(message) > 200:
        message = message[:197] + "..."
    field = field_path(parts) or "(top level)"
    raise InvalidInput(message, where=f"{where}: {field}", hint=hint)
