"""Stages on annotated tags `NAME#STAGE#N` (GTO's format): promote, stages, rollback.

N is GTO's per-model counter (one more than the highest `#N` on any tag of the model). Events are
replayed in counter order, never by tagger time; GTO sorts by time at one-second resolution, so every
event gitmodel writes is stamped after the model's latest event, and both tools agree on the order. A rollback is a new assignment event (history
is never rewritten) whose message carries `rollback-of: <tag>`; replaying it pops one holder, so two
rollbacks in a row walk back two versions, as an undo does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.model.config import Config, load_config
from gitmodel.model.names import validate_name
from gitmodel.registry.approvals import approval_governance, required_approvals
from gitmodel.registry.releases import (
    GateResult,
    evaluate_gates,
    gate_refusal,
    release_manifest,
    resolve_release,
)
from gitmodel.repo import git
from gitmodel.repo.history import (
    Holder,
    current_holders,
    known_model,
    stage_stacks,
)
from gitmodel.repo.tags import TagIndex, counter_ref, read_tags, taken_counters

# GTO's name rule without '/', which would make `NAME#a/b#N` hard to read back by eye
_STAGE_RE = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?")
_ATTEMPTS = 64  # each lost race means another process took a number: progress is certain


def _check_stage_name(stage: str) -> None:
    if not _STAGE_RE.fullmatch(stage) or len(stage) > 64:
        raise InvalidInput(f"invalid stage name {stage!r}", where="STAGE",
                           hint="letters, digits, _ and - (e.g. prod, staging)")


def _check_stage(cfg: Config, stage: str) -> None:
    _check_stage_name(stage)
    if cfg.stages is not None and stage not in cfg.stages:
        raise InvalidInput(f"stage {stage!r} is not in the stages whitelist ({', '.join(cfg.stages)})",
                           where=".gitmodel.yaml: stages", hint="use one of those, or add it to stages:")


def _create_event(root: Path, name: str, tag_for: Callable[[int], str], target: str, message: str,
                  tags: TagIndex, *, retry: Callable[[TagIndex], None], sign: bool = False) -> tuple[str, TagIndex]:
    """Create the event tag with the next counter and a tagger time after every earlier event's.

    The tag and its counter ref (`refs/gitmodel/stage-counters/NAME/N`) are created in one create-only ref
    transaction: of two processes that both chose N, one wins and the other rereads and takes the next
    number. The tagger time is max(now, the model's latest event + 1 s), so GTO, which orders events by tagger time at
    one-second resolution, replays them in counter order too.
    """
    taken, taken_time = taken_counters(root, name)
    counter = max(tags.next_counter(name), taken + 1)
    sign = sign or (git.config_get(root, "tag.gpgSign") or "").lower() in ("true", "yes", "on", "1")
    for _ in range(_ATTEMPTS):
        tag = tag_for(counter)
        who, now, tz = git.committer_ident(root)
        when = max(now, tags.last_event_time(name) + 1, taken_time + 1)
        if sign and _signed_event(root, tag, target, message, counter_ref(name, counter), f"@{when} {tz}"):
            return tag, tags
        if not sign:
            oid = git.make_tag_object(root, tag, target, f"{who} {when} {tz}", message)
            if git.create_refs(root, {f"refs/tags/{tag}": oid, counter_ref(name, counter): oid}):
                return tag, tags
        tags = read_tags(root, {name})
        retry(tags)
        taken, taken_time = taken_counters(root, name)
        counter = max(counter + 1, tags.next_counter(name), taken + 1)
    raise Refused(f"could not take a stage counter for {name} after {_ATTEMPTS} attempts (concurrent promotions)",
                  where=name, hint="retry")


def _signed_event(root: Path, tag: str, target: str, message: str, counter: str, date: str) -> bool:
    """With `tag.gpgSign`, git itself must write (and sign) the tag: take the counter ref first (create-only,
    on the target commit), then `git tag -s` at the chosen time. False when either is already taken."""
    if not git.create_refs(root, {counter: target}):
        return False
    try:
        git.create_tag(root, tag, target, message, sign=True, env={**os.environ, "GIT_COMMITTER_DATE": date})
    except git.RefExists:
        return False  # a tool that takes no counter ref made this tag; the reserved number stays unused
    return True


# ---------------------------------------------------------------------------------------------- promote


@dataclass
class StageResult:
    name: str
    stage: str
    version: str | None
    tag: str | None                     # None: nothing to do
    previous: str | None
    gates: list[GateResult] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)
    pushed_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "stage": self.stage, "version": self.version, "tag": self.tag,
                "previous": self.previous, "created": self.tag is not None,
                "gates": [g.to_json() for g in self.gates], "approvals": self.approvals,
                "pushed_to": self.pushed_to}


def promote(root: Path, ref: str, stage: str, *, push: bool = False) -> StageResult:
    """Give `stage` to the release `NAME@vX.Y.Z`: gates and required approvals first, then `NAME#STAGE#N`."""
    cfg = load_config(root)
    _check_stage(cfg, stage)
    tags, release = resolve_release(root, ref)
    name, version = release.name, str(release.version)
    manifest = release_manifest(root, cfg, release)  # first: a hand-made tag is refused, never "nothing to do"
    holders = current_holders(tags, name)
    previous = holders[stage].version if stage in holders else None
    if previous == version:
        return StageResult(name, stage, version, None, previous)
    gates = evaluate_gates(cfg, manifest)
    refusal = gate_refusal(f"promote {release.tag} to {stage}", f"{release.tag}: metrics", gates)
    if refusal:
        raise refusal
    gov = approval_governance(root, cfg, release.commit)
    have = required_approvals(root, gov, tags, release, stage)
    message = (f"gitmodel promote {name} v{version} to {stage}\n\nversion: v{version}\nrelease: {release.tag}\n"
               f"release-object: {release.tag_object}\n"
               + (f"fingerprint: sha256:{release.fingerprint}\n" if release.fingerprint else ""))

    def still_needed(fresh: TagIndex) -> None:
        now = current_holders(fresh, name)
        if stage in now and now[stage].version == version:
            raise Refused(f"{release.tag} was promoted to {stage} by another process", where=stage)

    tag, _ = _create_event(root, name, lambda n: f"{name}#{stage}#{n}", release.commit, message, tags,
                           retry=still_needed, sign=gov.cfg.signatures_required(stage))
    result = StageResult(name, stage, version, tag, previous, gates, have)
    if push:
        result.pushed_to = git.push_tags(root, [tag])
    return result


# ----------------------------------------------------------------------------------------------- stages


@dataclass
class StagesResult:
    name: str
    holders: dict[str, Holder | None]     # every known stage, whitelist first; None: empty
    warnings: list[str]
    deprecated: str | None = None         # the `NAME@deprecated` tag: no stage is held while it stands

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "warnings": self.warnings, "deprecated": self.deprecated,
                "stages": {stage: (h.to_json() if h else None) for stage, h in self.holders.items()}}


def stages(root: Path, name: str) -> StagesResult:
    """Which version holds each stage (the answer to "which version is in prod?")."""
    validate_name(name)
    cfg = load_config(root)
    tags = read_tags(root, {name})
    known_model(root, cfg, tags, name)
    holders = current_holders(tags, name)
    seen = sorted({e.stage for e in tags.stage_events.get(name, [])})
    order = list(cfg.stages or []) + [s for s in seen if s not in (cfg.stages or [])]
    return StagesResult(name, {stage: holders.get(stage) for stage in order}, list(tags.warnings),
                        tags.deprecation(name))


# --------------------------------------------------------------------------------------------- rollback


def rollback(root: Path, name: str, stage: str, *, push: bool = False) -> StageResult:
    """Give `stage` back to the version that held it before the current one, as a new event."""
    validate_name(name)
    _check_stage_name(stage)  # syntax only: a stage dropped from the whitelist can still be rolled back
    cfg = load_config(root)
    tags = read_tags(root, {name})
    known_model(root, cfg, tags, name)
    stack = stage_stacks(tags, name).get(stage, [])
    if not stack or stack[-1][0] is None:
        raise Refused(f"no version of {name} is in stage {stage!r}", where=f"{name}#{stage}",
                      hint=f"see `gitmodel stages {name}`")
    current, current_event = stack[-1]
    if len(stack) < 2:
        raise Refused(f"nothing to roll back to: v{current} is the first version {name} put in {stage}",
                      where=current_event.tag, hint=f"promote another version: gitmodel promote {name}@vX.Y.Z {stage}")
    previous = stack[-2][0]
    if previous is None:
        target = current_event.commit
        message = (f"gitmodel rollback {name} {stage}: unassign v{current}\n\n"
                   f"rollback-of: {current_event.tag}\n")

        def tag_for(n: int) -> str:
            return f"{name}#{stage}!#{n}"
    else:
        release = next((r for r in tags.active_releases(name) if str(r.version) == previous), None)
        if release is None:
            raise Refused(f"the previous holder of {stage}, v{previous}, is deregistered", where=f"{name}@v{previous}",
                          hint=f"promote another version: gitmodel promote {name}@vX.Y.Z {stage}")
        target = release.commit
        message = (f"gitmodel rollback {name} {stage} to v{previous}\n\nversion: v{previous}\n"
                   f"release: {release.tag}\nrelease-object: {release.tag_object}\n"
                   f"rollback-of: {current_event.tag}\n")

        def tag_for(n: int) -> str:
            return f"{name}#{stage}#{n}"

    def still_current(fresh: TagIndex) -> None:
        now = stage_stacks(fresh, name).get(stage, [])
        if not now or now[-1][1].tag != current_event.tag:
            raise Refused(f"{stage} changed while rolling back (another process)", where=f"{name}#{stage}",
                          hint=f"see `gitmodel stages {name}`")

    sign = approval_governance(root, cfg, target).cfg.signatures_required(stage)
    tag, _ = _create_event(root, name, tag_for, target, message, tags, retry=still_current, sign=sign)
    result = StageResult(name, stage, previous, tag, current)
    if push:
        result.pushed_to = git.push_tags(root, [tag])
    return result
