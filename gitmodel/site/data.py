"""What the site shows, read once: every model's releases with their manifests, approvals, stage history,
current stage holders, the work tree's state, the diff between consecutive releases and the model card."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gitmodel.infra.errors import GitmodelError
from gitmodel.model import manifest as mf
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import Manifest
from gitmodel.repo import git
from gitmodel.repo.history import Holder, current_holders, rollback_of, user_message, valid_approvals
from gitmodel.repo.tags import Approval, Release, StageEvent, read_tags
from gitmodel.review.card import card_text
from gitmodel.review.deltas import ModelDiff
from gitmodel.review.diff import compare_models
from gitmodel.review.status import ModelSummary, list_models
from gitmodel.review.trends import ReleaseManifests


@dataclass
class ReleaseView:
    release: Release
    manifest: Manifest | None          # None when the released manifest cannot be read
    approvals: list[Approval]
    deregistered: bool
    stages: list[str]                  # the stages this release holds now

    @property
    def version(self) -> str:
        return str(self.release.version)

    @property
    def note(self) -> str:
        return user_message(self.release.message)


@dataclass
class StageRow:
    """One stage event as a person reads it: promoted, rolled back or unassigned."""

    event: StageEvent
    version: str | None
    action: str


@dataclass
class DiffView:
    old: ReleaseView
    new: ReleaseView
    diff: ModelDiff | None             # None when no component changed between the two


@dataclass
class ModelView:
    name: str
    summary: ModelSummary | None       # the work tree's state; None when only tags remain
    releases: list[ReleaseView]        # ascending semver, deregistered ones included
    stage_history: list[StageRow]
    holders: dict[str, Holder]
    deprecated: str | None
    diffs: list[DiffView]
    card_manifest: Manifest | None     # latest release's manifest, else the work tree's
    card: str | None                   # the card's Markdown, as `gitmodel card` writes it
    card_error: str | None = None
    children: dict[str, list[str]] = field(default_factory=dict)   # version → releases naming it as parent

    @property
    def active(self) -> list[ReleaseView]:
        return [r for r in self.releases if not r.deregistered]

    @property
    def latest(self) -> ReleaseView | None:
        active = self.active
        return active[-1] if active else None


@dataclass
class SiteData:
    models: list[ModelView]
    head: str | None
    stage_order: list[str]             # configured stages first, then the others seen, alphabetically
    warnings: list[str]


def _stage_rows(events: list[StageEvent], commits: dict[str, str]) -> list[StageRow]:
    rows = []
    for event in events:
        version = commits.get(event.commit) if event.assign else None
        back = rollback_of(event)
        action = "rolled back" if back is not None else "promoted" if event.assign else "unassigned"
        rows.append(StageRow(event, version, action))
    return rows


def _work_tree_manifest(root: Path, cfg: Config, name: str) -> Manifest | None:
    try:
        return mf.load(root / cfg.manifest_path(name), full=False)
    except GitmodelError:
        return None


def collect(root: Path) -> SiteData:
    """Everything the pages show: tags read once, every released manifest in one cat-file call."""
    cfg = load_config(root)
    summaries, warnings = list_models(root)
    tags = read_tags(root)
    by_name = {s.name: s for s in summaries}
    names = sorted(set(by_name) | set(tags.releases) | set(tags.stage_events))
    released = ReleaseManifests(root, cfg)
    released.load([r for n in names for r in tags.releases.get(n, [])])
    models = []
    parents: dict[tuple[str, str], list[str]] = {}
    for name in names:
        holders = current_holders(tags, name)
        held: dict[str, list[str]] = {}
        for stage, holder in sorted(holders.items()):
            held.setdefault(holder.version, []).append(stage)
        gone = tags.deregistered.get(name, set())
        views = []
        for rel in tags.releases.get(name, []):
            approvals, notes = valid_approvals(tags, rel)
            warnings += notes
            manifest = released.get(rel, strict=False)
            views.append(ReleaseView(rel, manifest, approvals, str(rel.version) in gone, held.get(str(rel.version), [])))
            parent = (manifest.lineage or {}).get("parent") if manifest is not None else None
            if isinstance(parent, str):
                parents.setdefault((parent.rpartition("@v")[0], parent.rpartition("@v")[2]), []).append(rel.tag)
        commits = {r.commit: str(r.version) for r in tags.releases.get(name, []) if str(r.version) not in gone}
        active = [v for v in views if not v.deregistered]
        diffs = [DiffView(a, b, compare_models(name, a.manifest, b.manifest, cfg))
                 for a, b in zip(active, active[1:], strict=False) if a.manifest is not None and b.manifest is not None]
        card_manifest = active[-1].manifest if active else _work_tree_manifest(root, cfg, name)
        card, card_error = None, None
        if card_manifest is not None:
            try:
                upto = [v.release for v in active if v.release.version <= card_manifest.semver]
                card = card_text(root, card_manifest, upto, cfg.manifest_path(name))[1]
            except GitmodelError as exc:
                card_error = exc.message
        models.append(ModelView(name, by_name.get(name), views, _stage_rows(tags.stage_events.get(name, []), commits),
                                holders, tags.deprecation(name), diffs, card_manifest, card, card_error))
    for model in models:
        for view in model.releases:
            model.children[view.version] = parents.get((model.name, view.version), [])
    seen = sorted({s for m in models for s in m.holders} | {r.event.stage for m in models for r in m.stage_history})
    order = [s for s in cfg.stages or [] if s in seen][::-1] + [s for s in seen if s not in (cfg.stages or [])]
    return SiteData(models, git.resolve_commit(root, "HEAD"), order, list(dict.fromkeys([*warnings, *tags.warnings])))
