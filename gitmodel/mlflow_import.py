"""Read an MLflow model directory (its `MLmodel` YAML; mlflow itself is never imported).

The signature becomes the manifest's `schema` (JSON Schema for one input record and one output), the
flavors say which files are the weights and which format they are in, and `requirements.txt` /
`python_env.yaml` / `conda.yaml` become the environment lock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.errors import InvalidInput
from gitmodel.fileio import load_yaml
from gitmodel.formats import detect_format
from gitmodel.hashing import sha256_file
from gitmodel.names import normalize_repo_path

MLMODEL = "MLmodel"
# flavor → (MLmodel keys naming its model files, the format those files are in when bytes say nothing)
FLAVORS: dict[str, tuple[tuple[str, ...], str]] = {
    "sklearn": (("pickled_model",), "pickle"),
    "pytorch": (("model_data",), "pt"),
    "onnx": (("data",), "onnx"),
    "transformers": (("model_binary", "components"), "unknown"),   # the files say (safetensors or pt)
    "keras": (("data", "model_file"), "unknown"),
    "tensorflow": (("saved_model_dir", "data"), "unknown"),
    "xgboost": (("data",), "unknown"),
    "lightgbm": (("data",), "unknown"),
    "catboost": (("data",), "unknown"),
    "statsmodels": (("data",), "pickle"),
    "spark": (("model_data",), "unknown"),
    "h2o": (("data",), "unknown"),
    "prophet": (("model_path",), "unknown"),
    "python_function": (("python_model", "model_path", "data", "artifacts"), "pickle"),
}
# Environment files MLflow writes, most precise first; kinds match `gitmodel env capture`'s lock kinds.
LOCK_FILES = (("requirements.txt", "pip"), ("python_env.yaml", "python_env"), ("conda.yaml", "conda"))
_NOT_WEIGHTS = {MLMODEL, "requirements.txt", "python_env.yaml", "conda.yaml", "input_example.json",
                "serving_input_example.json", "registered_model_meta"}
_REQ_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")

_COLUMN_TYPES: dict[str, dict[str, Any]] = {
    "boolean": {"type": "boolean"}, "integer": {"type": "integer"}, "long": {"type": "integer"},
    "float": {"type": "number"}, "double": {"type": "number"}, "string": {"type": "string"},
    "binary": {"type": "string", "contentEncoding": "base64"},
    "datetime": {"type": "string", "format": "date-time"}, "any": {},
}


@dataclass
class MlflowModel:
    """What an MLflow model directory gives a manifest."""

    directory: str
    flavors: list[str]
    weights: list[str]
    formats: dict[str, str]
    schema: dict[str, Any] | None
    environment: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)      # what to do next
    warnings: list[str] = field(default_factory=list)   # what could not be imported


def read_mlflow_model(root: Path, directory: str) -> MlflowModel:
    """Parse `DIRECTORY/MLmodel` (inside the repo) into weights, formats, schema and environment."""
    rel = normalize_repo_path(directory, root, where="--from-mlflow", must_exist=True)
    base = root / rel
    mlmodel_path = base / MLMODEL
    where = f"{rel}/{MLMODEL}"
    if not base.is_dir() or not mlmodel_path.is_file():
        raise InvalidInput("not an MLflow model directory (no MLmodel file)", where=where,
                           hint="pass the directory mlflow.<flavor>.save_model wrote (or `mlflow artifacts download`)")
    doc = load_yaml(mlmodel_path, where=where)
    if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict) or not doc["flavors"]:
        raise InvalidInput("no flavors: not an MLmodel file", where=f"{where}: flavors")
    flavors = doc["flavors"]
    notes: list[str] = []
    warnings: list[str] = []
    weights, formats = _weights(root, rel, flavors, where)
    schema = signature_to_schema(doc.get("signature"), where=f"{where}: signature")
    if schema is None:
        warnings.append(f"{where} has no signature: no schema recorded (log the model with a signature)")
    elif isinstance(doc.get("signature"), dict) and doc["signature"].get("params"):
        warnings.append("the signature's inference params are not part of the schema")
    environment = _environment(root, rel, flavors)
    if environment is None:
        warnings.append(f"no requirements.txt, python_env.yaml or conda.yaml in {rel}: no environment lock")
    metadata = [f"{rel}/{n}" for n in (MLMODEL, "python_env.yaml", "conda.yaml", "input_example.json")
                if (base / n).is_file()]
    notes.append("commit the MLflow metadata with the model: git add " + " ".join(metadata))
    return MlflowModel(rel, sorted(flavors), weights, formats, schema, environment, notes, warnings)


# ------------------------------------------------------------------------------------------- weights


def _weights(root: Path, rel: str, flavors: dict[str, Any], where: str) -> tuple[list[str], dict[str, str]]:
    """Model files named by the flavors (the library's own flavor first, pyfunc last), with formats."""
    order = sorted(flavors, key=lambda f: (f == "python_function", f))
    found: dict[str, str] = {}
    for flavor in order:
        conf = flavors[flavor]
        if not isinstance(conf, dict):
            continue
        keys, default = FLAVORS.get(flavor, (("data", "model_path", "model_data"), "unknown"))
        for key in keys:
            for target in _targets(conf.get(key)):
                for path in _files_under(root, rel, target):
                    fmt = detect_format(root / path)
                    found.setdefault(path, fmt if fmt != "unknown" else default)
        if found:
            break  # the library's own flavor names the files; pyfunc would repeat them
    if not found:
        raise InvalidInput("no flavor names a model file", where=f"{where}: flavors",
                           hint="pass the weights yourself with --weights PATH")
    return sorted(found), found


def _targets(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):  # transformers `components`, pyfunc `artifacts`: name → path or {path: ...}
        out = []
        for item in value.values():
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                out.append(item["path"])
        return out
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _files_under(root: Path, rel: str, target: str) -> list[str]:
    """Repo-relative files at `rel/target` (a file, or every file in a directory); outside paths are ignored."""
    if target.startswith("/") or ".." in Path(target).parts:
        return []
    full = root / rel / target
    if full.is_file():
        return [f"{rel}/{target}".replace("//", "/")] if full.name not in _NOT_WEIGHTS else []
    if full.is_dir():
        return sorted(p.relative_to(root).as_posix() for p in full.rglob("*")
                      if p.is_file() and p.name not in _NOT_WEIGHTS)
    return []


# --------------------------------------------------------------------------------------- environment


def _environment(root: Path, rel: str, flavors: dict[str, Any]) -> dict[str, Any] | None:
    lock = next(((name, kind) for name, kind in LOCK_FILES if (root / rel / name).is_file()), None)
    if lock is None:
        return None
    name, kind = lock
    path = f"{rel}/{name}"
    env: dict[str, Any] = {}
    python = _python_version(root / rel, flavors)
    if python:
        env["python"] = python
    requirements = root / rel / "requirements.txt"
    if requirements.is_file():
        packages = _pinned_requirements(requirements)
        if packages:
            env["packages"] = packages
    env["lock"] = {"path": path, "sha256": sha256_file(root / path), "kind": kind}
    return env


def _python_version(base: Path, flavors: dict[str, Any]) -> str | None:
    python_env = base / "python_env.yaml"
    if python_env.is_file():
        data = load_yaml(python_env, where=str(python_env))
        if isinstance(data, dict) and data.get("python") is not None:
            return str(data["python"])
    pyfunc = flavors.get("python_function")
    if isinstance(pyfunc, dict) and pyfunc.get("python_version") is not None:
        return str(pyfunc["python_version"])
    return None


def _pinned_requirements(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements file (names canonicalised as pip does)."""
    packages: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _REQ_RE.match(line)
        if match:
            packages[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return packages


# ----------------------------------------------------------------------------------------- signature


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
