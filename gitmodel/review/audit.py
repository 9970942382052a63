"""`gitmodel audit [NAME]`: every release, approval, stage event, rollback, deregistration and deprecation,
in order — who (the verified signer, or "unsigned"), when, what, the manifest fingerprint — and, with
`--verify`, every event where signatures are required that is unsigned or does not verify.

Signatures are verified by gitmodel/repo/governance.py under the governance seen from HEAD (the stricter of
HEAD's and the event commit's roles and signers). Unsigned tags cost no git call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from gitmodel.model.names import validate_name
from gitmodel.repo.governance import meta
from gitmodel.repo.history import known_model, rollback_of
from gitmodel.repo.tags import Approval, Release, StageEvent, read_tags
from gitmodel.repo.verdicts import Judge, all_events

HEADERS = ("when", "model", "event", "what", "who", "verified", "fingerprint", "tag")


@dataclass
class AuditEvent:
    when: str
    model: str
    event: str        # release, approval, stage, unassign, rollback, deregister, deprecate
    what: str
    who: str          # the verified signer, "unsigned", or what is wrong with the signature
    verified: bool
    required: bool    # signatures are required for this event
    tagger: str       # what the tag claims (anyone can claim it)
    fingerprint: str | None
    tag: str
    problem: str | None = None

    def row(self) -> list[str]:
        return [self.when, self.model, self.event, self.what, self.who, "yes" if self.verified else "no",
                f"sha256:{self.fingerprint[:12]}" if self.fingerprint else "-", self.tag]

    def to_json(self) -> dict[str, Any]:
        return {"when": self.when, "model": self.model, "event": self.event, "what": self.what, "who": self.who,
                "verified": self.verified, "signatures_required": self.required, "tagger": self.tagger,
                "fingerprint": f"sha256:{self.fingerprint}" if self.fingerprint else None, "tag": self.tag,
                "problem": self.problem}


@dataclass
class AuditResult:
    events: list[AuditEvent]
    warnings: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [e.problem for e in self.events if e.problem]

    def to_json(self) -> dict[str, Any]:
        return {"events": [e.to_json() for e in self.events], "problems": self.problems, "warnings": self.warnings}


def _describe(tag: Release | Approval | StageEvent) -> tuple[str, str]:
    if isinstance(tag, Release):
        return "release", f"v{tag.version}"
    if isinstance(tag, Approval):
        return "approval", f"v{tag.version} as {tag.role}"
    if tag.stage == "deprecated":
        return "deprecate", "model deprecated"
    if tag.stage.endswith("!"):
        return "deregister", f"{tag.stage[:-1]} deregistered"
    version = meta(tag.message, "version")
    if rollback_of(tag) is not None:
        return "rollback", f"{tag.stage} back to {version}" if tag.assign and version else f"{tag.stage} unassigned"
    if not tag.assign:
        return "unassign", f"{tag.stage} unassigned"
    return "stage", f"{version or '?'} to {tag.stage}"


def _instant(date: str) -> float:
    try:
        return datetime.fromisoformat(date).timestamp()
    except ValueError:
        return 0.0


def audit(root: Path, name: str | None = None) -> AuditResult:
    """Every governance event of `name` (or of every model), oldest first."""
    if name is not None:
        validate_name(name)
    tags = read_tags(root, {name} if name else None)
    if name is not None:
        known_model(root, None, tags, name)
    fingerprints = {(r.name, r.commit): r.fingerprint for rels in tags.releases.values() for r in rels}
    judge = Judge(root, "HEAD")
    events = []
    try:
        ordered = sorted(all_events(tags), key=lambda t: (_instant(t.date), getattr(t, "counter", 0), t.tag))
        judge.prefetch(ordered)
        for tag in ordered:
            sig, required, problem = judge.verdict(tags, tag)
            kind, what = _describe(tag)
            found = meta(tag.message, "fingerprint")
            fingerprint = found.removeprefix("sha256:") if found else fingerprints.get((tag.name, tag.commit))
            events.append(AuditEvent(tag.date, tag.name, kind, what, sig.who(), sig.verified, required,
                                     tag.tagger, fingerprint, tag.tag, problem))
    finally:
        judge.close()
    return AuditResult(events, list(tags.warnings))
