"""What `add` and `bump` read besides the model's files: --schema, --data-role, --metrics, the params file,
--parent and --base-model."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import load_yaml
from gitmodel.infra.hashing import HashCache
from gitmodel.model.names import normalize_repo_path
from gitmodel.storage.pinning import git_file_sha256

# What a data file is for (`--data-role PATH=ROLE`); the card reports metrics only against held-out roles.
DATA_ROLES = ("train", "validation", "eval", "test", "other")


def schema_from_file(root: Path, raw: str) -> dict[str, Any]:
    path = normalize_repo_path(raw, root, where="--schema", must_exist=True) if not Path(raw).is_absolute() \
        else raw
    full = Path(path) if Path(path).is_absolute() else root / path
    data = load_yaml(full, where=str(raw))  # JSON is YAML
    if not isinstance(data, dict) or not set(data) <= {"inputs", "outputs"}:
        raise InvalidInput("expected a mapping with inputs and/or outputs (JSON Schema each)", where=f"{raw}: (top level)")
    for key, value in data.items():
        if not isinstance(value, dict):
            raise InvalidInput("must be a JSON Schema object", where=f"{raw}: {key}")
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    for key, value in data.items():
        try:
            validator_for(value).check_schema(value)
        except SchemaError as exc:
            raise InvalidInput(f"not a valid JSON Schema: {exc.message}", where=f"{raw}: {key}") from None
    return data


def data_roles(root: Path, raws: Sequence[str]) -> dict[str, str]:
    """`PATH=ROLE` pairs (from --data-role) as {repo path: role}."""
    roles: dict[str, str] = {}
    for raw in raws:
        path, sep, role = raw.rpartition("=")
        if not sep or not path.strip():
            raise InvalidInput(f"{raw!r} is not PATH=ROLE", where="--data-role", hint="e.g. --data-role data/test.csv=test")
        role = role.strip().lower()
        if role not in DATA_ROLES:
            raise InvalidInput(f"unknown role {role!r}", where="--data-role", hint="one of " + ", ".join(DATA_ROLES))
        roles[normalize_repo_path(path, root, where="--data-role")] = role
    return roles


def unknown_role_paths(roles: Mapping[str, str], data_paths: Iterable[str], name: str) -> None:
    stray = sorted(set(roles) - set(data_paths))
    if stray:
        raise InvalidInput(f"{stray[0]} is not one of {name}'s data files", where="--data-role",
                           hint=f"pass it with --data {stray[0]} too" if name else None)


def metrics_from_file(root: Path, raw: str) -> dict[str, Any]:
    """A flat mapping of metric name → number (JSON or YAML), as training scripts write them."""
    full = Path(raw) if Path(raw).is_absolute() else root / raw
    data = load_yaml(full, where=raw)
    if not isinstance(data, dict) or not data:
        raise InvalidInput("expected a mapping of metric name to number", where=f"{raw}: (top level)")
    for key, value in data.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidInput(f"{value!r} is not a number", where=f"{raw}: {key}")
    return {str(k): v for k, v in data.items()}


def params_from_file(root: Path, path: str, cache: HashCache) -> tuple[dict[str, Any], dict[str, Any] | None]:
    full = root / path
    data = load_yaml(full, where=path) if full.suffix in (".yaml", ".yml", ".json") else None
    pinned = {"path": path, "sha256": git_file_sha256(full, cache)}
    inline = data if isinstance(data, dict) and len(json.dumps(data, default=str)) < 16_384 else None
    return pinned, inline


def lineage_update(root: Path, current: dict[str, Any] | None, name: str, version: str | None,
                    parent: str | None, base_model: str | None) -> dict[str, Any] | None:
    """`lineage` with --parent (which must name an existing release) and --base-model applied."""
    if parent is None and base_model is None:
        return current
    from gitmodel.repo.lineage import require_parent

    lineage = dict(current or {})
    if parent is not None:
        lineage["parent"] = require_parent(root, parent, child=name, child_version=version)
    if base_model is not None:
        if not base_model.strip():
            raise InvalidInput("must not be empty", where="--base-model")
        lineage["base_model"] = base_model.strip()
    return lineage
