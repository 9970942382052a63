"""A unit's members: the releases its `uses` pins, each located and checked against its tag before any byte
is exported, then exported as one set.

`resolve("support-bot#prod").members["prompt"]` is a verified `Resolved` of the release the system pins for
that role (and its own `.members`, recursively); `gitmodel get` puts each member's files in a subfolder named
after its role, beside the unit's own. A reference to a missing, deregistered, moved or altered release, or
a cycle (a unit reached again through its own references), is refused before anything is placed; a member
whose bytes do not match its manifest is refused after, and what this call had placed is removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.model.config import load_config
from gitmodel.repo.tags import TagIndex, read_tags
from gitmodel.repo.unit_refs import walk_uses
from gitmodel.storage.export import GetResult, Located, get, locate_release

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitmodel.infra.progress import Progress


@dataclass(frozen=True)
class Member:
    """One located release and its own members, by role."""

    located: Located
    members: dict[str, Member] = field(default_factory=dict)

    def releases(self) -> list[Located]:
        """This release and every member below it, members first (the order they are exported in)."""
        out: list[Located] = []
        for member in self.members.values():
            out += [m for m in member.releases() if m.tag not in {o.tag for o in out}]
        return [*out, self.located]


def locate_members(root: Path, located: Located, tags: TagIndex | None = None) -> dict[str, Member]:
    """role → Member for each reference of `located`, recursively; refused before anything is read from a
    store when a reference (at any depth) names no usable release or leads back to a unit on its path."""
    uses = located.manifest.uses or {}
    if not uses:
        return {}
    tags = tags if tags is not None else read_tags(root)
    walk = walk_uses(root, load_config(root), tags, {located.tag: dict(uses)})
    if walk.problems:
        _, role, why = walk.problems[0]
        raise Refused(why, where=f"{located.tag}: uses.{role}",
                      hint=f"this release cannot be assembled; see `gitmodel show {located.tag}`")
    found: dict[str, Located] = {}

    def members_of(label: str) -> dict[str, Member]:
        out = {}
        for role, tag in walk.edges.get(label, []):
            if tag not in found:
                found[tag] = locate_release(root, tag, tags=tags)  # the same checks as any resolve or get
            out[role] = Member(found[tag], members_of(tag))
        return out

    return members_of(located.tag)


# ----------------------------------------------------------------------------------------------- resolve


def resolve_members(members: dict[str, Member], export: Callable[[Located, dict[str, Any]], Any],
                    placed: list[Path]) -> dict[str, Any]:
    """role → what `export(located, its members)` returns, members first. `export` appends each directory it
    created to `placed`; on a failure the caller removes them (a set is placed whole or not at all)."""
    return {role: export(member.located, resolve_members(member.members, export, placed))
            for role, member in members.items()}


def remove_placed(placed: list[Path]) -> None:
    for directory in reversed(placed):
        shutil.rmtree(directory, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------- get


@dataclass
class SetResult:
    """`gitmodel get` of a unit and its members: the unit's export and, by role, each member's below it."""

    result: GetResult
    members: dict[str, SetResult] = field(default_factory=dict)

    def all_files(self, prefix: str = "") -> list[tuple[str, str, str, str]]:
        """(role path, component, path, sha256) of every file placed, the unit's then its members'."""
        rows = [(prefix, f.component, f.path, f.sha256) for f in self.result.files]
        for role, member in self.members.items():
            rows += member.all_files(f"{prefix}{role}/")
        return rows

    def to_json(self) -> dict[str, Any]:
        return {**self.result.to_json(), "members": {role: m.to_json() for role, m in self.members.items()}}


def get_set(root: Path, ref: str, out_dir: Path, *, remote: str | None = None,
            progress: Progress | None = None) -> SetResult:
    """Export a release and, for each reference, its member into `out_dir/ROLE/` (recursively): every member
    is located and checked first; a failure removes everything this call placed."""
    located = locate_release(root, ref)
    members = locate_members(root, located)
    out_dir = Path(os.path.abspath(out_dir))
    existed = out_dir.exists()
    done: list[SetResult] = []
    created_roles: list[Path] = []

    def export(directory: Path, located: Located, members: dict[str, Member]) -> SetResult:
        for role in members:
            target = directory / role
            if os.path.lexists(target):
                raise Refused(f"{target} already exists", where="--out", hint="export into an empty or new directory")
        result = get(root, located.tag, directory, remote=remote, progress=progress)
        done.append(SetResult(result))
        out = done[-1]
        for role, member in members.items():
            created_roles.append(directory / role)
            out.members[role] = export(directory / role, member.located, member.members)
        return out

    try:
        if existed and not out_dir.is_dir():
            raise InvalidInput("exists and is not a directory", where=f"--out {out_dir}",
                               hint="name a new or empty directory")
        return export(out_dir, located, members)
    except BaseException:
        for role_dir in reversed(created_roles):
            shutil.rmtree(role_dir, ignore_errors=True)
        # only what this call's `get`s placed (a pinned directory is placed whole), then the directories
        # that left empty; a `get` that failed itself removed its own, and nothing another process placed
        # (a concurrent `get` into the same --out) is touched
        for placed in reversed(done):
            for f in placed.result.files:
                target = placed.result.out_dir / f.path
                with contextlib.suppress(OSError):
                    shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
                for parent in Path(f.path).parents:
                    if parent != Path("."):
                        with contextlib.suppress(OSError):
                            (placed.result.out_dir / parent).rmdir()
        if done and not existed:
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        raise
