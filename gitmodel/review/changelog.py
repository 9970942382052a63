"""`gitmodel changelog`: per release, newest first, the bump level and why against the previous release."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import GitmodelError, printable
from gitmodel.model import manifest as mf
from gitmodel.model.config import load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.model.policy import diff_manifests, required_level
from gitmodel.model.semver import Level
from gitmodel.repo import git
from gitmodel.repo.history import known_model, user_message
from gitmodel.repo.tags import read_tags


@dataclass
class ChangelogEntry:
    version: str
    tag: str
    date: str
    tagger: str
    commit: str
    previous: str | None
    level: Level | None
    changes: list[str]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "tag": self.tag, "date": self.date, "tagger": self.tagger,
                "commit": self.commit, "previous": self.previous,
                "level": str(self.level) if self.level is not None else None, "changes": self.changes,
                "message": self.message}


@dataclass
class ChangelogResult:
    name: str
    entries: list[ChangelogEntry]
    markdown: str
    warnings: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "releases": [e.to_json() for e in self.entries], "warnings": self.warnings}


def changelog(root: Path, name: str) -> ChangelogResult:
    """Markdown, newest first: version, date, tagger, level and reasons against the previous release, message."""
    validate_name(name)
    cfg = load_config(root)
    tags = read_tags(root, {name})
    known_model(root, cfg, tags, name)
    releases = tags.active_releases(name)
    specs = {r.tag: f"{r.commit}:{r.meta('manifest') or cfg.manifest_path(name)}" for r in releases}
    blobs = git.cat_files(root, list(specs.values()))
    warnings = list(tags.warnings)
    manifests: dict[str, Manifest | None] = {}
    for rel in releases:
        blob = blobs.get(specs[rel.tag])
        try:
            manifests[rel.tag] = mf.parse(blob, where=specs[rel.tag], full=False) if blob is not None else None
        except GitmodelError as exc:
            warnings.append(f"{rel.tag}: manifest unreadable ({exc.message})")
            manifests[rel.tag] = None
        if blob is None:
            warnings.append(f"{rel.tag}: no manifest at {specs[rel.tag]}")
    entries = []
    for i, rel in enumerate(releases):
        prev = releases[i - 1] if i else None
        level: Level | None = None
        lines: list[str] = []
        old, new = (manifests.get(prev.tag) if prev else None), manifests.get(rel.tag)
        if prev is None:
            lines = ["first release"]
        elif old is None or new is None:
            lines = ["manifest unavailable: cannot compare"]
        else:
            changes = diff_manifests(old, new, cfg.policy)
            level = required_level(changes)
            ranked = sorted(changes, key=lambda c: -int(c.level))
            lines = [c.describe() for c in ranked] or ["no component changed"]
        entries.append(ChangelogEntry(str(rel.version), rel.tag, rel.date, rel.tagger, rel.commit,
                                      str(prev.version) if prev else None, level, lines, user_message(rel.message)))
    entries.reverse()
    return ChangelogResult(name, entries, render_changelog(name, entries), warnings)


def render_changelog(name: str, entries: list[ChangelogEntry]) -> str:
    """Markdown; every field that came from a tag or a manifest is shown, never sent (it may go to a file)."""
    out = [f"# Changelog: {name}", ""]
    if not entries:
        out += ["No releases yet.", ""]
    for e in entries:
        out += [f"## v{e.version} — {printable(e.date[:10])}", "",
                f"Released by {printable(e.tagger)} on {printable(e.date)} · tag `{printable(e.tag)}` · "
                f"commit `{e.commit[:12]}`", ""]
        if e.level is None:
            out += [f"- {printable(line)}" for line in e.changes]
        else:
            out += [f"**{e.level}** since v{e.previous}: " + "; ".join(printable(c) for c in e.changes)]
        out.append("")
        if e.message:
            out += [printable(e.message, newlines=True), ""]
    return "\n".join(out).rstrip("\n") + "\n"
