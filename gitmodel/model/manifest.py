"""Manifest v1: dataclasses, YAML load/dump, schema validation, fingerprint."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import atomic_write, dump_yaml, load_yaml, parse_yaml, stored_path_problem
from gitmodel.model import components, semver, units
from gitmodel.model.components import (
    FILE_FIELDS,
    FILE_REQUIRED,
    FILES,
    PINNED,
    REFS,
    SIGNATURE,
    STORAGES,
    TEXT,
)
from gitmodel.model.names import name_problem
from gitmodel.model.records import Record, field, replace
from gitmodel.model.schemas import field_path

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1
# The schemas live in the repository, so the modeline of a manifest resolves offline, from any clone.
SCHEMA_DIR_IN_REPO = ".gitmodel/schemas"
SCHEMA_FILES = ("manifest.v1.json", "config.v1.json")
SCHEMA_IN_REPO = f"{SCHEMA_DIR_IN_REPO}/manifest.v1.json"
SCHEMA_COPIES = tuple(f"{SCHEMA_DIR_IN_REPO}/{name}" for name in SCHEMA_FILES)


class FileEntry(Record, frozen=True):
    """One pinned file (or directory, for data) of a model."""

    path: str
    sha256: str
    size: int
    storage: str
    md5: str | None = None
    format: str | None = None
    role: str | None = None
    nfiles: int | None = None

    def to_dict(self) -> dict[str, Any]:
        raw = {"path": self.path, "role": self.role, "sha256": self.sha256, "size": self.size,
               "storage": self.storage, "format": self.format, "md5": self.md5, "nfiles": self.nfiles}
        return {key: raw[key] for key in FILE_FIELDS if raw[key] is not None}


class Manifest(Record, frozen=True):
    """One model's manifest. Its component fields are the registry's keys (gitmodel/model/components.py,
    tests/model/test_components.py holds them equal); a kind added to the registry without a field here is kept
    in `more`. `get(key)` reads any of them by its manifest key."""

    name: str
    version: str
    kind: str | None = None  # model, prompt, dataset, system; None (not written) is a model
    description: str | None = None
    uses: dict[str, str] | None = None  # role → UNIT@vX.Y.Z: the releases this unit is built from
    weights: tuple[FileEntry, ...] = ()
    data: tuple[FileEntry, ...] = ()
    prompts: tuple[FileEntry, ...] = ()
    params: dict[str, Any] | None = None
    params_file: dict[str, Any] | None = None
    schema: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    lineage: dict[str, Any] | None = None
    card: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # x- extension keys, kept verbatim
    schema_version: int = SCHEMA_VERSION
    more: dict[str, Any] = field(default_factory=dict)  # registry keys with no field above (a new kind)

    @property
    def semver(self) -> semver.Version:
        return semver.parse(self.version)

    @property
    def unit(self) -> str:
        """The unit kind: `kind`, or model when the manifest does not say."""
        return self.kind or components.DEFAULT_UNIT

    def get(self, key: str) -> Any:
        """The value of a manifest key (a component's, or the header's), as a parsed mapping would give it."""
        state = self.__dict__
        return state[key] if key in state else self.more.get(key)

    def _pinned(self) -> list[tuple[str, str, Any]]:
        """components.pinned(self), walked once per record (the check asks for it several times a model)."""
        state = self.__dict__
        if "_pins" not in state:
            state["_pins"] = components.pinned(self)  # not a field: equality, hash and replace() ignore it
        pins: list[tuple[str, str, Any]] = state["_pins"]
        return pins

    def files(self) -> list[tuple[str, FileEntry]]:
        """(component, entry) for every pinned file of a file kind (weights, data, prompts)."""
        return [(kind, entry) for kind, shape, entry in self._pinned() if shape == FILES]

    def pinned_extras(self) -> list[tuple[str, str, str]]:
        """(component, path, sha256) of the git-stored files pinned inside mappings: params file, environment lock."""
        return [(kind, entry["path"], entry["sha256"]) for kind, shape, entry in self._pinned() if shape == PINNED]

    def to_dict(self) -> dict[str, Any]:
        files = components.REGISTRY.shaped[FILES]
        out: dict[str, Any] = {}
        for key in components.REGISTRY.manifest_keys:
            value = self.get(key)
            if value is not None and key in files:
                value = [e.to_dict() for e in value] or None
            if value is not None:
                out[key] = value
        out.update(self.extra)
        return out

    def components(self) -> dict[str, Any]:
        """What the fingerprint covers: everything but the version numbers (content, not label)."""
        data = self.to_dict()
        for key in ("schema_version", "version"):
            data.pop(key, None)
        return data

    def fingerprint(self) -> str:
        canonical = json.dumps(self.components(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def with_version(self, version: str) -> Manifest:
        return replace(self, version=version)

    def with_values(self, values: dict[str, Any]) -> Manifest:
        """A copy with these manifest keys set; a key with no field (a kind new to the registry) goes to `more`."""
        more = {key: value for key, value in values.items() if key not in self._fields}
        fielded = {key: value for key, value in values.items() if key in self._fields}
        return replace(self, **fielded, more={**self.more, **more}) if more else replace(self, **fielded)


# ---------------------------------------------------------------------------------------------- parsing


def _bad(where: str, parts: list[str | int], message: str, hint: str | None = None) -> InvalidInput:
    return InvalidInput(message, where=f"{where}: {field_path(parts) or '(top level)'}", hint=hint)


def _mapping(value: Any, where: str, parts: list[str | int]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad(where, parts, f"expected a mapping, got {type(value).__name__}")
    return value


def _file_entry(raw: Any, where: str, parts: list[str | int]) -> FileEntry:
    if not isinstance(raw, dict):
        raise _bad(where, parts, f"expected a mapping with path and sha256, got {type(raw).__name__}")
    for key in FILE_REQUIRED:
        if key not in raw:
            raise _bad(where, [*parts, key], "is required", hint="run `gitmodel bump NAME` to rewrite it")
    problem = stored_path_problem(raw["path"])
    if problem:
        raise _bad(where, [*parts, "path"], problem)
    sha = raw["sha256"]
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise _bad(where, [*parts, "sha256"], f"{sha!r} is not 64 lower-case hex digits")
    size = _count(raw["size"], where, [*parts, "size"])
    if raw["storage"] not in STORAGES:
        raise _bad(where, [*parts, "storage"], f"{raw['storage']!r} is not one of {', '.join(STORAGES)}")
    unknown = set(raw) - set(FILE_FIELDS)
    if unknown:
        raise _bad(where, [*parts, sorted(str(k) for k in unknown)[0]], "unknown field")
    for key in ("md5", "format", "role"):
        if key in raw and not isinstance(raw[key], str):
            raise _bad(where, [*parts, key], "must be a string")
    nfiles = _count(raw["nfiles"], where, [*parts, "nfiles"]) if raw.get("nfiles") is not None else None
    return FileEntry(path=raw["path"], sha256=sha, size=size, storage=raw["storage"], md5=raw.get("md5"),
                     format=raw.get("format"), role=raw.get("role"), nfiles=nfiles)


def _count(value: Any, where: str, parts: list[str | int]) -> int:
    # JSON Schema's "integer" is a number with no fraction: 5.0 and 5e3 are integers to every validator,
    # so they are here too (kept as int); bool is not a number.
    if isinstance(value, float) and value.is_integer() and value >= 0:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad(where, parts, f"{value!r} is not a non-negative integer")
    return value


def _json_problem(value: Any, parts: list[str | int]) -> tuple[list[str | int], str] | None:
    """(field path, problem) for the first value JSON cannot hold (YAML dates, non-string keys)."""
    stack: list[tuple[Any, list[str | int]]] = [(value, parts)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str):
                    return [*at, str(key)], f"key {key!r} must be a string (quote it)"
                stack.append((item, [*at, key]))
        elif isinstance(node, list):
            stack.extend((item, [*at, i]) for i, item in enumerate(node))
        elif not (node is None or isinstance(node, str | int | float | bool)):
            return at, f"{type(node).__name__} value {str(node)!r} is not JSON data (quote it)"
    return None


def from_dict(data: Any, *, where: str) -> Manifest:
    """Build a Manifest, checking types and values cheaply (no jsonschema: this runs in the git hook)."""
    if not isinstance(data, dict):
        raise InvalidInput("a manifest must be a YAML mapping", where=where,
                           hint="see `gitmodel add --help` or templates/manifest.yaml")
    # Fingerprints and --json are JSON: a YAML timestamp or an integer key would break them later.
    problem_at = _json_problem(data, [])
    if problem_at is not None:
        raise _bad(where, problem_at[0], problem_at[1])
    version_field = data.get("schema_version")
    if version_field != SCHEMA_VERSION:
        raise _bad(where, ["schema_version"], f"unsupported schema_version {version_field!r}; this gitmodel reads 1",
                   hint="upgrade gitmodel or set schema_version: 1")
    problem = name_problem(data.get("name"))
    if problem:
        raise _bad(where, ["name"], problem)
    raw_version = data.get("version")
    if not isinstance(raw_version, str):
        raise _bad(where, ["version"], f"{raw_version!r} is not a version string", hint="quote it: version: \"1.2.0\"")
    semver.parse(raw_version, where=f"{where}: version")
    registry = components.REGISTRY
    extra = {}
    for key in data:
        if key in registry.manifest_keys:
            continue
        if isinstance(key, str) and key.startswith("x-"):
            extra[key] = data[key]
        else:
            raise _bad(where, [str(key)], "unknown field", hint="extension fields start with x-")
    # each key by its shape (components.py), shape by shape in file order: the first problem is the one named
    shaped = registry.shaped
    values: dict[str, Any] = {}
    for comp in shaped[FILES]:
        raw = data.get(comp)
        if raw is None:
            values[comp] = ()
            continue
        if not isinstance(raw, list):
            raise _bad(where, [comp], f"expected a list, got {type(raw).__name__}")
        entries = tuple(_file_entry(item, where, [comp, i]) for i, item in enumerate(raw))
        paths = [e.path for e in entries]
        if len(set(paths)) != len(paths):
            dup = next(p for p in paths if paths.count(p) > 1)
            raise _bad(where, [comp], f"path {dup} is listed twice")
        values[comp] = entries
    for key in shaped[TEXT]:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise _bad(where, [key], "must be a string")
        values[key] = data.get(key)
    for key in shaped[REFS]:
        values[key] = _references(data.get(key), where, key, data["name"])
    kind_wrong = units.kind_problem(data.get("kind"), {comp: len(values[comp]) for comp in shaped[FILES]
                                                       if data.get(comp) is not None})
    if kind_wrong is not None:
        raise _bad(where, [kind_wrong[0]], kind_wrong[1], hint="set kind: model, prompt, dataset or system")
    for key in registry.manifest_keys:  # the mappings: params, params_file, schema, environment, ...
        if key not in values and key not in components.HEADER:
            values[key] = _mapping(data.get(key), where, [key])
    for key in shaped[SIGNATURE]:
        value = values[key]
        for part in value or ():
            if part not in ("inputs", "outputs"):
                raise _bad(where, [key, part], "unknown field", hint="schema holds inputs and outputs")
            if not isinstance(value[part], dict):
                raise _bad(where, [key, part], "must be a JSON Schema object")
    for key in shaped[PINNED]:
        value = values[key]
        if value is not None and (stored_path_problem(value.get("path")) or not isinstance(value.get("sha256"), str)):
            raise _bad(where, [key], "needs path and sha256")
    fielded = _FIELDED
    return Manifest(name=data["name"], version=raw_version, kind=data.get("kind"), extra=extra,
                    more={k: v for k, v in values.items() if k not in fielded and v not in (None, ())},
                    **{k: v for k, v in values.items() if k in fielded})


_FIELDED = frozenset(Manifest._fields)


def _references(raw: Any, where: str, key: str, name: str) -> dict[str, str] | None:
    """`uses`: role → UNIT@vX.Y.Z, each role and reference well formed, never the unit itself."""
    refs = _mapping(raw, where, [key])
    if not refs:
        return None if refs is None else refs
    hint = "write it as ROLE: UNIT@vX.Y.Z, e.g. prompt: support-prompt@v1.4.0"
    for role, ref in refs.items():
        problem = units.role_problem(role) or units.ref_problem(ref)
        if problem is not None:
            raise _bad(where, [key, str(role)], problem, hint=hint)
        if units.parse_release_ref(ref)[0] == name:  # type: ignore[index]
            raise _bad(where, [key, role], f"{ref} is this unit itself: a unit cannot be built from its own release",
                       hint="reference another unit, or drop the reference")
    return dict(refs)


def validate_schema(data: Any, *, where: str) -> None:
    """Full JSON Schema validation (imports jsonschema: not for the hook's fast path)."""
    from gitmodel.model.schemas import validate

    validate(data, "manifest.v1.json", where=where)


def parse(text: bytes | str, *, where: str, full: bool = True) -> Manifest:
    """A Manifest from YAML text; `full` adds JSON Schema validation after the cheap checks."""
    data = parse_yaml(text, where=where)
    # The cheap checks run first: their messages are the specific ones ("unsupported schema_version 2",
    # "not 64 lower-case hex digits"); jsonschema then catches what they do not cover.
    manifest = from_dict(data, where=where)
    if full:
        validate_schema(data, where=where)
    return manifest


def load(path: Path, *, where: str | None = None, full: bool = True) -> Manifest:
    label = where or path.as_posix()
    data = load_yaml(path, where=label)
    manifest = from_dict(data, where=label)
    if full:
        validate_schema(data, where=label)
    return manifest


def render(manifest: Manifest, *, schema_ref: str | None = None) -> str:
    header = f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""
    return header + dump_yaml(manifest.to_dict())


def _work_tree_of(path: Path) -> Path | None:
    """The nearest directory above `path` holding `.git` (a directory, or a file in a linked worktree)."""
    here = Path(os.path.abspath(path)).parent
    return next((d for d in (here, *here.parents) if (d / ".git").exists()), None)


def write_schema_copies(root: Path) -> list[str]:
    """Put the packaged schemas in `<root>/.gitmodel/schemas/` where missing or outdated; the paths written.

    Editors resolve a manifest's `# yaml-language-server: $schema=` line from the repository itself, offline,
    and the copy is the schema of the gitmodel that last wrote a manifest.
    """
    from gitmodel.model.schemas import schema_path

    real_root = root.resolve()
    where = (root / SCHEMA_DIR_IN_REPO).resolve()  # symlinks in the part that exists are followed
    if where != real_root and real_root not in where.parents:
        raise InvalidInput("leads out of the repository (symlink)", where=SCHEMA_DIR_IN_REPO,
                           hint=f"remove the symlink; gitmodel keeps its schemas in {SCHEMA_DIR_IN_REPO}/")
    written = []
    for name, rel in zip(SCHEMA_FILES, SCHEMA_COPIES, strict=True):
        packaged = schema_path(name).read_bytes()
        target = root / rel
        try:
            current = target.read_bytes()
        except OSError:
            current = None
        if current != packaged:
            atomic_write(target, packaged)
            written.append(rel)
    return written


def save(manifest: Manifest, path: Path, *, schema_ref: str | None = None) -> None:
    """Write `path` atomically; `schema_ref=SCHEMA_IN_REPO` writes the modeline as a path relative to `path`."""
    if schema_ref == SCHEMA_IN_REPO:
        root = _work_tree_of(path)
        if root is None:
            schema_ref = None  # no repository to hold the schema: no modeline rather than a dangling one
        else:
            write_schema_copies(root)
            schema_ref = Path(os.path.relpath(root / SCHEMA_IN_REPO, Path(os.path.abspath(path)).parent)).as_posix()
    text = render(manifest, schema_ref=schema_ref)
    atomic_write(path, text)
    from gitmodel.infra.parse_cache import remember_written

    written = remember_written(path, text)  # the commit hook then judges this manifest without importing PyYAML
    if written is not None:
        from gitmodel.infra import pins
        from gitmodel.model.components import pinned_paths

        git_dir, oid, doc = written
        pins.remember(git_dir, {oid: pinned_paths(doc)})  # ... and follows it committed past the hook
