"""What `add --kind/--use` and `bump --use/--latest` read: references typed on the command line, checked
against the release tags before anything is written (the gate checks them again at commit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.model import components
from gitmodel.model.config import Config
from gitmodel.model.units import ref_problem, role_problem
from gitmodel.repo.tags import TagIndex, release_tag
from gitmodel.repo.unit_refs import walk_uses


def unit_kind_option(kind: str | None) -> str | None:
    """`--kind`: None for a model (the manifest then does not say `kind`, as before units)."""
    if kind is None or kind == components.DEFAULT_UNIT:
        return None
    if kind not in components.UNIT_KINDS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(components.UNIT_KINDS)}", where="--kind")
    return kind


def parse_uses(raws: Sequence[str], *, name: str) -> dict[str, str]:
    """`ROLE=UNIT@vX.Y.Z` pairs (from --use) as {role: ref}; `UNIT@X.Y.Z` is accepted and written with its v."""
    uses: dict[str, str] = {}
    for raw in raws:
        role, sep, ref = raw.partition("=")
        role, ref = role.strip(), ref.strip()
        if not sep or not role or not ref:
            raise InvalidInput(f"{raw!r} is not ROLE=UNIT@vX.Y.Z", where="--use",
                               hint="e.g. --use prompt=support-prompt@v1.4.0")
        if "@" in ref and "@v" not in ref:
            ref = ref.replace("@", "@v", 1)
        problem = role_problem(role) or ref_problem(ref)
        if problem is not None:
            raise InvalidInput(problem, where=f"--use {raw}", hint="e.g. --use prompt=support-prompt@v1.4.0")
        if ref.rpartition("@v")[0] == name:
            raise InvalidInput(f"{ref} is {name} itself: a unit cannot be built from its own release",
                               where=f"--use {raw}")
        if role in uses:
            raise InvalidInput(f"role {role} is given twice", where="--use")
        uses[role] = ref
    return uses


def latest_uses(tags: TagIndex, current: Mapping[str, str], roles: Sequence[str], *, name: str) -> dict[str, str]:
    """`--latest ROLE`: each role's reference moved to its unit's latest active release."""
    out: dict[str, str] = {}
    for role in roles:
        ref = current.get(role)
        if ref is None:
            known = ", ".join(sorted(current)) or "none"
            raise InvalidInput(f"{name} has no reference {role!r} (roles: {known})", where=f"--latest {role}",
                               hint=f"add it with `gitmodel bump {name} --use {role}=UNIT@vX.Y.Z`")
        unit = ref.rpartition("@v")[0]
        latest = tags.latest(unit)
        if latest is None:
            raise Refused(f"{unit} has no release", where=f"--latest {role}", hint=f"release it: `gitmodel tag {unit}`")
        out[role] = release_tag(unit, latest.version)
    return out


def require_usable(root: Path, cfg: Config, tags: TagIndex, name: str, uses: Mapping[str, str]) -> None:
    """Refuse (exit 1) a reference the gate would refuse: no such release, deregistered, moved, a cycle."""
    if not uses:
        return
    walk = walk_uses(root, cfg, tags, {name: dict(uses)})
    if walk.problems:
        _, role, why = walk.problems[0]
        raise Refused(why, where=f"{cfg.manifest_path(name)}: uses.{role}",
                      hint="name a registered release: see `gitmodel versions UNIT`")
