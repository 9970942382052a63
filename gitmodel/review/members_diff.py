"""`gitmodel diff --expand`: under each moved reference of a unit, the member's own diff between the two
releases (and, below it, its members' moves, expanded the same way)."""

from __future__ import annotations

from pathlib import Path

from gitmodel.model.config import Config
from gitmodel.model.units import parse_release_ref
from gitmodel.repo.tags import Release, TagIndex
from gitmodel.repo.unit_refs import read_releases
from gitmodel.review.deltas import DiffReport, MemberMove, ModelDiff

MAX_DEPTH = 16  # references nest a few levels; the gate refuses cycles, this bounds a hand-made one


def expand_members(root: Path, cfg: Config, tags: TagIndex, report: DiffReport) -> None:
    """Set `member` on every moved reference of the report whose old and new releases are of one unit."""
    from gitmodel.review.diff import compare_models  # diff.py calls this module: import at call time

    level = [(u, 0) for m in report.models for u in m.uses]
    while level:
        pairs: list[tuple[MemberMove, Release, Release, int]] = []
        for move, depth in level:
            old, new = parse_release_ref(move.old), parse_release_ref(move.new)
            if old is None or new is None or old[0] != new[0] or depth >= MAX_DEPTH:
                continue
            a, b = tags.release(*old), tags.release(*new)
            if a is not None and b is not None:
                pairs.append((move, a, b, depth))
        reads = read_releases(root, cfg, [r for _, a, b, _ in pairs for r in (a, b)])  # one git call a level
        level = []
        for move, a, b, depth in pairs:
            before, after = reads[a.tag].manifest, reads[b.tag].manifest
            if before is None or after is None:
                continue
            member: ModelDiff | None = compare_models(a.name, before, after, cfg)
            move.member = member
            if member is not None:
                level += [(u, depth + 1) for u in member.uses]
