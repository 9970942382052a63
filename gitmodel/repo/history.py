"""Release history read from tags, kept lean (no YAML, no Typer): versions, stage holders, approvals.

`gitmodel versions` runs on this alone, so it answers in one `git for-each-ref` plus Python start-up.
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import InvalidInput
from gitmodel.model.names import validate_name
from gitmodel.model.records import Record
from gitmodel.repo.tags import Approval, Release, StageEvent, TagIndex, read_tags

TYPE_CHECKING = False  # typing costs the read commands ~6 ms to import; the name alone is enough for mypy
if TYPE_CHECKING:
    from typing import Any

    from gitmodel.model.config import Config

_META_KEYS = ("fingerprint", "manifest", "release", "role", "version", "rollback-of")


class Holder(Record, frozen=True):
    stage: str
    version: str
    event: StageEvent      # the event that gave the stage to this version

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "version": self.version, "tag": self.event.tag,
                "counter": self.event.counter, "date": self.event.date, "by": self.event.tagger}


def rollback_of(event: StageEvent) -> str | None:
    for line in event.message.splitlines():
        if line.startswith("rollback-of:"):
            return line.split(":", 1)[1].strip()
    return None


def stage_stacks(tags: TagIndex, name: str) -> dict[str, list[tuple[str | None, StageEvent]]]:
    """Per stage, the holders in order (None: unassigned), replaying events by counter.

    A deregistered version leaves every stage, as in GTO: its events are not replayed, so a stage falls
    back to the version that held it before (what `gto show` shows).
    """
    gone = tags.deregistered.get(name, set())
    commits = {r.commit: str(r.version) for r in tags.releases.get(name, []) if str(r.version) not in gone}
    stacks: dict[str, list[tuple[str | None, StageEvent]]] = {}
    for event in tags.stage_events.get(name, []):
        version = commits.get(event.commit) if event.assign else None
        if event.assign and version is None:
            continue  # GTO can assign a stage to a commit that has no release; gitmodel cannot name it
        stack = stacks.setdefault(event.stage, [])
        if rollback_of(event) is not None and stack:
            stack.pop()
            if stack and stack[-1][0] == version:
                stack[-1] = (version, event)
                continue
        if stack and stack[-1][0] == version:
            continue
        if stack or version is not None:
            stack.append((version, event))
    return stacks


def current_holders(tags: TagIndex, name: str) -> dict[str, Holder]:
    """stage → the version holding it now; none while the model is deprecated (`NAME@deprecated`)."""
    if not tags.stage_events.get(name) or tags.deprecation(name) is not None:  # most models of a big repo: none
        return {}
    return {stage: Holder(stage, stack[-1][0], stack[-1][1])
            for stage, stack in stage_stacks(tags, name).items() if stack and stack[-1][0] is not None}


def user_message(message: str) -> str:
    """A tag message minus its subject and gitmodel's `key: value` lines: what the person wrote."""
    parts = message.split("\n\n", 1)
    if len(parts) < 2 or not parts[0].startswith("gitmodel "):
        return message.strip() if not message.startswith("gitmodel ") else ""
    body = parts[1].splitlines()
    while body and any(body[0].startswith(f"{key}:") for key in _META_KEYS):
        body.pop(0)
    return "\n".join(body).strip()


class VersionInfo(Record):
    version: str
    tag: str
    date: str
    tagger: str
    commit: str
    subject: str
    message: str
    fingerprint: str | None
    stages: list[str]
    approvals: list[Approval]
    deregistered: bool = False

    @property
    def note(self) -> str:
        """What the releaser wrote (-m), without gitmodel's subject and metadata lines."""
        return user_message(self.message)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "tag": self.tag, "date": self.date, "tagger": self.tagger,
                "commit": self.commit, "stages": self.stages, "subject": self.subject, "message": self.note,
                "fingerprint": f"sha256:{self.fingerprint}" if self.fingerprint else None,
                "deregistered": self.deregistered,
                "approvals": [approval_json(a) for a in self.approvals]}


def approval_json(a: Approval) -> dict[str, Any]:
    return {"role": a.role, "by": a.tagger, "date": a.date, "tag": a.tag, "note": a.note}


class VersionsResult(Record):
    name: str
    versions: list[VersionInfo]
    warnings: list[str]
    deprecated: str | None = None   # the `NAME@deprecated` tag while the model is deprecated

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "deprecated": self.deprecated, "versions": [v.to_json() for v in self.versions],
                "warnings": self.warnings}


def valid_approvals(tags: TagIndex, release: Release) -> tuple[list[Approval], list[str]]:
    """Approvals of a release that sit on its commit; others are reported and ignored."""
    good, warnings = [], []
    for approval in tags.approvals_of(release.name, release.version):
        if approval.commit != release.commit:
            warnings.append(f"tag {approval.tag}: points at {approval.commit[:12]}, not at {release.tag}'s commit; "
                            "ignored")
        else:
            good.append(approval)
    return good, warnings


def known_model(root: Path, cfg: Config | None, tags: TagIndex, name: str) -> None:
    if name in tags.releases or name in tags.stage_events:
        return
    from gitmodel.model.config import load_config

    cfg = cfg or load_config(root)  # only now: reading the config costs the YAML import
    if (root / cfg.manifest_path(name)).exists():
        return
    raise InvalidInput("no such model (no manifest and no release tags)", where=cfg.manifest_path(name),
                       hint="see `gitmodel ls`")


def versions(root: Path, name: str) -> VersionsResult:
    """Every release of a model, sorted by semver, with stages held and approvals: one for-each-ref."""
    validate_name(name)
    tags = read_tags(root, {name})
    known_model(root, None, tags, name)
    held: dict[str, list[str]] = {}
    for stage, holder in sorted(current_holders(tags, name).items()):
        held.setdefault(holder.version, []).append(stage)
    warnings = list(tags.warnings)
    gone = tags.deregistered.get(name, set())
    out = []
    for rel in tags.releases.get(name, []):
        approvals, notes = valid_approvals(tags, rel)
        warnings += notes
        out.append(VersionInfo(str(rel.version), rel.tag, rel.date, rel.tagger, rel.commit, rel.subject,
                               rel.message, rel.fingerprint, held.get(str(rel.version), []), approvals,
                               str(rel.version) in gone))
    return VersionsResult(name, out, warnings, tags.deprecation(name))
