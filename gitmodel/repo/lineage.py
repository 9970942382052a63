"""Lineage: `lineage.parent` names an existing release, and the parent chain walked through releases.

`parent_problem` runs in the pre-commit hook (through `check`), so this module imports only the lean core.
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import GitmodelError, InvalidInput, Refused
from gitmodel.model import manifest as mf
from gitmodel.model import semver
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.model.records import Record, field
from gitmodel.model.units import parse_release_ref
from gitmodel.repo import git
from gitmodel.repo.tags import Release, TagIndex, parse_ref, read_tags

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any

PARENT_FIELD = "lineage.parent"


def parent_problem(tags: TagIndex, parent: object, *, child: str | None = None,
                   child_version: str | None = None) -> str | None:
    """Why `parent` is not a usable `lineage.parent` (None when it names an existing release)."""
    parsed = parse_release_ref(parent)
    if parsed is None:
        return f"{PARENT_FIELD} {parent!r} is not NAME@vX.Y.Z"
    name, version = parsed
    if child is not None and name == child and child_version is not None:
        try:
            if version >= semver.parse(child_version):
                return f"{PARENT_FIELD} {parent} is not older than this version ({child_version})"
        except InvalidInput:
            pass  # the version field is reported by its own rule
    release = tags.release(name, version)
    if release is None or str(version) in tags.deregistered.get(name, set()):
        return f"{PARENT_FIELD} {parent} names no release"
    return None


def require_parent(root: Path, parent: str, *, child: str, child_version: str | None,
                   tags: TagIndex | None = None) -> str:
    """`parent` normalised to `NAME@vX.Y.Z`, or InvalidInput when it names no release (for --parent)."""
    tags = tags if tags is not None else read_tags(root)
    problem = parent_problem(tags, parent, child=child, child_version=child_version)
    if problem is not None:
        parsed = parse_release_ref(parent)
        hint = f"see `gitmodel versions {parsed[0]}`" if parsed else "give a release such as sentiment@v1.2.0"
        raise InvalidInput(problem, where="--parent", hint=hint)
    parsed = parse_release_ref(parent)
    assert parsed is not None
    return f"{parsed[0]}@v{parsed[1]}"


# --------------------------------------------------------------------------------------------- the chain


class LineageStep(Record):
    """One version in a lineage chain, newest first."""

    name: str
    version: str
    tag: str | None            # None for the working-tree manifest of an unreleased version
    date: str | None           # the release tag's date
    commit: str | None
    base_model: str | None
    parent: str | None
    datasets: list[dict[str, Any]] = field(default_factory=list)  # path, sha256, role, storage
    external_datasets: list[str] = field(default_factory=list)    # lineage.datasets: names, URIs

    @property
    def label(self) -> str:
        return self.tag or f"{self.name} {self.version} (working tree)"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "release": self.tag, "date": self.date,
                "commit": self.commit, "base_model": self.base_model, "parent": self.parent,
                "datasets": self.datasets, "external_datasets": self.external_datasets}


class LineageChain(Record):
    ref: str
    steps: list[LineageStep]

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "chain": [s.to_json() for s in self.steps]}


def _manifest_at_release(root: Path, cfg: Config, release: Release) -> Manifest:
    path = release.meta("manifest") or cfg.manifest_path(release.name)
    blob = git.show_file(root, release.commit, path)
    if blob is None:
        raise Refused(f"{path} is missing at {release.tag}", where=release.tag,
                      hint=f"see `gitmodel show {release.tag}`")
    return mf.parse(blob, where=f"{release.tag}:{path}", full=False)


def _step(m: Manifest, release: Release | None) -> LineageStep:
    lineage = m.lineage or {}
    datasets = [{k: v for k, v in (("path", e.path), ("sha256", e.sha256), ("role", e.role),
                                   ("storage", e.storage)) if v is not None} for e in m.data]
    external = [str(d) for d in lineage.get("datasets") or []]
    base = lineage.get("base_model")
    parent = lineage.get("parent")
    return LineageStep(m.name, m.version, release.tag if release else None, release.date if release else None,
                       release.commit if release else None, str(base) if base is not None else None,
                       str(parent) if parent is not None else None, datasets, external)


def lineage_chain(root: Path, ref: str) -> LineageChain:
    """Walk `lineage.parent` from NAME (working tree) or NAME@vX.Y.Z through releases to the first model."""
    name, version, stage = parse_ref(ref)
    validate_name(name)
    if stage is not None:
        raise InvalidInput("give NAME or NAME@vX.Y.Z", where=ref, hint=f"see `gitmodel stages {name}`")
    cfg = load_config(root)
    tags = read_tags(root)
    if version is None:
        path = cfg.manifest_path(name)
        if not (root / path).exists():
            raise InvalidInput("no such model", where=path, hint=f"create it with `gitmodel add {name} ...`")
        current = mf.load(root / path, full=False)
        release = tags.release(name, current.semver)
        # A released, unchanged manifest is that release: show its tag and date.
        if release is not None and _same_as_release(root, cfg, release, current):
            steps = [_step(current, release)]
        else:
            steps = [_step(current, None)]
        seen = {steps[0].tag} if steps[0].tag else set()
    else:
        wanted = semver.parse(version, where=ref)
        release = tags.release(name, wanted)
        if release is None:
            raise InvalidInput(f"no release {name}@v{wanted}", where=ref, hint=f"see `gitmodel versions {name}`")
        steps = [_step(_manifest_at_release(root, cfg, release), release)]
        seen = {release.tag}
    while steps[-1].parent is not None:
        child = steps[-1]
        where = f"{child.label}: {PARENT_FIELD}"
        parsed = parse_release_ref(child.parent)
        if parsed is None:
            raise InvalidInput(f"{child.parent!r} is not NAME@vX.Y.Z", where=where,
                               hint="set it with `gitmodel bump NAME --parent NAME@vX.Y.Z`")
        release = tags.release(*parsed)
        if release is None:
            raise Refused(f"{child.parent} names no release", where=where,
                          hint=f"see `gitmodel versions {parsed[0]}`, then `gitmodel bump "
                               f"{child.name} --parent NAME@vX.Y.Z`")
        if release.tag in seen:
            cycle = " → ".join([s.label for s in steps] + [release.tag])
            raise Refused(f"lineage cycle: {cycle}", where=where,
                          hint="a parent must be an earlier release; fix lineage.parent")
        seen.add(release.tag)
        steps.append(_step(_manifest_at_release(root, cfg, release), release))
    return LineageChain(ref, steps)


def _same_as_release(root: Path, cfg: Config, release: Release, current: Manifest) -> bool:
    try:
        return _manifest_at_release(root, cfg, release).fingerprint() == current.fingerprint()
    except GitmodelError:
        return False
