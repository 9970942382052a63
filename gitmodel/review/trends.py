"""Metrics across a model's releases: the values, a sparkline, and a Mermaid chart GitHub renders."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import GitmodelError, InvalidInput
from gitmodel.infra.hashing import HashCache
from gitmodel.model import manifest as mf
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.repo import git
from gitmodel.repo.reading import load_manifests
from gitmodel.repo.sources import WorkTree
from gitmodel.repo.tags import Release, TagIndex, read_tags

BARS = "▁▂▃▄▅▆▇█"
WORKTREE = "working tree"
# Metrics where a smaller number is the better one (matched as a word of the metric's name).
_LOWER_IS_BETTER = ("loss", "error", "err", "latency", "perplexity", "ppl", "wer", "cer", "mae", "mse", "rmse",
                    "mape", "time", "seconds", "ms", "cost", "fpr", "fnr", "eer", "brier", "logloss")


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


def lower_is_better(metric: str) -> bool:
    words = metric.lower().replace("-", "_").replace(".", "_").replace("/", "_").split("_")
    return any(w in _LOWER_IS_BETTER for w in words)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class ReleaseManifests:
    """Manifests as released, read in batches (one cat-file per batch) and parsed once per command."""

    def __init__(self, root: Path, cfg: Config) -> None:
        self.root = root
        self.cfg = cfg
        self._parsed: dict[str, Manifest | GitmodelError | None] = {}

    def spec(self, rel: Release) -> str:
        return f"{rel.commit}:{rel.meta('manifest') or self.cfg.manifest_path(rel.name)}"

    def load(self, releases: list[Release]) -> None:
        missing = [r for r in releases if r.tag not in self._parsed]
        if not missing:
            return
        blobs = git.cat_files(self.root, [self.spec(r) for r in missing])
        for rel in missing:
            blob = blobs.get(self.spec(rel))
            try:
                self._parsed[rel.tag] = None if blob is None else mf.parse(blob, where=self.spec(rel), full=False)
            except GitmodelError as exc:
                self._parsed[rel.tag] = exc

    def get(self, rel: Release, *, strict: bool = True) -> Manifest | None:
        self.load([rel])
        found = self._parsed[rel.tag]
        if isinstance(found, GitmodelError):
            if strict:
                raise found
            return None
        return found


def history_releases(tags: TagIndex, name: str, upto: Manifest | None) -> list[Release]:
    releases = tags.active_releases(name)
    if upto is not None:
        try:
            ceiling = upto.semver
        except GitmodelError:
            return releases
        releases = [r for r in releases if r.version <= ceiling]
    return releases


def metric_history(root: Path, cfg: Config, tags: TagIndex, name: str, *, upto: Manifest | None = None,
                   upto_label: str | None = None, released: ReleaseManifests | None = None
                   ) -> list[tuple[str, Release | None, dict[str, Any]]]:
    """(label, release, metrics) for every active release of `name`, oldest first.

    With `upto`, releases above its version are left out and, unless it is itself released as is, it is
    appended as the last point (labelled `upto_label`).
    """
    released = released or ReleaseManifests(root, cfg)
    releases = history_releases(tags, name, upto)
    released.load(releases)
    rows: list[tuple[str, Release | None, dict[str, Any]]] = []
    for rel in releases:
        found = released.get(rel, strict=False)
        rows.append((f"v{rel.version}", rel, dict(found.metrics or {}) if found is not None else {}))
    if upto is not None:
        same = [m for _l, r, m in rows if r is not None and str(r.version) == upto.version]
        if not same or same[0] != (upto.metrics or {}):
            rows.append((upto_label or f"v{upto.version}", None, upto.metrics or {}))
    return rows


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
