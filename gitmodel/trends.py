"""Metrics across a model's releases: the values, a sparkline, and a Mermaid chart GitHub renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel import git
from gitmodel.check import load_manifests
from gitmodel.config import load_config
from gitmodel.errors import InvalidInput
from gitmodel.hashing import HashCache
from gitmodel.names import validate_name
from gitmodel.review import WORKTREE, is_number, lower_is_better, metric_history
from gitmodel.sources import WorkTree
from gitmodel.tags import read_tags

BARS = "▁▂▃▄▅▆▇█"


@dataclass
class MetricRow:
    label: str                 # v0.2.0, or "working tree"
    version: str
    date: str | None           # tagger date of the release
    metrics: dict[str, Any]


@dataclass
class MetricsReport:
    name: str
    rows: list[MetricRow]
    metric_names: list[str] = field(default_factory=list)

    def series(self, metric: str) -> list[tuple[str, float | None]]:
        return [(r.label, float(r.metrics[metric]) if is_number(r.metrics.get(metric)) else None)
                for r in self.rows]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metrics": self.metric_names,
            "rows": [{"label": r.label, "version": r.version, "date": r.date, "metrics": r.metrics}
                     for r in self.rows],
            "trends": {m: {"values": [v for _l, v in self.series(m)], "sparkline": sparkline(
                [v for _l, v in self.series(m)]), "direction": "lower" if lower_is_better(m) else "higher"}
                for m in self.metric_names},
        }


def sparkline(values: list[float | None]) -> str:
    """▁▂▃▄▅▆▇█ scaled between the smallest and largest value; a gap (space) where a value is missing."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif high == low:
            out.append(BARS[3])
        else:
            out.append(BARS[round((v - low) / (high - low) * (len(BARS) - 1))])
    return "".join(out)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def mermaid_chart(title: str, metric: str, points: list[tuple[str, float]]) -> str:
    """A Mermaid `xychart-beta` line chart (GitHub renders ```mermaid blocks)."""
    labels = ", ".join('"' + label.replace('"', "'") + '"' for label, _v in points)
    values = ", ".join(_fmt(v) for _l, v in points)
    low = min(v for _l, v in points)
    high = max(v for _l, v in points)
    pad = (high - low) * 0.1 or abs(high) * 0.05 or 1.0
    safe_title = title.replace('"', "'")
    return "\n".join([
        "```mermaid",
        "xychart-beta",
        f'    title "{safe_title}"',
        f"    x-axis [{labels}]",
        f'    y-axis "{metric}" {_fmt(low - pad)} --> {_fmt(high + pad)}',
        f"    line [{values}]",
        "```",
    ])


def model_metrics(root: Path, name: str) -> MetricsReport:
    """Each metric of `name` at every active release, plus the working tree when its metrics differ."""
    validate_name(name)
    cfg = load_config(root)
    tags = read_tags(root, {name})
    loaded = load_manifests(WorkTree(root, HashCache(git.git_dir(root), root)), cfg, full=set(), names={name})
    current = loaded[name][1] if name in loaded else None
    if current is None and not tags.active_releases(name):
        raise InvalidInput("no such model", where=cfg.manifest_path(name),
                           hint=f"create it with `gitmodel add {name} ...`")
    history = metric_history(root, cfg, tags, name)
    rows = [MetricRow(label, rel.version.__str__() if rel else "", rel.date if rel else None, metrics)
            for label, rel, metrics in history]
    if current is not None and (not rows or (current.metrics or {}) != rows[-1].metrics):
        rows.append(MetricRow(WORKTREE, current.version, None, dict(current.metrics or {})))
    names: list[str] = []
    for row in rows:
        for key in row.metrics:
            if key not in names:
                names.append(key)
    return MetricsReport(name, rows, names)
