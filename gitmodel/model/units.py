"""Units and references: what a manifest's `kind` allows, and its `uses: {role: UNIT@vX.Y.Z}`.

A unit is anything versioned by a manifest: a model (the default), a prompt, a dataset or a system
(gitmodel/model/components.py, UNIT_KINDS). A reference pins another unit's release; moving it is a change
of the referencing unit at the level the policy sets for its role (`uses.ROLE`, else `uses`), by default the
referenced release's own semver step (a major move of a member is a major change of the system).

The commit hook imports this module (through manifest.py): plain functions, the lean core only.
"""

from __future__ import annotations

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.lazy_re import LazyPattern
from gitmodel.model import components, semver
from gitmodel.model.names import name_problem
from gitmodel.model.semver import Level

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any

_ROLE_RE = LazyPattern(components.ROLE_PATTERN)
USES = "uses"


def role_problem(role: object) -> str | None:
    """Why `role` is not a reference role (lower case, digits, `_`, `-`; no `.`), or None."""
    if not isinstance(role, str) or not _ROLE_RE.match(role):
        return f"role {role!r} is not lower-case letters, digits, _ and - (at most 64)"
    return None


def parse_release_ref(text: object) -> tuple[str, semver.Version] | None:
    """(name, version) of a `NAME@vX.Y.Z` string, or None when it is not one (a bad name, a bad version)."""
    if not isinstance(text, str) or "@v" not in text:
        return None
    name, _, version = text.rpartition("@v")
    if name_problem(name) is not None:
        return None
    try:
        return name, semver.parse(version)
    except InvalidInput:
        return None


def ref_problem(text: object) -> str | None:
    """Why a `uses` value is not `UNIT@vX.Y.Z`, or None."""
    if not isinstance(text, str):
        return f"{text!r} is not a string UNIT@vX.Y.Z"
    if parse_release_ref(text) is not None:
        return None
    if "@v" in text:
        problem = name_problem(text.rpartition("@v")[0])
        if problem is not None:
            return f"{text!r}: {problem}"
    return f"{text!r} is not UNIT@vX.Y.Z (a release of another unit, e.g. support-prompt@v1.4.0)"


def unit_kind(doc: Any) -> str:
    """The unit kind of a manifest (record or parsed mapping): `model` when it does not say."""
    kind = doc.get("kind") if hasattr(doc, "get") else None
    return kind if isinstance(kind, str) else components.DEFAULT_UNIT


def kind_problem(kind: object, files: dict[str, int]) -> tuple[str, str] | None:
    """(field, problem) when a unit of `kind` pins files it may not (or lacks those it must). `files`: the
    number of entries of each file kind the manifest has a key for (an empty list is a key, counted 0)."""
    if kind is None:
        kind = components.DEFAULT_UNIT
    if not isinstance(kind, str) or kind not in components.UNIT_KINDS:
        return "kind", f"{kind!r} is not one of {', '.join(components.UNIT_KINDS)}"
    allowed, required = components.UNIT_KINDS[kind]
    if allowed is not None:
        for file_kind in files:
            if file_kind not in allowed:
                return file_kind, f"a {kind} unit pins only {', '.join(allowed)}, not {file_kind}"
    if required is not None and not files.get(required):
        return required, f"a {kind} unit pins at least one {required} file"
    return None


def uses_of(doc: Any) -> dict[str, str]:
    """role → `UNIT@vX.Y.Z` of a manifest (record or parsed mapping); {} when it references nothing."""
    uses = doc.get(USES) if hasattr(doc, "get") else None
    return {str(k): v for k, v in uses.items() if isinstance(v, str)} if isinstance(uses, dict) else {}


def reference_level(role: str, old: str | None, new: str | None, policy: dict[str, Level]) -> Level:
    """The bump a moved reference requires: the policy's `uses.ROLE`, else its `uses`, else the referenced
    release's own step (old → new version); a new reference is minor, a dropped one (or one now naming
    another unit) major."""
    for key in (f"{USES}.{role}", USES):
        if key in policy:
            return policy[key]
    if old is None:
        return Level.MINOR
    a, b = parse_release_ref(old), parse_release_ref(new)
    if new is None or a is None or b is None or a[0] != b[0]:
        return Level.MAJOR
    step = semver.difference(min(a[1], b[1]), max(a[1], b[1]))
    return step if step != Level.NONE else Level.PATCH  # only pre-release or build moved
