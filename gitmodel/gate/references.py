"""Rule 4 (whole) for references: each release a unit `uses` exists as a release tag, is not deregistered,
is what its tag says (not moved, not altered), and no unit is reached again through its own references.

That a moved reference is bumped for is the bump rule's (gitmodel/model/policy.py, units.py). The commit
hook runs this through check.py: the lean core only, and one git read per level of references.
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.model.config import Config
from gitmodel.model.units import uses_of
from gitmodel.repo.tags import TagIndex
from gitmodel.repo.unit_refs import walk_uses

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from gitmodel.gate.check import ModelState


def reference_findings(root: Path, cfg: Config, tags: TagIndex, states: list[ModelState]) -> dict[str, list[str]]:
    """A `whole` finding on `uses.ROLE` of each state whose reference (or one it leads to) is not usable;
    returns, per unit, a warning for each unit its references reach at more than one version (a version
    mismatch across members: allowed, as a model trained on last month's data beside this month's eval set
    is, but said)."""
    from gitmodel.gate.check import Finding

    starts = {s.name: uses_of(s.manifest) for s in states if s.manifest.uses}
    if not starts:
        return {}
    walk = walk_uses(root, cfg, tags, starts)
    by_name = {s.name: s for s in states}
    for start, role, why in walk.problems:
        state = by_name[start]
        state.findings.append(Finding(
            state.name, "whole", f"{state.manifest_path}: uses.{role}", why,
            fix=f"gitmodel bump {state.name} --use {role}=UNIT@vX.Y.Z  # or --latest {role}"))
    return {start: _mismatches(walk.edges, start) for start in starts if _mismatches(walk.edges, start)}


def _mismatches(edges: dict[str, list[tuple[str, str]]], start: str) -> list[str]:
    """`start: UNIT at two versions through its references: …` for each unit reached at several versions."""
    reached: dict[str, dict[str, str]] = {}  # unit → tag → the first path of roles that reaches it
    frontier, seen = [(start, "")], {start}
    while frontier:
        label, path = frontier.pop(0)
        for role, tag in edges.get(label, []):
            via = f"{path} → uses.{role}" if path else f"uses.{role}"
            reached.setdefault(tag.rpartition("@v")[0], {}).setdefault(tag, via)
            if tag not in seen:
                seen.add(tag)
                frontier.append((tag, via))
    return [f"{start}: {unit} at {len(found)} versions through its references: "
            + ", ".join(f"{tag} ({via})" for tag, via in sorted(found.items()))
            for unit, found in sorted(reached.items()) if len(found) > 1]
