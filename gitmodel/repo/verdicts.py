"""Verdicts on event tags — releases, approvals, stage events, deregistrations — under the governance in
force (gitmodel/repo/governance.py): signed by a known key where required, bound to their release, a stage
assignment's approvals holding. `audit`, `check --base` and `resolve(verify=True)` ask here.
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.model.config import Config
from gitmodel.repo import git
from gitmodel.repo.governance import Governance, binding_problem, governance, judge, member_key
from gitmodel.repo.signing import Signature, Verifier
from gitmodel.repo.tags import Approval, Release, StageEvent, TagIndex


def required_for(gov: Governance, tag: Release | Approval | StageEvent) -> bool:
    """Does `gov` require this event to be signed: a stage event where its stage does, a release or an
    approval where any stage does, a deregistration or deprecation only under `require_signatures: true`."""
    if isinstance(tag, StageEvent):
        retired = tag.stage == "deprecated" or tag.stage.endswith("!")
        return gov.cfg.require_signatures is True if retired else gov.cfg.signatures_required(tag.stage)
    return gov.cfg.signatures_required(None)


def _unlisted(gov: Governance, sig: Signature) -> bool:
    """A GPG signature verifies against any key in the keyring: only a key some role lists is known."""
    members = {member_key(m) for listed in gov.cfg.roles.values() for m in listed}
    return bool(sig.keys and gov.cfg.roles and not sig.identities() & members)


def event_verdict(gov: Governance, verifier: Verifier, tags: TagIndex, tag: Release | Approval | StageEvent
                  ) -> tuple[Signature, bool, str | None]:
    """(signature, required, why it falls short) for one event tag. Signed tags are always verified (to
    say who made them); an unsigned tag costs nothing. Where signatures are required the tag must be
    verified and bound to its release, and a stage assignment's approvals must hold."""
    sig = verifier.verify(tag.tag_object, tag.signed)
    required = required_for(gov, tag)
    if not required:
        return sig, False, None
    if not sig.verified:
        return sig, True, f"{tag.tag} is {sig.who()}: signatures are required (require_signatures)"
    if _unlisted(gov, sig):
        return sig, True, f"{tag.tag} is signed by {sig.who()}, whom no role lists (roles:)"
    if tag.tag_name and tag.tag_name != tag.tag:
        return sig, True, f"the ref {tag.tag} holds the tag object named {tag.tag_name} (retargeted)"
    if isinstance(tag, Release):
        return sig, True, None
    release = (tags.release(tag.name, tag.version) if isinstance(tag, Approval)
               else next((r for r in tags.releases.get(tag.name, []) if r.commit == tag.commit), None))
    if release is None or (isinstance(tag, StageEvent) and not tag.assign):
        return sig, True, None
    bound = binding_problem(tag, release, required=True)
    if bound:
        return sig, True, f"{tag.tag} (signed by {sig.who()}): {bound}"
    if isinstance(tag, StageEvent):
        verdict = judge(gov, verifier, tags, release, tag.stage)
        if not verdict.ok:
            return sig, True, f"{tag.tag} (signed by {sig.who()}): {verdict.line()}"
    return sig, True, None


# ------------------------------------------------------------------------------------------ verified reads


def unverified_stage(root: Path, tags: TagIndex, release: Release, event: StageEvent, stage: str) -> str | None:
    """Why the event that gave `stage` to `release` is not proven (None when it is): signed by a key in the
    signers file, bound to this release's tag object, and the stage's approvals hold."""
    gov = governance(root, "HEAD", release.commit)
    with Verifier(root, gov.signers) as verifier:
        sig = verifier.verify(event.tag_object, event.signed)
        if not sig.verified:
            return f"{event.tag} is {sig.who()}: a verified read needs a stage event signed by a key in " \
                   f"{gov.cfg.signers or 'the signers file (signers: in .gitmodel.yaml)'}"
        if _unlisted(gov, sig):
            return f"{event.tag} is signed by {sig.who()}, whom no role lists (roles:)"
        bound = binding_problem(event, release, required=True)
        if bound:
            return f"{event.tag} (signed by {sig.who()}): {bound}"
        verdict = judge(gov, verifier, tags, release, stage)
        if not verdict.ok:
            return f"{event.tag} (signed by {sig.who()}): {verdict.line()}"
    return None


def unverified_release(root: Path, release: Release) -> str | None:
    """Why a release tag is not proven (None when it is signed by a key in the signers file)."""
    gov = governance(root, "HEAD", release.commit)
    with Verifier(root, gov.signers) as verifier:
        sig = verifier.verify(release.tag_object, release.signed)
    if not sig.verified or _unlisted(gov, sig):
        return f"{release.tag} is {sig.who()}: a verified read needs a release signed by a key in " \
               f"{gov.cfg.signers or 'the signers file (signers: in .gitmodel.yaml)'} or listed in roles:"
    if release.tag_name and release.tag_name != release.tag:
        return f"the ref {release.tag} holds the tag object named {release.tag_name} (retargeted)"
    return None


def all_events(tags: TagIndex) -> list[Release | Approval | StageEvent]:
    """Every release, approval, stage event, deregistration and deprecation tag in the index."""
    found: list[Release | Approval | StageEvent] = []
    for group in (tags.releases, tags.approvals, tags.stage_events, tags.retirements):
        for events in group.values():
            found.extend(events)
    return found


class Judge:
    """Event verdicts under the governance seen from one trusted revision: one governance per judged
    commit, one verifier per signers text (each tag object verified once)."""

    def __init__(self, root: Path, trusted: str | None) -> None:
        self.root = root
        self.trusted = git.resolve_commit(root, trusted) if trusted else None
        self._gov: dict[str, Governance] = {}
        self._read: dict[str, tuple[Config, bytes | None]] = {}
        self._verifiers: dict[bytes | None, Verifier] = {}

    def verdict(self, tags: TagIndex, tag: Release | Approval | StageEvent) -> tuple[Signature, bool, str | None]:
        gov = self._gov.get(tag.commit)
        if gov is None:
            gov = self._gov[tag.commit] = governance(self.root, self.trusted, tag.commit, read=self._read)
        verifier = self._verifiers.get(gov.signers)
        if verifier is None:
            verifier = self._verifiers[gov.signers] = Verifier(self.root, gov.signers)
        return event_verdict(gov, verifier, tags, tag)

    def prefetch(self, tags: list[Release | Approval | StageEvent]) -> None:
        """Verify every signed tag among `tags` up front, in parallel (see Verifier.prefetch)."""
        groups: dict[bytes | None, list[str]] = {}
        for tag in tags:
            if tag.signed:
                gov = self._gov.get(tag.commit)
                if gov is None:
                    gov = self._gov[tag.commit] = governance(self.root, self.trusted, tag.commit, read=self._read)
                groups.setdefault(gov.signers, []).append(tag.tag_object)
        for signers, objects in groups.items():
            if signers not in self._verifiers:
                self._verifiers[signers] = Verifier(self.root, signers)
            self._verifiers[signers].prefetch(objects)

    def close(self) -> None:
        for verifier in self._verifiers.values():
            verifier.close()


def new_tag_problems(root: Path, tags: TagIndex, base: str, head: str) -> list[tuple[str, str, str]]:
    """CI: (model, tag, why) for each event tag on a commit `base` lacks (`base..head`), judged with `base`'s
    governance (the stricter of it and the tag's commit): a change cannot approve itself."""
    commits = set(git.out(root, "rev-list", f"{base}..{head}").split())
    judge_ = Judge(root, base)
    found = []
    try:
        judge_.prefetch([t for t in all_events(tags) if t.commit in commits])
        for tag in all_events(tags):
            if tag.commit in commits:
                _, _, problem = judge_.verdict(tags, tag)
                if problem:
                    found.append((tag.name, tag.tag, problem))
    finally:
        judge_.close()
    return found
