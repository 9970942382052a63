"""Releases on annotated git tags (GTO's `NAME@vX.Y.Z`): tag, gates, approvals. Reading them: gitmodel/repo/history.py.

Stages (`NAME#STAGE#N`) live in gitmodel/registry/stages.py. Every read starts from ONE `git for-each-ref`
(gitmodel.repo.tags.read_tags); every write is one `git tag` without `-f`, so a tag is never moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import GitmodelError, InvalidInput, Refused
from gitmodel.infra.fileio import parse_yaml
from gitmodel.model import manifest as mf
from gitmodel.model import semver
from gitmodel.model.config import ROLE_RE, Config, Gate, load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.repo import git
from gitmodel.repo.governance import email_of, governance
from gitmodel.repo.history import valid_approvals
from gitmodel.repo.signing import Verifier
from gitmodel.repo.tags import Release, TagIndex, parse_ref, read_tags, release_tag

# ----------------------------------------------------------------------------------------------- gates


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    value: Any
    passed: bool

    def line(self) -> str:
        got = "missing" if self.value is None else f"{self.value!r}" if not _is_number(self.value) \
            else f"{self.value:g}"
        return f"{self.gate} ({got}) {'pass' if self.passed else 'FAIL'}"

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.gate.metric, "op": self.gate.op, "threshold": self.gate.threshold,
                "value": self.value, "passed": self.passed}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b, "==": lambda a, b: a == b}


def evaluate_gates(cfg: Config, manifest: Manifest) -> list[GateResult]:
    """Every gate of the model against its manifest's metrics; missing or non-numeric metrics fail."""
    results = []
    for gate in cfg.gates_for(manifest.name):
        value = (manifest.metrics or {}).get(gate.metric)
        passed = isinstance(value, int | float) and not isinstance(value, bool) \
            and bool(_OPS[gate.op](float(value), gate.threshold))
        results.append(GateResult(gate, value, passed))
    return results


def gate_refusal(action: str, where: str, results: list[GateResult]) -> Refused | None:
    failed = [r for r in results if not r.passed]
    if not failed:
        return None
    return Refused(f"{action} refused: {len(failed)} of {len(results)} gate(s) failed: "
                   + "; ".join(r.line() for r in results), where=where,
                   hint="improve the model or record its metrics in the manifest (metrics:), commit, bump; "
                        "gates are set in .gitmodel.yaml (gates:)")


# ------------------------------------------------------------------------------------------------- tag


@dataclass
class TagResult:
    name: str
    version: str
    tag: str
    commit: str
    tag_object: str
    fingerprint: str
    manifest_path: str
    message: str
    gates: list[GateResult] = field(default_factory=list)
    pushed_to: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "tag": self.tag, "commit": self.commit,
                "tag_object": self.tag_object, "fingerprint": f"sha256:{self.fingerprint}",
                "manifest": self.manifest_path, "gates": [g.to_json() for g in self.gates],
                "pushed_to": self.pushed_to, "notes": self.notes}


def release_message(name: str, manifest: Manifest, manifest_path: str, user_message: str | None) -> str:
    """Subject, blank line, `fingerprint:` and `manifest:` lines, then the user's message."""
    lines = [f"gitmodel release {name} v{manifest.version}", "",
             f"fingerprint: sha256:{manifest.fingerprint()}", f"manifest: {manifest_path}"]
    if user_message and user_message.strip():
        lines += ["", user_message.strip()]
    return "\n".join(lines) + "\n"


def _manifest_at(root: Path, cfg: Config, name: str, commit: str, rev: str) -> tuple[str, Manifest]:
    path = cfg.manifest_path(name)
    blob = git.show_file(root, commit, path)
    if blob is None:
        if (root / path).exists():
            raise Refused(f"the manifest is not committed at {rev}", where=path,
                          hint=f"git add {path} && git commit")
        raise InvalidInput(f"no such model at {rev}", where=path,
                           hint=f"create it with `gitmodel add {name} --weights PATH`")
    return path, mf.parse(blob, where=f"{rev}:{path}")


def _refuse_existing(tags: TagIndex, name: str, version: semver.Version, tag: str, commit: str, where: str
                     ) -> None:
    hint = f"gitmodel bump {name} --patch, commit, then tag again"
    if str(version) in tags.deregistered.get(name, set()):
        raise Refused(f"{tag} was released and deregistered; a version is never reused", where=where, hint=hint)
    existing = tags.release(name, version)
    if existing is not None:
        raise Refused(f"{version} is already released ({existing.tag} on {existing.commit[:12]})",
                      where=where, hint=hint)
    highest = tags.highest_used(name)
    if highest is not None and not version > highest:
        gone = " (deregistered; a version is never reused)" if str(highest) in tags.deregistered.get(name, set()) else ""
        raise Refused(f"{version} is not greater than the latest release {highest}{gone}", where=where, hint=hint)
    same_commit = [r for r in tags.releases.get(name, []) if r.commit == commit]
    if same_commit:
        # GTO refuses two versions of one artifact on one commit, and one such tag breaks `gto show`
        raise Refused(f"commit {commit[:12]} is already released as {same_commit[0].tag}", where=where,
                      hint="commit the new version first")


def tag_release(root: Path, name: str, *, message: str | None = None, rev: str | None = None,
                sign: bool = False, push: bool = False) -> TagResult:
    """Release the manifest's version at `rev` (HEAD) as the annotated tag `NAME@vX.Y.Z`."""
    validate_name(name)
    cfg = load_config(root)
    label = rev or "HEAD"
    commit = git.resolve_commit(root, label)
    if commit is None:
        raise InvalidInput(f"unknown revision {label!r}", where="--rev" if rev else "HEAD",
                           hint="make a commit first" if rev is None else "name a commit, branch or tag")
    path, manifest = _manifest_at(root, cfg, name, commit, label)
    if rev is None and git.dirty_paths(root, [path]):
        raise Refused("the manifest has uncommitted changes; the release would not contain them", where=path,
                      hint=f"git commit {path} (or pass --rev HEAD to release the committed manifest)")
    tags = read_tags(root)
    version = manifest.semver
    tag = release_tag(name, manifest.version)
    _refuse_existing(tags, name, version, tag, commit, f"{path}: version")
    if git.ref_exists(root, f"refs/tags/{tag}"):
        raise Refused(f"{manifest.version} is already released ({tag})", where=f"{path}: version",
                      hint=f"gitmodel bump {name}, commit, tag again")
    from gitmodel.gate.check import run_check  # hashing and sources: only the write path needs them

    checked = run_check(root, mode="rev", rev=commit, names={name}, cfg=cfg, tags=tags)
    findings = [f for f in checked.findings if f.model == name]
    if findings:
        raise Refused(f"{len(findings)} violation(s) at {label}: " + "; ".join(f.line() for f in findings),
                      where=path, hint=f"gitmodel check; gitmodel bump {name}; commit; tag again")
    gates = evaluate_gates(cfg, manifest)
    refusal = gate_refusal(f"release {tag}", f"{path}: metrics", gates)
    if refusal:
        raise refusal
    pushed_objects = _publishable(root, cfg, manifest, tag, path) if push else []
    text = release_message(name, manifest, path, message)
    sign = sign or cfg.signatures_required(None)  # a signed stage is judged on who released and approved
    tag_object = _create(root, tag, commit, text, sign=sign, already=f"{manifest.version} is already released ({tag})",
                         where=f"{path}: version")
    result = TagResult(name, manifest.version, tag, commit, tag_object, manifest.fingerprint(), path, text, gates)
    result.notes += pushed_objects + _dvc_yaml_note(root, commit, manifest)
    if push:
        result.pushed_to = git.push_tags(root, [tag])
    return result


def _publishable(root: Path, cfg: Config, manifest: Manifest, tag: str, path: str) -> list[str]:
    """--push publishes the release, so its DVC objects must be in the remote (the pre-push hook's rule,
    which the pre-commit framework does not apply to a tag on a pushed commit). Checked before the tag
    exists: a refusal leaves nothing behind. With `hooks: {pre_push: push}` they are pushed first."""
    from gitmodel.storage.backends import by_backend

    notes: list[str] = []
    # the objects `gitmodel push` moves (DVC's); `git push` of the tag and its hooks carry the others (Git LFS)
    for backend, entries in by_backend(entry for _, entry in manifest.files()):
        if backend.moved_by_gitmodel:
            more, problems = backend.publish(root, entries, tag=tag, push=cfg.pre_push == "push", remote=cfg.remote,
                                             git_remote=None)
            if problems:
                raise Refused(f"--push: {problems[0]}", where=path)
            notes += more
    return notes


def _create(root: Path, tag: str, commit: str, message: str, *, sign: bool, already: str, where: str) -> str:
    """Create the tag; another process creating it first becomes a refusal, never a moved tag."""
    try:
        return git.create_tag(root, tag, commit, message, sign=sign)
    except git.RefExists as exc:
        if exc.locked and not _wait_for_ref(root, f"refs/tags/{tag}"):
            raise Refused(f"refs/tags/{tag} is locked by another git process", where=where,
                          hint="retry in a moment") from None
        raise Refused(already, where=where, hint=f"another process created it first; see `git show {tag}`") \
            from None


def _wait_for_ref(root: Path, ref: str) -> bool:
    """A racing `git tag` holds the ref's lock for milliseconds; give it a moment to land."""
    import time

    for _ in range(40):
        if git.ref_exists(root, ref):
            return True
        time.sleep(0.05)
    return False


def _dvc_yaml_note(root: Path, commit: str, manifest: Manifest) -> list[str]:
    """A reminder when dvc.yaml at the released commit does not describe the model as DVC should see it."""
    if not (root / ".dvc").is_dir():
        return []
    from gitmodel.storage.dvc_yaml import DVC_YAML, entry_problem

    blob = git.show_file(root, commit, DVC_YAML)
    try:
        data = parse_yaml(blob, where=DVC_YAML) if blob is not None else {}
    except GitmodelError:
        return [f"{DVC_YAML} at {commit[:12]} is not valid YAML; DVC will not find this release"]
    problem = entry_problem(data, manifest)
    return [f"{problem}; `dvc artifacts get` will not find the release until `gitmodel bump "
            f"{manifest.name}` is committed"] if problem else []


# ------------------------------------------------------------------------------------------- approvals


@dataclass
class ApprovalResult:
    name: str
    version: str
    role: str
    tag: str
    release: str
    commit: str
    pushed_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "role": self.role, "tag": self.tag,
                "release": self.release, "commit": self.commit, "pushed_to": self.pushed_to}


def resolve_release(root: Path, ref: str, tags: TagIndex | None = None, *, where: str = "NAME@vX.Y.Z"
                    ) -> tuple[TagIndex, Release]:
    """The active release named by `NAME@vX.Y.Z`."""
    name, version, stage = parse_ref(ref)
    validate_name(name, where=where)
    if version is None or stage is not None:
        raise InvalidInput(f"{ref!r} does not name a release", where=where, hint=f"use {name}@vX.Y.Z")
    wanted = semver.parse(version, where=where)
    tags = tags if tags is not None else read_tags(root, {name})
    release = tags.release(name, wanted)
    bogus = tags.not_releases.get(release_tag(name, wanted))
    if release is None and bogus is not None:
        raise Refused(f"{bogus}: it is not a release", where=release_tag(name, wanted),
                      hint=f"delete it (git tag -d {release_tag(name, wanted)}) and release with `gitmodel tag {name}`")
    if release is None or str(wanted) in tags.deregistered.get(name, set()):
        raise InvalidInput(f"no release {name}@v{wanted}", where=where, hint=f"see `gitmodel versions {name}`")
    return tags, release


def release_manifest(root: Path, cfg: Config, release: Release) -> Manifest:
    """The manifest at a release's commit; refused unless it names this model at this version.

    Stage and approval tags go only on real releases: a hand-made `NAME@vX.Y.Z` on a commit whose manifest
    says another version (or has none) is refused, whatever GTO makes of it.
    """
    path = release.meta("manifest") or cfg.manifest_path(release.name)
    blob = git.show_file(root, release.commit, path)
    hint = (f"the tag was not made by `gitmodel tag`: delete it (git tag -d {release.tag}) and release with "
            f"`gitmodel tag {release.name}` on the commit whose manifest has that version")
    if blob is None:
        raise Refused(f"{release.tag} is not a gitmodel release: no manifest {path} at {release.commit[:12]}",
                      where=release.tag, hint=hint)
    try:
        manifest = mf.parse(blob, where=f"{release.tag}:{path}", full=False)
    except GitmodelError as exc:
        raise Refused(f"{release.tag}: its manifest cannot be read ({exc.message})", where=release.tag,
                      hint=hint) from None
    if manifest.name != release.name or manifest.semver != release.version:
        raise Refused(f"{release.tag} points at {release.commit[:12]}, whose manifest is "
                      f"{manifest.name} {manifest.version}, not {release.name} {release.version}",
                      where=release.tag, hint=hint)
    return manifest


def approve(root: Path, ref: str, role: str, note: str | None = None, *, push: bool = False) -> ApprovalResult:
    """Record that the git user approves a release in `role`: annotated tag `NAME@vX.Y.Z#approved-by#ROLE`
    (`#N` after the role for the N-th person approving in it). Signed when the config requires signatures.

    The message binds the approval to the release: its tag object, commit and version. The signature covers
    the message, so the approval cannot be moved to another release or version without breaking it."""
    if not ROLE_RE.match(role) or len(role) > 64:
        raise InvalidInput(f"invalid role {role!r}", where="--role",
                           hint="lower-case letters, digits and . _ - (e.g. ml-lead)")
    cfg = load_config(root)
    tags, release = resolve_release(root, ref)
    release_manifest(root, cfg, release)
    approvals, _ = valid_approvals(tags, release)
    me = email_of(git.committer_ident(root)[0])
    in_role = [a for a in tags.approvals_of(release.name, release.version) if a.role == role]
    mine = [a for a in approvals if a.role == role and email_of(a.tagger) == me]
    if mine and cfg.signatures_required(None):  # one that does not verify (a wrong key) may be redone
        gov = governance(root, "HEAD", release.commit)
        with Verifier(root, gov.signers) as verifier:
            mine = [a for a in mine if verifier.verify(a.tag_object, a.signed).verified]
    for existing in mine:
        raise Refused(f"{release.tag} is already approved as {role} by {existing.tagger} on {existing.date}",
                      where=existing.tag, hint="an approval is permanent; nothing to do")
    lines = [f"gitmodel approval {release.name} v{release.version} as {role}", "",
             f"release: {release.tag}", f"role: {role}", f"version: v{release.version}",
             f"release-object: {release.tag_object}", f"commit: {release.commit}"]
    if release.fingerprint:
        lines.append(f"fingerprint: sha256:{release.fingerprint}")
    if note and note.strip():
        lines += ["", note.strip()]
    sign = cfg.signatures_required(None)
    base = f"{release.tag}#approved-by#{role}"
    for seq in range(len(in_role) + 1, len(in_role) + 65):
        tag = base if seq == 1 else f"{base}#{seq}"
        try:
            git.create_tag(root, tag, release.commit, "\n".join(lines) + "\n", sign=sign)
            break
        except git.RefExists:
            continue  # another person's approval took this number: take the next
    else:
        raise Refused(f"could not record the approval of {release.tag} as {role}", where=base, hint="retry")
    result = ApprovalResult(release.name, str(release.version), role, tag, release.tag, release.commit)
    if push:
        result.pushed_to = git.push_tags(root, [tag])
    return result
