"""What the pre-push hook judges: pushed branches pass the check; pushed releases have their DVC objects
in the remote; release tags already on the remote are neither deleted nor moved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gitmodel.gate.check import Finding, run_check
from gitmodel.infra.errors import ExternalFailure, GitmodelError, InvalidInput
from gitmodel.model import manifest as mf
from gitmodel.model.config import Config, load_config
from gitmodel.model.names import name_problem
from gitmodel.model.records import replace
from gitmodel.model.semver import parse as parse_version
from gitmodel.repo import git
from gitmodel.repo.tags import Release, TagIndex, parse_tag_name, read_tags
from gitmodel.storage.backends import backend_for, by_backend

ZERO_OIDS = ("0" * 40, "0" * 64)
ALLOW_TAG_MOVES_ENV = "GITMODEL_ALLOW_TAG_DELETE"


@dataclass(frozen=True)
class PushedRef:
    """One line of git's pre-push stdin."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deleting(self) -> bool:
        return self.local_sha in ZERO_OIDS

    @property
    def on_remote(self) -> bool:
        return self.remote_sha not in ZERO_OIDS

    @property
    def release_tag(self) -> str | None:
        """The release tag name when the remote ref is `refs/tags/NAME@vX.Y.Z`."""
        if not self.remote_ref.startswith("refs/tags/"):
            return None
        tag = self.remote_ref[len("refs/tags/") :]
        parsed = parse_tag_name(tag)
        return tag if parsed and parsed[0] == "release" and not parsed[1].get("dereg") else None


def parse_push_lines(data: bytes) -> list[PushedRef]:
    """git's pre-push stdin: `<local ref> SP <local sha> SP <remote ref> SP <remote sha> LF` per ref."""
    refs = []
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        parts = line.split(" ")
        if len(parts) == 4:
            refs.append(PushedRef(*parts))
    return refs


def refs_from_pre_commit_framework(env: Mapping[str, str]) -> list[PushedRef]:
    """The pre-commit framework keeps git's stdin and passes one pushed ref in PRE_COMMIT_* variables.

    On a first push (the root commit goes too) it sets no PRE_COMMIT_TO_REF: the local branch is the ref.
    """
    to_ref = env.get("PRE_COMMIT_TO_REF") or env.get("PRE_COMMIT_LOCAL_BRANCH")
    if not to_ref:
        return []
    local = env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    remote = env.get("PRE_COMMIT_REMOTE_BRANCH") or local
    from_ref = env.get("PRE_COMMIT_FROM_REF") or ""
    return [PushedRef(local, to_ref, remote, from_ref if len(from_ref) in (40, 64) else ZERO_OIDS[0])]


def remote_of_pre_commit_framework(env: Mapping[str, str]) -> str | None:
    """The remote the framework's push goes to (its name, as git's own `$1`; else its URL)."""
    return env.get("PRE_COMMIT_REMOTE_NAME") or env.get("PRE_COMMIT_REMOTE_URL") or None


def remote_release_tags(root: Path, remote: str) -> dict[str, tuple[str, str | None]]:
    """Release and deregistration tags on `remote` (`git ls-remote --tags`): tag → (object id, commit).

    The commit is None for a lightweight tag (no peeled `^{}` line), which is no release.
    """
    if remote.startswith("-"):
        raise InvalidInput(f"remote {remote!r} looks like an option", where="pre-push")
    result = git.run(root, "ls-remote", "--tags", remote, check=False, env=git.no_git_env())
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ExternalFailure(f"cannot list the release tags of {remote}: {lines[-1] if lines else 'failed'}",
                              where="git ls-remote",
                              hint="check the remote is reachable; `git push --no-verify` skips the check once")
    objects: dict[str, str] = {}
    peeled: dict[str, str] = {}
    for line in result.stdout.decode("utf-8", "surrogateescape").splitlines():
        oid, _, ref = line.partition("\t")
        if not ref.startswith("refs/tags/"):
            continue
        tag = ref[len("refs/tags/") :]
        if tag.endswith("^{}"):
            peeled[tag[:-3]] = oid
            continue
        parsed = parse_tag_name(tag)
        if parsed is not None and parsed[0] == "release":
            objects[tag] = oid
    return {tag: (oid, peeled.get(tag)) for tag, oid in objects.items()}


def _missing_commits(root: Path, commits: set[str]) -> set[str]:
    if not commits:
        return set()
    listing = "".join(f"{c}\n" for c in sorted(commits)).encode()
    out = git.run(root, "cat-file", "--batch-check", input=listing, check=False).text.splitlines()
    return {line.split(" ", 1)[0] for line in out if line.endswith(" missing")}


def merge_remote_releases(root: Path, tags: TagIndex, remote: dict[str, tuple[str, str | None]]
                          ) -> tuple[list[str], dict[str, str]]:
    """Judge against the remote's releases as well as the local ones: a release tag deleted (or moved) here
    must not disable the bump rule. Returns (the remote's release tags this clone lacks or has elsewhere,
    model → such a tag whose commit is not in this clone)."""
    added: list[Release] = []
    for tag, (_, commit) in remote.items():
        parsed = parse_tag_name(tag)
        assert parsed is not None
        parts = parsed[1]
        name = parts["name"]
        if name_problem(name) is not None:
            continue
        try:
            version = parse_version(parts["version"], where=tag)
        except InvalidInput:
            continue
        if parts.get("dereg"):
            tags.deregistered.setdefault(name, set()).add(str(version))
            continue
        if commit is None:
            continue  # lightweight: not a release, here or there
        local = tags.release(name, version)
        if local is not None and local.commit == commit:
            continue
        # the remote's tag is the published one: it wins over a local tag of the same name
        releases = [r for r in tags.releases.get(name, []) if r.tag != tag]
        release = Release(name, version, tag, commit, "", "", local.message if local is not None else "")
        tags.releases[name] = sorted([*releases, release], key=lambda r: r.version)
        added.append(release)
    missing = _missing_commits(root, {r.commit for r in added})
    return [r.tag for r in added], {r.name: r.tag for r in added if r.commit in missing}


@dataclass
class PushReport:
    problems: list[str] = field(default_factory=list)        # one line each, refusing the push
    findings: list[Finding] = field(default_factory=list)    # check violations at pushed commits
    notes: list[str] = field(default_factory=list)           # what was done (objects pushed)
    checked: list[str] = field(default_factory=list)         # pushed commits and tags judged

    @property
    def ok(self) -> bool:
        return not self.problems and not self.findings

    def lines(self) -> list[str]:
        return [f.line() for f in self.findings] + [f"error: {p}" for p in self.problems]

    def summary(self) -> str:
        checked = f" ({', '.join(self.checked)} checked)" if self.checked else ""
        return f"gitmodel: {len(self.findings) + len(self.problems)} problem(s) in this push{checked}"


def judge_push(root: Path, refs: list[PushedRef], *, allow_tag_moves: bool = False,
               cfg: Config | None = None, remote: str | None = None, every_missing_tag: bool = False
               ) -> PushReport:
    """Judge a push: immutability of remote release tags, the check at each pushed commit, DVC objects.

    With `remote`, its release tags (`git ls-remote`) count as releases too; with `every_missing_tag`
    (the pre-commit framework passes one ref, never the whole push) every local release tag the remote
    lacks is judged as if it were pushed.
    """
    cfg = cfg or load_config(root)
    report = PushReport()
    commits: list[str] = []
    bases: dict[str, str] = {}
    releases: list[str] = []
    for ref in refs:
        tag = ref.release_tag
        if tag is not None:
            if ref.on_remote and ref.deleting and not allow_tag_moves:
                report.problems.append(
                    f"{tag}: deleting a release tag on the remote is refused (releases are immutable) — "
                    f"deregister it instead (`git tag -a '{tag}!' -m reason` and push that), or set "
                    f"{ALLOW_TAG_MOVES_ENV}=1 for this push")
            elif ref.on_remote and not ref.deleting and ref.remote_sha != ref.local_sha and not allow_tag_moves:
                report.problems.append(
                    f"{tag}: moving a release tag on the remote is refused (it is {ref.remote_sha[:8]} there, "
                    f"{ref.local_sha[:8]} here) — release a new version (`gitmodel bump`, `gitmodel tag`), or "
                    f"set {ALLOW_TAG_MOVES_ENV}=1 for this push")
            elif not ref.deleting:
                releases.append(tag)
        elif not ref.deleting and not ref.remote_ref.startswith("refs/tags/") and ref.local_sha not in commits:
            commits.append(ref.local_sha)
            if ref.remote_sha not in ZERO_OIDS:
                bases[ref.local_sha] = ref.remote_sha  # the branch's policy on the remote is a floor
    tags = read_tags(root)
    unfetched: dict[str, str] = {}
    if remote is not None:
        on_remote = remote_release_tags(root, remote)
        if every_missing_tag:
            releases += [r.tag for name in sorted(tags.releases) for r in tags.active_releases(name)
                         if r.tag not in on_remote and r.tag not in releases]
        differ, unfetched = merge_remote_releases(root, tags, on_remote)
        report.notes += [f"{tag} is a release on {remote} that this clone lacks or has elsewhere (deleted or "
                         f"moved here?): judged against the remote's; `git fetch {remote} --tags --force` "
                         f"brings it back" for tag in differ]
    for sha in commits:
        report.checked.append(sha[:12])
        # judged with the commit's own config (cfg=None): the policy and manifests directory it carries,
        # the policy no softer than the remote branch's (a push cannot soften the rule it is judged by)
        result = run_check(root, mode="rev", rev=sha, full_paths=set(), tags=tags, policy_base=bases.get(sha))
        report.findings += result.findings
        for model in result.models:
            if model.name in unfetched:
                report.problems.append(
                    f"{unfetched[model.name]}: this release is on {remote} but its commit is not in this clone, "
                    f"so {model.name}'s version cannot be judged against it — run `git fetch {remote} --tags`, "
                    f"then `gitmodel check`")
    for tag in releases:
        report.checked.append(tag)
        report.findings += release_commit_findings(root, tags, tag)
        _release_objects(root, cfg, tags, tag, push=cfg.pre_push == "push", report=report, remote=remote)
    return report


def release_commit_findings(root: Path, tags: TagIndex, tag: str) -> list[Finding]:
    """The check at a pushed release's commit, judged against the releases before it: a tag made by hand on
    a commit whose manifest is stale or unbumped (committed with --no-verify) would publish that commit."""
    parsed = parse_tag_name(tag)
    assert parsed is not None
    name = parsed[1]["name"]
    try:
        release = tags.release(name, parse_version(parsed[1]["version"], where=tag))
    except InvalidInput:
        return []
    if release is None:
        return []  # lightweight, or not a model gitmodel manages
    before = replace(tags, releases={**tags.releases, name: [r for r in tags.releases[name] if r.tag != tag]})
    result = run_check(root, mode="rev", rev=release.commit, names={name}, full_paths=set(), tags=before)
    findings = list(result.findings)
    for state in result.models:
        if state.manifest.version != str(release.version):
            findings.append(Finding(name, "immutable", state.manifest_path,
                                    f"release tag {tag} is on a commit whose manifest says version "
                                    f"{state.manifest.version}",
                                    fix=f"git tag -d {tag}; then release that commit's version with "
                                        f"`gitmodel tag {name}`"))
    return findings


def release_entries(root: Path, cfg: Config, tags: TagIndex, tag: str) -> list[mf.FileEntry] | None:
    """The files of a release whose bytes live beside git (DVC, LFS), from its manifest at the tagged commit
    (None: not a release)."""
    parsed = parse_tag_name(tag)
    assert parsed is not None
    name = parsed[1]["name"]
    release = tags.release(name, parse_version(parsed[1]["version"], where=tag))
    if release is None:
        return None  # lightweight, or a name gitmodel does not manage: not ours to judge
    path = release.meta("manifest") or cfg.manifest_path(name)
    blob = git.show_file(root, release.commit, path)
    if blob is None:
        raise InvalidInput(f"release {tag} has no manifest at {path}", where=f"{tag}: {path}",
                           hint="a release tag must point at a commit with its manifest")
    manifest = mf.parse(blob, where=f"{tag}:{path}", full=False)
    return [entry for _, entry in manifest.files() if backend_for(entry).outside_git]


def _release_objects(root: Path, cfg: Config, tags: TagIndex, tag: str, *, push: bool, report: PushReport,
                     remote: str | None = None) -> None:
    try:
        entries = release_entries(root, cfg, tags, tag)
    except GitmodelError as exc:
        report.problems.append(str(exc))
        return
    for backend, group in by_backend(entries or []):
        notes, problems = backend.publish(root, group, tag=tag, push=push, remote=cfg.remote, git_remote=remote)
        report.notes += notes
        report.problems += problems
