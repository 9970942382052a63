"""The bump rule: what changed between two manifests, and the least version bump that requires."""

from __future__ import annotations

from gitmodel.model import components, semver
from gitmodel.model.components import DERIVED, FILES, REFS, SIGNATURE
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.records import Record
from gitmodel.model.semver import Level

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any


class Change(Record, frozen=True):
    """One difference between two manifests."""

    component: str        # weights, data, prompts, params, environment, schema, metadata
    key: str              # a file path, or a dotted key (params.lr, metrics.accuracy)
    kind: str             # added, removed, changed
    old: Any
    new: Any
    level: Level
    note: str = ""        # e.g. "breaking: field text removed"

    def describe(self) -> str:
        if self.component in components.REGISTRY.file_kinds or self.key.endswith("_file") or self.kind != "changed":
            text = f"{self.key} {self.kind}"
        else:
            text = f"{self.key} {_short(self.old)} → {_short(self.new)}"
        return f"{text} ({self.note})" if self.note else text


def _short(value: Any) -> str:
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:8]
    if isinstance(value, dict | list):
        text = str(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return str(value)


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = value


def _keyed_diff(component: str, prefix: str, old: Any, new: Any, level: Level) -> list[Change]:
    flat_old: dict[str, Any] = {}
    flat_new: dict[str, Any] = {}
    _flatten(prefix, old if old is not None else {}, flat_old)
    _flatten(prefix, new if new is not None else {}, flat_new)
    flat_old = {k: v for k, v in flat_old.items() if not (k == prefix and v in ({}, None))}
    flat_new = {k: v for k, v in flat_new.items() if not (k == prefix and v in ({}, None))}
    changes = []
    for key in sorted(set(flat_old) | set(flat_new)):
        if key not in flat_new:
            changes.append(Change(component, key, "removed", flat_old[key], None, level))
        elif key not in flat_old:
            changes.append(Change(component, key, "added", None, flat_new[key], level))
        elif flat_old[key] != flat_new[key]:
            changes.append(Change(component, key, "changed", flat_old[key], flat_new[key], level))
    return changes


def _file_diff(component: str, old: tuple[FileEntry, ...], new: tuple[FileEntry, ...], level: Level
               ) -> list[Change]:
    before = {e.path: e for e in old}
    after = {e.path: e for e in new}
    changes = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if b is None:
            changes.append(Change(component, path, "removed", a, None, level))
        elif a is None:
            changes.append(Change(component, path, "added", None, b, level))
        elif (a.sha256, a.size, a.role) != (b.sha256, b.size, b.role):
            changes.append(Change(component, path, "changed", a, b, level))
        elif a.storage == b.storage and a.md5 != b.md5:
            # a file's identity is its (sha256, md5) pair: a new DVC object is a new component
            changes.append(Change(component, path, "changed", a, b, level, note="md5 changed"))
        elif a.storage != b.storage:
            # same bytes, new home: record it, but the content did not change
            changes.append(Change(component, path, "changed", a, b, Level.PATCH, note="storage moved"))
    return changes


def schema_changes(old: dict[str, Any] | None, new: dict[str, Any] | None, compatible: Level,
                   breaking: Level, component: str = "schema") -> list[Change]:
    """Input/output schema changes, each marked breaking (major) or compatible (minor)."""
    from gitmodel.model.signature_diff import classify

    return [Change(component, key, kind, a, b, breaking if is_breaking else compatible, note)
            for key, kind, a, b, is_breaking, note in classify(old or {}, new or {})]


def diff_manifests(old: Manifest, new: Manifest, policy: dict[str, Level] | None = None) -> list[Change]:
    """Every component change from `old` to `new`, each with the level the policy requires: the registry's
    kinds in review order, each key by its shape (files by path, a signature by compatibility, others by key)."""
    pol = policy or {}
    changes: list[Change] = []
    if old.unit != new.unit:  # a prompt that becomes a system is not the same thing to its users
        changes.append(Change("kind", "kind", "changed", old.unit, new.unit, Level.MAJOR))
    for kind in components.REGISTRY.kinds:
        level = pol.get(kind.name, Level.NONE) if kind.level == DERIVED else \
            pol[kind.name] if kind.name in pol else Level.parse(kind.level)
        for key in kind.keys:
            a, b = old.get(key.name), new.get(key.name)
            if key.shape == REFS:
                changes += _reference_diff(kind.name, a or {}, b or {}, pol)
            elif key.shape == FILES:
                changes += _file_diff(kind.name, a or (), b or (), level)
            elif key.shape == SIGNATURE:  # a compatible change needs no more than minor
                changes += schema_changes(a, b, min(level, Level.MINOR), level, kind.name)
            else:
                changes += _keyed_diff(kind.name, key.name, a, b, level)
    return changes


def _reference_diff(component: str, old: dict[str, str], new: dict[str, str], policy: dict[str, Level]
                    ) -> list[Change]:
    """A moved, added or dropped reference, each at the level its role requires (gitmodel/model/units.py)."""
    from gitmodel.model.units import reference_level

    changes = []
    for role in sorted(set(old) | set(new)):
        a, b = old.get(role), new.get(role)
        if a == b:
            continue
        kind = "added" if a is None else "removed" if b is None else "changed"
        changes.append(Change(component, f"{component}.{role}", kind, a, b, reference_level(role, a, b, policy)))
    return changes


def required_level(changes: list[Change]) -> Level:
    return max((c.level for c in changes), default=Level.NONE)


def reasons(changes: list[Change], level: Level) -> list[str]:
    """The changes that set the level (what a reviewer needs to read first)."""
    return [c.describe() for c in changes if c.level == level]


def version_verdict(current: semver.Version, released: semver.Version, changes: list[Change]
                    ) -> tuple[Level, str | None]:
    """(required level, problem or None) for a manifest at `current` against its latest release."""
    level = required_level(changes)
    if current == released and str(current) == str(released):
        if changes:
            return level, f"version {current} is already released and its components changed"
        return level, None
    if current < released:
        return level, f"version {current} is lower than the latest release {released}"
    if not semver.meets(current, released, level):
        return level, f"version {current} is not a {level} bump of the latest release {released}"
    return level, None
