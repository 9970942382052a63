"""What `promote` asks of a release's approvals: the roles, the count, distinct people, and — where
signatures are required — signatures by keys in the signers file of people who hold the role.

The rules and which revision's roles apply live in gitmodel/repo/governance.py (resolve() and
`check --base` judge with them too); this module turns a judgement into promote's refusal.
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import Refused
from gitmodel.model.config import Config
from gitmodel.model.records import replace
from gitmodel.repo.governance import Governance, governance, judge, stricter
from gitmodel.repo.signing import Verifier
from gitmodel.repo.tags import Release, TagIndex


def approval_governance(root: Path, cfg: Config, commit: str) -> Governance:
    """The governance `promote` applies: committed HEAD's and the release commit's (the stricter), plus the
    work tree's approval rules and required signatures — never its roles or signers, which an uncommitted
    edit could widen."""
    gov = governance(root, "HEAD", commit)
    local = replace(cfg, signers=None, roles={})
    merged, signers = stricter((gov.cfg, gov.signers), (local, None))
    return Governance(merged, signers, gov.label)


def required_approvals(root: Path, gov: Governance, tags: TagIndex, release: Release, stage: str) -> list[str]:
    """The roles that approved, once every rule of `approvals.STAGE` holds; Refused (one line) otherwise."""
    with Verifier(root, gov.signers) as verifier:
        verdict = judge(gov, verifier, tags, release, stage)
    have = sorted({role for role, _, _ in verdict.votes})
    if verdict.ok:
        return have
    rule = verdict.rule
    assert rule is not None
    hint = " ; ".join(f"gitmodel approve {release.tag} --role {r}" for r in (verdict.missing or rule.roles))
    if gov.cfg.signatures_required(stage):
        hint += f" (signed by a member of the role whose key is in {gov.cfg.signers})"
    plain = not gov.cfg.governed and not rule.distinct and rule.count <= len(rule.roles) and not verdict.problems
    if plain:  # role names only: the message people know
        raise Refused(f"promote {release.tag} to {stage} needs approval by: {', '.join(verdict.missing)}"
                      f" (approved by: {', '.join(have) or 'nobody yet'})", where=".gitmodel.yaml: approvals",
                      hint=hint)
    raise Refused(f"promote {release.tag} to {stage} refused: {verdict.line()}",
                  where=f".gitmodel.yaml: approvals.{stage}", hint=hint)
