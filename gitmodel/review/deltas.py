"""What a manifest diff reports: per-model file, value, metric and schema deltas (gitmodel/review/diff.py
computes them; gitmodel/review/render.py prints them; `to_json` is the `--format json` shape, diff.v1.json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitmodel.model.semver import Level
from gitmodel.review.trends import is_number, lower_is_better

# ------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FileDelta:
    """A pinned file added, removed or changed (content or storage)."""

    component: str
    path: str
    kind: str                 # added, removed, changed
    old_sha256: str | None
    new_sha256: str | None
    old_size: int | None
    new_size: int | None
    old_storage: str | None = None
    new_storage: str | None = None
    note: str = ""

    @property
    def size_delta(self) -> int | None:
        if self.old_size is None or self.new_size is None:
            return None
        return self.new_size - self.old_size

    def to_json(self) -> dict[str, Any]:
        return {"component": self.component, "path": self.path, "kind": self.kind,
                "old_sha256": self.old_sha256, "new_sha256": self.new_sha256,
                "old_size": self.old_size, "new_size": self.new_size, "size_delta": self.size_delta,
                "old_storage": self.old_storage, "new_storage": self.new_storage, "note": self.note}


@dataclass(frozen=True)
class ValueDelta:
    """A key of params, environment, lineage or other metadata added, removed or changed."""

    key: str                  # without the section prefix: `lr`, `packages.torch`
    kind: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class MetricDelta:
    name: str
    kind: str
    old: Any
    new: Any
    delta: float | None       # new - old, for numbers
    relative: float | None    # delta / |old|; None when old is 0 or not a number
    better: bool | None       # by the metric's direction (loss down is better); None when unknown/equal

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "old": self.old, "new": self.new, "delta": self.delta,
                "relative": self.relative, "better": self.better,
                "direction": "lower" if lower_is_better(self.name) else "higher"}


@dataclass(frozen=True)
class SchemaDelta:
    key: str
    kind: str
    old: Any
    new: Any
    breaking: bool
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "old": self.old, "new": self.new, "breaking": self.breaking,
                "note": self.note}


@dataclass
class MemberMove:
    """A reference (`uses.ROLE`) that moved: from which release to which, the bump it requires, and with
    `gitmodel diff --expand` the member's own diff between the two releases."""

    role: str
    kind: str                      # added, removed, changed
    old: str | None                # UNIT@vX.Y.Z
    new: str | None
    level: Level
    member: ModelDiff | None = None

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "kind": self.kind, "old": self.old, "new": self.new, "level": str(self.level),
                "diff": self.member.to_json() if self.member is not None else None}


@dataclass(frozen=True)
class MetricPoint:
    """One metric value at one version, for the trend chart."""

    label: str
    value: float


@dataclass
class ModelDiff:
    name: str
    status: str                          # added, removed, renamed, changed
    old_name: str | None
    old_version: str | None
    new_version: str | None
    required: Level = Level.NONE
    given: Level = Level.NONE
    ok: bool | None = None               # None: nothing to judge (added or removed model)
    reason: str = ""
    files: list[FileDelta] = field(default_factory=list)
    params: list[ValueDelta] = field(default_factory=list)
    metrics: list[MetricDelta] = field(default_factory=list)
    schema: list[SchemaDelta] = field(default_factory=list)
    lineage: list[ValueDelta] = field(default_factory=list)
    environment: list[ValueDelta] = field(default_factory=list)
    metadata: list[ValueDelta] = field(default_factory=list)
    uses: list[MemberMove] = field(default_factory=list)  # moved references, each with its member's diff
    history: dict[str, list[MetricPoint]] = field(default_factory=dict)   # metric → points, oldest first
    stale: list[str] = field(default_factory=list)   # working tree files that no longer match the manifest

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "status": self.status, "old_name": self.old_name,
            "old_version": self.old_version, "new_version": self.new_version,
            "required_level": str(self.required), "given_level": str(self.given), "ok": self.ok,
            "reason": self.reason,
            "files": [f.to_json() for f in self.files],
            "params": [p.to_json() for p in self.params],
            "metrics": [m.to_json() for m in self.metrics],
            "schema": [s.to_json() for s in self.schema],
            "lineage": [v.to_json() for v in self.lineage],
            "environment": [v.to_json() for v in self.environment],
            "metadata": [v.to_json() for v in self.metadata],
            "uses": [u.to_json() for u in self.uses],
            "metric_history": {k: [{"label": p.label, "value": p.value} for p in pts]
                               for k, pts in self.history.items()},
            "stale": self.stale,
        }


@dataclass
class DiffReport:
    old_label: str
    new_label: str
    models: list[ModelDiff]
    unchanged: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(m.ok is not False for m in self.models)

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": 1, "old": self.old_label, "new": self.new_label, "ok": self.ok,
                "models": [m.to_json() for m in self.models], "unchanged": self.unchanged,
                "warnings": self.warnings}


# ---------------------------------------------------------------------------------------- numbers


def _clean(value: float) -> float:
    """Drop binary noise: 0.93 - 0.91 is 0.020000000000000018, shown and stored as 0.02."""
    return float(f"{value:.12g}")


def metric_delta(name: str, kind: str, old: Any, new: Any) -> MetricDelta:
    if not (is_number(old) and is_number(new)):
        return MetricDelta(name, kind, old, new, None, None, None)
    delta = _clean(new - old)
    relative = _clean(delta / abs(old)) if old != 0 else None
    better = None if delta == 0 else (delta < 0) == lower_is_better(name)
    return MetricDelta(name, kind, old, new, delta, relative, better)
