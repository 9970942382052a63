"""Read-only views of the registry: ls and status (`show` reads a reference: gitmodel/repo/refs.py)."""

from __future__ import annotations

from pathlib import Path

from gitmodel.gate.check import Finding, run_check
from gitmodel.infra.errors import InvalidInput
from gitmodel.model.config import load_config
from gitmodel.model.names import validate_name
from gitmodel.model.policy import Change
from gitmodel.model.records import Record
from gitmodel.repo.refs import current_stages
from gitmodel.repo.tags import read_tags

TYPE_CHECKING = False  # typing costs the read commands ~6 ms to import; the name alone is enough for mypy
if TYPE_CHECKING:
    from typing import Any


class ModelSummary(Record):
    name: str
    version: str
    released: str | None
    stages: dict[str, str]
    fresh: bool                # every recorded hash matches (rules fresh and whole)
    problems: list[str]        # every finding of any rule, as `check` prints it
    deprecated: str | None = None  # the `NAME@deprecated` tag while GTO would call the model deprecated

    @property
    def state(self) -> str:
        """`fresh` when `check` would pass for this model, else `stale` (hashes or version need a bump)."""
        return "fresh" if not self.problems else "stale"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "latest_release": self.released,
                "stages": self.stages, "state": self.state, "fresh": self.fresh, "problems": self.problems,
                "deprecated": self.deprecated}


class StatusReport(Record):
    name: str
    version: str
    released: str | None
    required: str
    ok: bool
    findings: list[Finding]
    changes: list[Change]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "latest_release": self.released,
                "required_bump": self.required, "ok": self.ok,
                "violations": [f.to_json() for f in self.findings],
                "changes_since_release": [
                    {"component": c.component, "key": c.key, "kind": c.kind, "level": str(c.level),
                     "note": c.note, "description": c.describe()} for c in self.changes]}


def list_models(root: Path, *, rev: str | None = None) -> tuple[list[ModelSummary], list[str]]:
    """Every model with its version, latest release, stages and state (in the work tree, or at `rev`);
    tags are read once."""
    tags = read_tags(root)
    result = run_check(root, tags=tags, mode="rev" if rev else "worktree", rev=rev)
    out = []
    for state in result.models:
        out.append(ModelSummary(state.name, state.version, state.released,
                                current_stages(tags, state.name), state.fresh,
                                [f.line() for f in state.findings], tags.deprecation(state.name)))
    return out, result.warnings


def model_status(root: Path, names: list[str] | None = None) -> tuple[list[StatusReport], list[str]]:
    wanted = {validate_name(n) for n in names} if names else None
    cfg = load_config(root)
    if wanted:
        for name in wanted:
            if not (root / cfg.manifest_path(name)).exists():
                raise InvalidInput("no such model", where=cfg.manifest_path(name))
    result = run_check(root, names=wanted, cfg=cfg)
    reports = [StatusReport(s.name, s.version, s.released, str(s.required), not s.findings,
                            s.findings, s.changes) for s in result.models]
    return reports, result.warnings
