"""Read an MLflow model directory (its `MLmodel` YAML; mlflow itself is never imported).

The signature becomes the manifest's `schema` (JSON Schema for one input record and one output), the
flavors say which files are the weights and which format they are in, `requirements.txt` /
`python_env.yaml` / `conda.yaml` become the environment lock, and how the model loads (flavor, pyfunc
`loader_module`, `serialization_format`, library versions) becomes `environment.mlflow`.

A directory outside the repository (where `mlflow.<flavor>.save_model(m, path)` usually writes) is read
from there and copied into `artifacts/NAME/`: what a manifest pins must be inside the repository.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.context.mlflow_signature import signature_to_schema
from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import load_yaml, temp_beside
from gitmodel.infra.hashing import sha256_file
from gitmodel.model.names import normalize_repo_path, validate_name
from gitmodel.storage.formats import detect_format

MLMODEL = "MLmodel"
COPY_DIR = "artifacts"  # an MLflow model from outside the repository is copied to COPY_DIR/NAME
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
    created: list[Path] = field(default_factory=list)   # files and directories the copy-in created
    copied: str | None = None                           # the note saying where an outside model was copied

    def undo_copy(self) -> None:
        """Remove what copying the model into the repository created (a failed `add` leaves nothing)."""
        _remove(self.created)
        self.created = []


def read_mlflow_model(root: Path, directory: str, *, name: str | None = None,
                      replace: bool = False) -> MlflowModel:
    """Parse `DIRECTORY/MLmodel` into weights, formats, schema and environment.

    A directory outside the repository is checked where it is, then copied into `artifacts/NAME/`
    (`replace`: over what is there, as `bump` does; else that directory must not exist yet).
    """
    full = Path(directory) if Path(directory).is_absolute() else root / directory
    if _inside(root, full):
        rel = normalize_repo_path(directory, root, where="--from-mlflow", must_exist=True)
        return _read(root, rel)
    source = full.resolve()
    _mlmodel(source, str(source / MLMODEL))  # a bad directory is refused before anything is copied
    if _inside(source, root):
        raise InvalidInput("contains the repository", where=str(directory),
                           hint="pass the directory mlflow.<flavor>.save_model wrote")
    if name is None:
        raise InvalidInput("is outside the repository", where=str(directory),
                           hint="copy the MLflow model into the repository and pass that directory")
    dest = f"{COPY_DIR}/{validate_name(name)}"
    normalize_repo_path(dest, root, where="--from-mlflow")  # refuses an artifacts/ symlink that leaves the repo
    created = _copy_in(source, root, dest, replace=replace)
    try:
        model = _read(root, dest)
    except InvalidInput as exc:
        _remove(created)
        where = exc.where.replace(dest, str(source)) if exc.where else exc.where
        raise InvalidInput(exc.message, where=where, hint=exc.hint) from None
    model.created = created
    model.copied = f"copied the MLflow model {source} into {dest}/ (what a manifest pins must be inside the repository)"
    model.notes.insert(0, model.copied)
    return model


def _inside(root: Path, full: Path) -> bool:
    try:
        full.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _copy_in(source: Path, root: Path, rel: str, *, replace: bool) -> list[Path]:
    """Copy the model directory (regular files; symlinks are not followed) to `rel`; what it created."""
    dest = root / rel
    if dest.exists() and not replace and (not dest.is_dir() or any(dest.iterdir())):
        raise InvalidInput("already exists, and the MLflow model from outside the repository is copied there",
                           where=rel, hint="remove it, or copy the MLflow model into the repository yourself "
                                           "and pass that directory")
    created: list[Path] = []
    tmp: Path | None = None
    for part in [*reversed(Path(rel).parents), Path(rel)]:  # artifacts, artifacts/NAME (outermost first)
        parent = root / part
        if part != Path(".") and not parent.exists():
            parent.mkdir()
            created.append(parent)
    try:
        for src in sorted(source.rglob("*")):
            target = dest / src.relative_to(source)
            if src.is_symlink():
                continue
            if src.is_dir():
                if not target.is_dir():
                    target.mkdir()
                    created.append(target)
            elif src.is_file():
                existed = target.exists()
                tmp = temp_beside(target)  # pid-marked: one left by a killed copy is swept by the next
                shutil.copyfile(src, tmp)
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, target)  # a new inode: never writes through a link into DVC's cache
                tmp = None
                if not existed:
                    created.append(target)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        _remove(created)
        raise
    return created


def _remove(created: list[Path]) -> None:
    """Undo a copy-in: files it created, then directories it created that are empty again."""
    for path in reversed(created):
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        else:
            path.unlink(missing_ok=True)


def _mlmodel(base: Path, where: str) -> dict[str, Any]:
    """The MLmodel document of a model directory, with at least one flavor."""
    if not base.is_dir() or not (base / MLMODEL).is_file():
        raise InvalidInput("not an MLflow model directory (no MLmodel file)", where=where,
                           hint="pass the directory mlflow.<flavor>.save_model wrote (or `mlflow artifacts download`)")
    doc = load_yaml(base / MLMODEL, where=where)
    if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict) or not doc["flavors"]:
        raise InvalidInput("no flavors: not an MLmodel file", where=f"{where}: flavors")
    return doc


def _read(root: Path, rel: str) -> MlflowModel:
    base = root / rel
    where = f"{rel}/{MLMODEL}"
    doc = _mlmodel(base, where)
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
    environment = {**(environment or {}), "mlflow": loading(doc)}
    metadata = [f"{rel}/{n}" for n in (MLMODEL, "python_env.yaml", "conda.yaml", "input_example.json",
                                                      "serving_input_example.json")
                if (base / n).is_file()]
    notes.append("commit the MLflow metadata with the model: git add " + " ".join(metadata))
    return MlflowModel(rel, sorted(flavors), weights, formats, schema, environment, notes, warnings)


def loading(doc: dict[str, Any]) -> dict[str, Any]:
    """How the model loads: its own flavor, pyfunc's loader_module, serialization_format, library versions."""
    flavors = doc["flavors"]
    own = sorted(f for f in flavors if f != "python_function") or ["python_function"]
    conf = flavors.get(own[0]) if isinstance(flavors.get(own[0]), dict) else {}
    pyfunc = flavors.get("python_function") if isinstance(flavors.get("python_function"), dict) else {}
    record: dict[str, Any] = {"flavor": own[0]}
    loader = pyfunc.get("loader_module") or conf.get("loader_module")
    if isinstance(loader, str):
        record["loader_module"] = loader
    if conf.get("serialization_format") is not None:
        record["serialization_format"] = str(conf["serialization_format"])
    versions = {"mlflow": str(doc["mlflow_version"])} if doc.get("mlflow_version") is not None else {}
    for source in (conf, pyfunc):  # sklearn_version, pytorch_version, cloudpickle_version, ...
        for key, value in source.items():
            if key.endswith("_version") and key != "python_version" and value is not None:
                versions.setdefault(key.removesuffix("_version"), str(value))
    if versions:
        record["versions"] = dict(sorted(versions.items()))
    return record


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
