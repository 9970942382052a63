"""Governance at a revision, and what it makes of approval and stage tags: roles are people, proven by keys.

Which revision's roles apply: the stricter of two — the TRUSTED revision (HEAD where a command runs, the
`--base` in CI) and the JUDGED one (the commit a release tag points at). A person holds a role only if every
revision that defines `roles:` lists them; a key counts only if every revision that names a signers file
holds that exact line; approvals and required signatures are the union of both. So a change that adds its
author to a role, or a key to the signers file, grants nothing until it is merged into the trusted branch,
and dropping `roles:` from the change leaves the trusted roles in force (docs/security.md, "Governance").
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import GitmodelError
from gitmodel.infra.fileio import parse_yaml
from gitmodel.model.config import CONFIG_FILE, ApprovalRule, Config
from gitmodel.model.config import from_dict as config_from_dict
from gitmodel.model.records import Record, replace
from gitmodel.repo import git
from gitmodel.repo.signing import UNSIGNED, Signature, Verifier
from gitmodel.repo.tags import Approval, Release, StageEvent, TagIndex


def meta(message: str, key: str) -> str | None:
    """A `key: value` line of a gitmodel tag message."""
    prefix = f"{key}:"
    for line in message.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def email_of(tagger: str) -> str:
    """`Name <email>` → email, lower case (what an unsigned tag claims; anyone can claim it)."""
    start, end = tagger.rfind("<"), tagger.rfind(">")
    return tagger[start + 1 : end].strip().lower() if 0 <= start < end else tagger.strip().lower()


def member_key(member: str) -> str:
    return member.lower() if "@" in member else member.replace(" ", "").upper()


class Governance(Record):
    cfg: Config
    signers: bytes | None      # the allowed-signers lines in force (None: no signers file)
    label: str                 # which revisions it was read from, for messages

    def members(self, role: str) -> set[str] | None:
        """Normalised members of a role; None when no revision defines roles (a role is then a word)."""
        if not self.cfg.roles:
            return None
        return {member_key(m) for m in self.cfg.roles.get(role, ())}


def _config_blob(root: Path, commit: str) -> tuple[Config, bytes | None]:
    spec = f"{commit}:{CONFIG_FILE}"
    blob = git.cat_files(root, [spec]).get(spec)
    try:
        cfg = config_from_dict(parse_yaml(blob, where=spec), where=spec) if blob is not None else Config()
    except GitmodelError:
        cfg = Config()  # an unreadable config at the judged commit grants nothing; the trusted one still rules
    signers = git.show_file(root, commit, cfg.signers) if cfg.signers else None
    return cfg, signers


def _signer_lines(text: bytes) -> set[bytes]:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith(b"#")}


def stricter(a: tuple[Config, bytes | None], b: tuple[Config, bytes | None]) -> tuple[Config, bytes | None]:
    """The governance two revisions agree on (see the module docstring)."""
    (ca, sa), (cb, sb) = a, b
    defined = [c.roles for c in (ca, cb) if c.roles]
    roles: dict[str, tuple[str, ...]] = {}
    if defined:
        for role in set(defined[0]) | set(defined[-1]):
            keep = [m for m in defined[0].get(role, ()) if all(member_key(m) in {member_key(x) for x in d.get(role, ())}
                                                              for d in defined)]
            roles[role] = tuple(keep)
    approvals = dict(ca.approvals)
    for stage, rule in cb.approvals.items():
        old = approvals.get(stage)
        approvals[stage] = rule if old is None else ApprovalRule(
            tuple(dict.fromkeys([*old.roles, *rule.roles])), old.distinct or rule.distinct, max(old.count, rule.count))
    required: bool | tuple[str, ...]
    if ca.require_signatures is True or cb.require_signatures is True:
        required = True
    else:
        required = tuple(dict.fromkeys([*(ca.require_signatures or ()), *(cb.require_signatures or ())]))
    files = [s for c, s in ((ca, sa), (cb, sb)) if c.signers]
    signers: bytes | None = None
    if files:
        lines = [_signer_lines(s or b"") for s in files]
        kept = [ln for ln in (files[0] or b"").splitlines() if ln.strip() in set.intersection(*lines)]
        signers = b"\n".join(kept) + b"\n"
    cfg = replace(ca, roles=roles, approvals=approvals, require_signatures=required,
                  signers=ca.signers or cb.signers)
    return cfg, signers


def governance(root: Path, trusted: str | None, judged: str | None = None, *,
               read: dict[str, tuple[Config, bytes | None]] | None = None) -> Governance:
    """The governance in force for a tag on `judged` (a commit), seen from the `trusted` revision (`read`:
    configs already read, by commit, for a caller that judges many tags)."""
    is_id = trusted is not None and len(trusted) == 40 and all(c in "0123456789abcdef" for c in trusted)
    commits = [c for c in (trusted if is_id else git.resolve_commit(root, trusted) if trusted else None, judged)
               if c]
    if not commits:
        return Governance(Config(), None, "defaults")
    read = read if read is not None else {}
    for commit in commits:
        if commit not in read:
            read[commit] = _config_blob(root, commit)
    found = [read[c] for c in dict.fromkeys(commits)]
    cfg, signers = found[0] if len(found) == 1 else stricter(found[0], found[1])
    label = " and ".join(f"{c[:12]}" for c in dict.fromkeys(commits))
    return Governance(cfg, signers, label)


# ------------------------------------------------------------------------------------------ binding


def binding_problem(tag: Approval | StageEvent, release: Release, *, required: bool) -> str | None:
    """Why a signed approval or stage event does not belong to this release, if it does not.

    The signature covers the tag object (its name, target and message), never the ref: a ref moved onto
    another tag object shows as a name mismatch, and an approval is bound to the release's tag object and
    version, so a re-tagged release or another version's approval is not this release's."""
    if tag.tag_name and tag.tag_name != tag.tag:
        return f"the ref {tag.tag} holds the tag object named {tag.tag_name} (retargeted)"
    if tag.commit != release.commit:
        return f"it points at {tag.commit[:12]}, not at {release.tag}'s commit {release.commit[:12]}"
    bound = meta(tag.message, "release-object")
    if bound is not None and bound != release.tag_object:
        return f"it approves release object {bound[:12]}, not {release.tag} ({release.tag_object[:12]}): another release"
    version = meta(tag.message, "version")
    if version is not None and version.removeprefix("v") != str(release.version):
        return f"it is for version {version}, not v{release.version}"
    if required and bound is None:
        return f"its message does not bind it to {release.tag} (no release-object line: not made by gitmodel approve)"
    return None


# ------------------------------------------------------------------------------------------ judging


class Judgement(Record):
    stage: str
    rule: ApprovalRule | None
    votes: list[tuple[str, str, str]]      # (role, person, tag) of each approval that counts
    problems: list[str]                    # why each other approval does not count
    missing: list[str]                     # roles still needed
    short: int                             # approvals still needed beyond the roles

    @property
    def ok(self) -> bool:
        return not self.missing and self.short <= 0

    def line(self) -> str:
        rule = self.rule or ApprovalRule(())
        what = f"approvals.{self.stage} needs {', '.join(rule.roles) or 'nobody'}"
        what += f" ({rule.needed} approval(s){', distinct from the releaser' if rule.distinct else ''})"
        why = "; ".join(self.problems) if self.problems else "no such approval yet"
        have = ", ".join(f"{role} by {who}" for role, who, _ in self.votes) or "none"
        return f"{what}: {why}; counted: {have}"


def releaser(gov: Governance, verifier: Verifier, release: Release) -> tuple[set[str], Signature]:
    sig = verifier.verify(release.tag_object, release.signed) if gov.cfg.signatures_required(None) else UNSIGNED
    who = sig.identities() if sig.verified else set()
    return who | {email_of(release.tagger)}, sig


def judge(gov: Governance, verifier: Verifier, tags: TagIndex, release: Release, stage: str) -> Judgement:
    """Which approvals of `release` count for `stage` under `gov`, and what is still missing."""
    rule = gov.cfg.approvals.get(stage)
    if rule is None or rule.needed == 0:
        return Judgement(stage, rule, [], [], [], 0)
    signed = gov.cfg.signatures_required(stage)
    released_by, release_sig = releaser(gov, verifier, release) if rule.distinct else (set(), UNSIGNED)
    votes: list[tuple[str, str, str]] = []
    problems: list[str] = []
    if rule.distinct and signed and not release_sig.verified:
        problems.append(f"{release.tag} is {release_sig.who()}: distinct: true needs a release signed by a known key")
    for approval in tags.approvals_of(release.name, release.version):
        if approval.role not in rule.roles:
            continue
        label = f"approval {approval.tag}"
        bound = binding_problem(approval, release, required=signed)
        if bound:
            problems.append(f"{label}: {bound}")
            continue
        sig = verifier.verify(approval.tag_object, approval.signed) if signed else UNSIGNED
        if signed and not sig.verified:
            problems.append(f"{label} is {sig.who()} (tagger {approval.tagger}): require_signatures needs a "
                            f"signature by a key in {gov.cfg.signers}")
            continue
        ids = sig.identities() if sig.verified else {email_of(approval.tagger)}
        person = sig.who() if sig.verified else email_of(approval.tagger)
        members = gov.members(approval.role)
        if members is not None and not ids & members:
            problems.append(f"{label} is signed by {person}, who is not in roles.{approval.role}" if sig.verified
                            else f"{label} is by {person}, who is not in roles.{approval.role}")
            continue
        if rule.distinct and ids & released_by:
            problems.append(f"{label} is by {person}, who released {release.tag}: approvals.{stage}.distinct is true")
            continue
        if any(p == person and r == approval.role for r, p, _ in votes):
            continue  # the same person twice in one role counts once
        votes.append((approval.role, person, approval.tag))
    if rule.distinct and signed and not release_sig.verified:
        votes = []
    missing = [r for r in rule.roles if not any(role == r for role, _, _ in votes)]
    people = len({p for _, p, _ in votes})
    if rule.count and people < rule.count and not problems:
        problems.append(f"{people} of {rule.count} different people approved (approvals.{stage}.count)")
    return Judgement(stage, rule, votes, problems, missing, rule.count - people if rule.count else 0)


# ------------------------------------------------------------------------------------------ changes


def _describe(cfg: Config) -> dict[str, str]:
    out = {f"roles.{role}": ", ".join(members) for role, members in cfg.roles.items()}
    out |= {f"approvals.{stage}": f"{list(rule.roles)} distinct={rule.distinct} count={rule.count}"
            for stage, rule in cfg.approvals.items()}
    out["require_signatures"] = str(cfg.require_signatures)
    out["signers"] = str(cfg.signers)
    return out


def changes(root: Path, base: str, head: str) -> list[str]:
    """Every change of roles, approvals, required signatures and the signers file between two commits."""
    (was, was_keys), (now, now_keys) = _config_blob(root, base), _config_blob(root, head)
    before, after = _describe(was), _describe(now)
    found = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            found.append(f"governance change: {CONFIG_FILE}: {key}: {before.get(key, '-')} → {after.get(key, '-')}")
    if was_keys != now_keys:
        old, new = _signer_lines(was_keys or b""), _signer_lines(now_keys or b"")
        found.append(f"governance change: signers file {now.signers or was.signers}: "
                     f"{len(new - old)} key line(s) added, {len(old - new)} removed")
    return found
