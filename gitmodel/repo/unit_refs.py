"""Releases as references read them: a referenced release's manifest, checked against its tag, and the walk
through `uses` from release to release (cycles found on the way).

Every read is batched: one `git cat-file --batch` per level of the walk, however many references there are.
The gate (through check.py, so the commit hook too), `resolve()`'s members, `get` and `used-by` read here.
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import GitmodelError
from gitmodel.model import manifest as mf
from gitmodel.model.config import Config
from gitmodel.model.manifest import Manifest
from gitmodel.model.units import parse_release_ref, uses_of
from gitmodel.repo import git
from gitmodel.repo.tags import Release, TagIndex

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from collections.abc import Iterable


def release_problem(release: Release, manifest: Manifest | None, path: str) -> str | None:
    """Why the manifest at a release tag is not that release (None when it is): missing, another name or
    version (the tag was moved to another commit), or a fingerprint other than the tag records (altered)."""
    if manifest is None:
        return f"the tag's commit has no readable {path} (the tag was moved or made by hand)"
    if manifest.version != str(release.version) or manifest.name != release.name:
        return (f"the manifest at the tag says {manifest.name} {manifest.version}: the tag {release.tag} was moved "
                "to another commit")
    if release.fingerprint and release.fingerprint != manifest.fingerprint():
        return (f"fingerprint mismatch: the tag records {release.fingerprint}, the manifest at the tag gives "
                f"{manifest.fingerprint()} (the release was altered after tagging)")
    return None


class ReleaseRead:
    """A release read for a reference: its manifest (None when unreadable) and why it is not the release."""

    __slots__ = ("manifest", "problem", "release")

    def __init__(self, release: Release, manifest: Manifest | None, problem: str | None) -> None:
        self.release, self.manifest, self.problem = release, manifest, problem


def read_releases(root: Path, cfg: Config, releases: Iterable[Release]) -> dict[str, ReleaseRead]:
    """tag → the release's manifest as committed, each checked against its tag, in ONE git call."""
    specs = {r.tag: (r, r.meta("manifest") or cfg.manifest_path(r.name)) for r in releases}
    blobs = git.cat_files(root, [f"{r.commit}:{path}" for r, path in specs.values()])
    out: dict[str, ReleaseRead] = {}
    for tag, (release, path) in specs.items():
        blob = blobs.get(f"{release.commit}:{path}")
        manifest = None
        if blob is not None:
            try:
                manifest = mf.parse(blob, where=f"{tag}:{path}", full=False)
            except GitmodelError:
                manifest = None
        out[tag] = ReleaseRead(release, manifest, release_problem(release, manifest, path))
    return out


def reference_problem(tags: TagIndex, ref: str) -> tuple[str, Release | None]:
    """("", release) when `ref` names a registered release tag, else (why not, None): deregistered, or no tag."""
    parsed = parse_release_ref(ref)
    if parsed is None:
        return f"{ref!r} is not UNIT@vX.Y.Z", None
    name, version = parsed
    if str(version) in tags.deregistered.get(name, set()):
        return f"{ref} was deregistered ({ref}! exists): it may no longer be used", None
    release = tags.release(name, version)
    if release is None:
        known = ", ".join(f"v{r.version}" for r in tags.active_releases(name)) or "none"
        return f"{ref} names no release tag (releases of {name}: {known})", None
    return "", release


class Walk:
    """What a set of references reaches, release by release: `reads` (tag → ReleaseRead), `edges` (label or
    tag → [(role, referenced tag)]), and `problems`: (start label, the start's role that leads there, what is
    wrong, naming the releases passed through)."""

    def __init__(self) -> None:
        self.reads: dict[str, ReleaseRead] = {}
        self.edges: dict[str, list[tuple[str, str]]] = {}
        self.problems: list[tuple[str, str, str]] = []


def walk_uses(root: Path, cfg: Config, tags: TagIndex, starts: dict[str, dict[str, str]],
              *, max_depth: int = 64) -> Walk:
    """Follow `uses` from `starts` (a label — a unit name, or `NAME@vX.Y.Z` — → its uses) through every
    referenced release, one batched read per level. A reference that names no usable release, a release
    that is not what its tag says, and a cycle (a unit reached again through its own references, at any
    version) are recorded in `problems`; the walk does not go past them."""
    walk = Walk()
    # a pending edge: (start label, the start's role, labels passed, unit names passed, role, ref)
    frontier = [(label, role, [label], {label.split("@v")[0]}, role, ref)
                for label, uses in starts.items() for role, ref in sorted(uses.items())]
    visited: set[tuple[str, str]] = set()
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        wanted: dict[str, Release] = {}
        resolved = []
        for start, first, path, names, role, ref in frontier:
            via = f" (through {' → '.join(path[1:])}, uses.{role})" if len(path) > 1 else ""
            why, release = reference_problem(tags, ref)
            if release is None:
                walk.problems.append((start, first, why + via))
                continue
            walk.edges.setdefault(path[-1], []).append((role, release.tag))
            if release.name in names:
                walk.problems.append((start, first, "cycle: " + " → ".join([*path, release.tag])))
                continue
            resolved.append((start, first, path, names, release, via))
            if release.tag not in walk.reads:
                wanted[release.tag] = release
        walk.reads.update(read_releases(root, cfg, wanted.values()))
        frontier = []
        for start, first, path, names, release, via in resolved:
            read = walk.reads[release.tag]
            if read.problem is not None:
                walk.problems.append((start, first, f"{release.tag}: {read.problem}{via}"))
                continue
            assert read.manifest is not None
            if (start, release.tag) in visited:
                continue  # reached again from the same start (a diamond): its references are walked once
            visited.add((start, release.tag))
            frontier += [(start, first, [*path, release.tag], names | {release.name}, r, ref)
                         for r, ref in sorted(uses_of(read.manifest).items())]
    for start, first, *_ in frontier[:1]:
        walk.problems.append((start, first, f"references nest deeper than {max_depth} levels"))
    return walk
