"""What a model reference names: `NAME` (HEAD), `NAME@vX.Y.Z` (a release) or `NAME#STAGE` (the version a stage
holds now) — the manifest there, its release, fingerprint, stages and approvals."""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.model import manifest as mf
from gitmodel.model import semver
from gitmodel.model.config import load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.model.records import Record, field
from gitmodel.repo import git
from gitmodel.repo.tags import Approval, Release, TagIndex, parse_ref, read_tags

TYPE_CHECKING = False  # typing costs the read commands ~6 ms to import; the name alone is enough for mypy
if TYPE_CHECKING:
    from typing import Any


def current_stages(tags: TagIndex, name: str) -> dict[str, str]:
    """stage → version held, replaying stage events by counter (rollbacks included), never by time."""
    from gitmodel.repo.history import current_holders

    return {stage: holder.version for stage, holder in current_holders(tags, name).items()}


class ShowResult(Record):
    name: str
    ref: str
    manifest: Manifest
    manifest_path: str
    commit: str | None
    release: Release | None
    fingerprint: str
    fingerprint_ok: bool | None
    releases: list[str] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)
    approvals: list[Approval] = field(default_factory=list)  # of the release shown

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ref": self.ref, "manifest_path": self.manifest_path, "commit": self.commit,
                "approvals": [{"role": a.role, "by": a.tagger, "date": a.date, "tag": a.tag} for a in self.approvals],
                "release": self.release.tag if self.release else None,
                "fingerprint": self.fingerprint, "tag_fingerprint": self.release.fingerprint if self.release else None,
                "fingerprint_ok": self.fingerprint_ok, "releases": self.releases, "stages": self.stages,
                "manifest": self.manifest.to_dict()}


def show_model(root: Path, ref: str) -> ShowResult:
    """A manifest at HEAD, at a release (`NAME@vX.Y.Z`) or in a stage (`NAME#STAGE`)."""
    name, version, stage = parse_ref(ref)
    validate_name(name)
    if stage == "":
        raise InvalidInput("no stage after '#'", where=ref, hint=f"write {name}#STAGE, e.g. {name}#prod")
    cfg = load_config(root)
    tags = read_tags(root, {name})
    stages = current_stages(tags, name)
    release = None
    if stage is not None:
        if stage not in stages:
            raise Refused(f"no version of {name} is in stage {stage!r}", where=ref,
                          hint=f"see `gitmodel stages {name}`")
        version = stages[stage]
    if version is not None:
        wanted = semver.parse(version, where=ref)
        release = tags.release(name, wanted)
        if release is None:
            raise InvalidInput(f"no release {name}@v{wanted}", where=ref, hint=f"see `gitmodel versions {name}`")
        commit: str | None = release.commit
        path = release.meta("manifest") or cfg.manifest_path(name)
    else:
        commit = git.head_commit(root)
        path = cfg.manifest_path(name)
    blob = git.show_file(root, commit, path) if commit else None
    if blob is None and version is None and (root / path).exists():
        blob, commit = (root / path).read_bytes(), None  # not committed yet: show the working copy
    if blob is None:
        raise InvalidInput("no such model at " + (release.tag if release else "HEAD"), where=path)
    manifest = mf.parse(blob, where=path, full=False)
    fingerprint = manifest.fingerprint()
    fp_ok = None
    if release is not None and release.fingerprint:
        fp_ok = release.fingerprint == fingerprint
    approvals = [a for a in tags.approvals_of(name, release.version) if a.commit == release.commit] if release else []
    return ShowResult(name, ref, manifest, path, commit, release, fingerprint, fp_ok,
                      [str(r.version) for r in tags.active_releases(name)], stages, approvals)
