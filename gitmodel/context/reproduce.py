"""Reproducibility context of a model version: environment record and drift, input samples against the schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmodel.context.env import (
    EnvReport,
    canonical_name,
    capture_environment,
    check_environment,
    probe_interpreter,
)
from gitmodel.infra.errors import InvalidInput
from gitmodel.model import manifest as mf
from gitmodel.model import semver
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.model.policy import Change, diff_manifests, version_verdict
from gitmodel.model.records import replace
from gitmodel.model.semver import Level
from gitmodel.repo import git
from gitmodel.repo.tags import parse_ref

if TYPE_CHECKING:
    from gitmodel.context.samples import ValidationSummary

SCHEMA_REF = mf.SCHEMA_IN_REPO  # as workspace.SCHEMA_REF (kept lean: no DVC path)


@dataclass
class CaptureResult:
    """What `env capture` recorded, what changed against the manifest, and what it staged."""

    name: str
    manifest_path: str
    version: str
    environment: dict[str, Any]
    previous: dict[str, Any] | None = None                  # the record before this capture
    changes: list[Change] = field(default_factory=list)   # against the manifest before the capture
    released: str | None = None                             # latest release version, if any
    required: Level = Level.NONE                            # bump the whole manifest now needs vs that release
    problem: str | None = None                              # why the version must move before a commit
    dropped: list[str] = field(default_factory=list)        # recorded packages no longer installed
    staged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "manifest": self.manifest_path, "version": self.version,
                "environment": self.environment, "changed": self.changed,
                "changes": [{"key": c.key, "kind": c.kind, "old": c.old, "new": c.new, "level": str(c.level),
                             "description": c.describe()} for c in self.changes],
                "latest_release": self.released, "required_bump": str(self.required), "problem": self.problem,
                "dropped": self.dropped, "staged": self.staged}


def _model_path(root: Path, cfg: Config, name: str) -> str:
    validate_name(name)
    path = cfg.manifest_path(name)
    if not (root / path).exists():
        raise InvalidInput("no such model", where=path, hint=f"create it with `gitmodel add {name} ...`")
    return path


def _carried_packages(recorded: dict[str, Any] | None, explicit: Sequence[str]) -> tuple[list[str], list[str]]:
    """Packages recorded before (beyond the defaults) that are still installed, and those that are not."""
    from gitmodel.context.env import DEFAULT_PACKAGES

    known = {canonical_name(n) for n in (*DEFAULT_PACKAGES, *explicit)}
    before = [str(n) for n in ((recorded or {}).get("packages") or {}) if canonical_name(str(n)) not in known]
    if not before:
        return [], []
    installed = probe_interpreter(None, before)["packages"]
    keep = [n for n in before if canonical_name(n) in installed]
    return keep, [n for n in before if canonical_name(n) not in installed]


def env_capture(root: Path, name: str, *, lock: str | None = None, packages: Sequence[str] = (),
                stage: bool = True) -> CaptureResult:
    """Record this interpreter's environment in the manifest (atomically) and stage manifest and lock file.

    A re-capture keeps the packages and lock file recorded before, so `env capture NAME` refreshes a record.
    """
    from gitmodel.repo.reading import released_manifest
    from gitmodel.repo.tags import read_tags

    cfg = load_config(root)
    path = _model_path(root, cfg, name)
    current = mf.load(root / path, full=False)
    carried, dropped = _carried_packages(current.environment, packages)
    lock_path: Path | None = Path(lock) if lock else None
    if lock_path is None:
        old_lock = (current.environment or {}).get("lock")
        if isinstance(old_lock, dict) and isinstance(old_lock.get("path"), str) and (root / old_lock["path"]).is_file():
            lock_path = Path(old_lock["path"])
    environment = capture_environment(lock=lock_path, extra_packages=[*packages, *carried], root=root)
    if isinstance((current.environment or {}).get("mlflow"), dict):  # how the model loads: not this machine's
        environment["mlflow"] = (current.environment or {})["mlflow"]
    updated = replace(current, environment=environment)
    changes = [c for c in diff_manifests(current, updated, cfg.policy) if c.component == "environment"]
    if updated != current:
        # No jsonschema pass here (about 100 ms of the 0.5 s budget): the rest of the manifest is as loaded,
        # and the environment is built by capture_environment in the schema's shape (tests check it).
        mf.save(updated, root / path, schema_ref=SCHEMA_REF)
    staged: list[str] = []
    if stage:
        todo = [path] + ([environment["lock"]["path"]] if "lock" in environment else [])
        git.add(root, todo)
        staged = todo
    tags = read_tags(root, {name})
    released = released_manifest(root, cfg, tags, name)
    required, problem = Level.NONE, None
    if released is not None and released[1] is not None:
        since = diff_manifests(released[1], updated, cfg.policy)
        required, problem = version_verdict(updated.semver, semver.parse(released[0]), since)
    return CaptureResult(name, path, updated.version, environment, current.environment, changes,
                         released[0] if released else None, required, problem, dropped, staged)


def manifest_at(root: Path, ref: str) -> tuple[str, Manifest]:
    """(label, manifest) for NAME (the working tree), NAME@vX.Y.Z (a release) or NAME#STAGE."""
    name, version, stage = parse_ref(ref)
    if version is None and stage is None:
        cfg = load_config(root)
        path = _model_path(root, cfg, name)
        return path, mf.load(root / path, full=False)
    from gitmodel.repo.refs import show_model

    shown = show_model(root, ref)
    label = f"{shown.release.tag}:{shown.manifest_path}" if shown.release else shown.manifest_path
    return label, shown.manifest


def env_check(root: Path, ref: str, *, python: str | None = None) -> EnvReport:
    """Compare the environment recorded for NAME or NAME@vX.Y.Z with this interpreter or `python`."""
    label, manifest = manifest_at(root, ref)
    if not manifest.environment:
        raise InvalidInput("no environment recorded", where=f"{label}: environment",
                           hint=f"run `gitmodel env capture {manifest.name}` and commit the manifest")
    return check_environment(manifest.environment, python=python)


def validate_input(root: Path, ref: str, file: Path, *, max_errors: int = 1000) -> ValidationSummary:
    """Validate every record of a JSON, JSONL or CSV file against the manifest's `schema.inputs`."""
    from gitmodel.context.samples import SCHEMA_WHERE, validate_file

    label, manifest = manifest_at(root, ref)
    inputs = (manifest.schema or {}).get("inputs")
    where = f"{label}: {SCHEMA_WHERE}"
    if inputs is None:
        raise InvalidInput("no input schema recorded", where=where,
                           hint=f"add one with `gitmodel bump {manifest.name} --schema FILE`")
    try:
        return validate_file(file, inputs, max_errors=max_errors)
    except InvalidInput as exc:
        if exc.where == SCHEMA_WHERE:  # name the manifest the bad schema lives in
            raise InvalidInput(exc.message, where=where, hint=exc.hint) from None
        raise
