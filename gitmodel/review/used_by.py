"""Reverse lineage: `gitmodel used-by tickets@v3.0.0` (or `--path data/tickets.csv`, `--sha256 HASH`) lists
every release, of every unit and from all history, that pinned it — directly, or through references at any
depth — with the stages each holds now: for data-withdrawal requests and incident response.

Every release's manifest is read in ONE `git cat-file --batch` (repo/unit_refs.read_releases), then the
references are turned around once and walked from the target: no process per tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput
from gitmodel.model import components
from gitmodel.model.config import load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.units import parse_release_ref, uses_of
from gitmodel.repo.refs import current_stages
from gitmodel.repo.tags import TagIndex, read_tags, release_tag
from gitmodel.repo.unit_refs import read_releases


@dataclass
class User:
    """One release that pinned the target: how (`via`: the chain of references from it down to the target,
    empty when it pins the target itself), and the stages it holds now."""

    tag: str
    name: str
    version: str
    kind: str
    via: list[str]
    stages: list[str]
    deregistered: bool

    @property
    def depth(self) -> int:
        return len(self.via)

    def to_json(self) -> dict[str, Any]:
        return {"release": self.tag, "name": self.name, "version": self.version, "kind": self.kind,
                "depth": self.depth, "via": self.via, "stages": self.stages, "deregistered": self.deregistered}


@dataclass
class UsedBy:
    target: str
    users: list[User] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "users": [u.to_json() for u in self.users], "warnings": self.warnings}

    def rows(self) -> list[list[str]]:
        """The table: release, kind, how it pins the target, stages now."""
        return [[u.tag + (" (deregistered)" if u.deregistered else ""), u.kind,
                 "pins it" if not u.via else " → ".join(u.via), ", ".join(u.stages) or "-"] for u in self.users]


def _pins(manifest: Manifest, path: str | None, sha256: str | None) -> bool:
    """Does the manifest pin a file at `path` (or a directory holding it) or with content `sha256`?"""
    for _, _, entry in components.pinned(manifest):
        pinned = entry.get("path") if isinstance(entry, dict) else getattr(entry, "path", None)
        digest = entry.get("sha256") if isinstance(entry, dict) else getattr(entry, "sha256", None)
        if path is not None and isinstance(pinned, str) and (pinned.rstrip("/") == path or path.startswith(pinned.rstrip("/") + "/")):
            return True
        if sha256 is not None and digest == sha256:
            return True
    return False


def used_by(root: Path, ref: str | None = None, *, path: str | None = None, sha256: str | None = None) -> UsedBy:
    """Every release that pinned `ref` (UNIT@vX.Y.Z), a file at `path`, or content `sha256`, with how."""
    if sum(x is not None for x in (ref, path, sha256)) != 1:
        raise InvalidInput("give one of UNIT@vX.Y.Z, --path FILE or --sha256 HASH", where="used-by",
                           hint="e.g. gitmodel used-by tickets@v3.0.0")
    if sha256 is not None and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256)):
        raise InvalidInput(f"{sha256!r} is not 64 lower-case hex digits", where="--sha256")
    cfg = load_config(root)
    tags = read_tags(root)
    releases = [r for name in sorted(tags.releases) for r in tags.releases[name]]
    reads = read_releases(root, cfg, releases)  # every release's manifest: one cat-file --batch
    result = UsedBy(ref or (f"path {path}" if path else f"sha256 {sha256}"))
    result.warnings += [f"{tag}: {read.problem}" for tag, read in reads.items() if read.problem is not None]
    manifests = {tag: read.manifest for tag, read in reads.items() if read.manifest is not None}
    # the references turned around: referenced tag → [(tag that uses it, role)]
    users_of: dict[str, list[tuple[str, str]]] = {}
    for tag, manifest in manifests.items():
        for role, used in uses_of(manifest).items():
            parsed = parse_release_ref(used)
            if parsed is not None:
                users_of.setdefault(release_tag(*parsed), []).append((tag, role))
    via: dict[str, list[str]] = {}  # tag → chain down to the target (shortest first found)
    if ref is not None:
        parsed = parse_release_ref(ref if "@v" in ref else ref.replace("@", "@v", 1))
        if parsed is None:
            raise InvalidInput(f"{ref!r} is not UNIT@vX.Y.Z", where="used-by", hint="e.g. gitmodel used-by tickets@v3.0.0")
        target = release_tag(*parsed)
        if target not in reads and str(parsed[1]) not in tags.deregistered.get(parsed[0], set()):
            known = ", ".join(f"v{r.version}" for r in tags.active_releases(parsed[0])) or "none"
            raise InvalidInput(f"no release {target} (releases of {parsed[0]}: {known})", where="used-by",
                               hint=f"see `gitmodel versions {parsed[0]}`")
        frontier: list[tuple[str, list[str]]] = [(target, [])]
    else:
        frontier = [(tag, []) for tag, m in manifests.items() if _pins(m, path and path.rstrip("/"), sha256)]
        via.update({tag: [] for tag, _ in frontier})
    while frontier:  # breadth first: each release with its shortest chain; a cycle stops at a seen release
        nxt = []
        for tag, chain in frontier:
            for user, role in users_of.get(tag, []):
                if user not in via:
                    via[user] = [f"uses.{role}={tag}", *chain]
                    nxt.append((user, via[user]))
        frontier = nxt
    result.users = _users(tags, manifests, via)
    return result


def _users(tags: TagIndex, manifests: dict[str, Manifest], via: dict[str, list[str]]) -> list[User]:
    stages: dict[str, dict[str, str]] = {}
    out = []
    for tag, chain in via.items():
        manifest = manifests[tag]
        if manifest.name not in stages:
            stages[manifest.name] = current_stages(tags, manifest.name)
        held = sorted(s for s, v in stages[manifest.name].items() if v == manifest.version)
        gone = manifest.version in tags.deregistered.get(manifest.name, set())
        out.append(User(tag, manifest.name, manifest.version, manifest.unit, chain, held, gone))
    return sorted(out, key=lambda u: (u.depth, u.name, manifests[u.tag].semver))
