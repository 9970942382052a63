"""The component registry: each kind of thing a manifest pins or records, described once.

A manifest is a header (`schema_version`, `name`, `version`) and components. A `Kind` below says, for one
component kind: its manifest keys and each key's entry shape, the git-stored files it pins inside a mapping,
the bump its change requires by default, its options on `gitmodel add` / `gitmodel bump`, and where a change
to it shows in `gitmodel diff`. Everything else reads this table: the Manifest record's key order and parsing
(manifest.py), the policy keys and their defaults (config.py), the walk that diffs two manifests (policy.py),
the paths the commit hook watches (gate/hook.py), the CLI flags (cli/core.py), `Resolved`'s accessors
(storage/resolve.py) and the diff rows (review/diff.py). The JSON Schemas in schemas/ are held equal to it
by tests/model/test_components.py.

Adding a kind: a `Kind` in KINDS; its keys in schemas/manifest.v1.json, its policy key in config.v1.json and
templates/gitmodel.yaml (and, for a kind that pins files, in diff.v1.json's file rows): tests/model/test_components.py
names any that is missing. Then only the code truly new for it (an `add` option needs its Typer parameter in
cli/core.py and its handling in workspace/edit.py). A kind with no field on the Manifest record is kept in
`Manifest.more`.

The commit hook imports this module: plain classes and tuples, no typing, dataclasses or yaml at run time.
Read the registry at call time (`components.REGISTRY`), never copy it into a module constant: a test swaps it.
"""

from __future__ import annotations

# Entry shapes of a manifest key.
FILES = "files"          # a list of file entries (FILE_FIELDS): each pins one file, or a directory for data
PINNED = "pinned"        # one {path, sha256} mapping: a git-stored file (params_file)
MAPPING = "mapping"      # any mapping; Key.pinned names {path, sha256} mappings inside it (environment.lock)
TEXT = "text"            # a string
SIGNATURE = "signature"  # {inputs, outputs}, a JSON Schema each
REFS = "refs"            # {role: UNIT@vX.Y.Z}: releases of other units this one is built from (`uses`)

# `kind` is written only when given: a manifest without it is a model, and stays byte-identical.
HEADER = ("schema_version", "name", "version", "kind")
# What a unit is (`kind:`), and the file kinds it may and must pin. None: any file kind, none required.
# A model pins anything (as before units); a prompt unit only prompt files, a dataset only data; a system pins
# nothing of its own or anything, and is built from its `uses`.
UNIT_KINDS: dict[str, tuple[tuple[str, ...] | None, str | None]] = {
    "model": (None, None), "prompt": (("prompts",), "prompts"), "dataset": (("data",), "data"),
    "system": (None, None)}
DEFAULT_UNIT = "model"
# A reference's role: a policy key `uses.ROLE`, so no '.'
ROLE_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$(?!\\n)"
DERIVED = "release"  # a kind whose bump level comes from what moved: a reference takes the referenced release's
# A file entry's fields, in the order a manifest writes them; the first four are required.
FILE_FIELDS = ("path", "role", "sha256", "size", "storage", "format", "md5", "nfiles")
FILE_REQUIRED = ("path", "sha256", "size", "storage")
# Where a file entry's bytes may live, and the pointer file a backend keeps in git beside the entry's path
# (pinned too: a changed pointer is a changed component). What each backend does is gitmodel/storage/'s.
STORAGES = ("dvc", "git", "lfs")
POINTERS = {"dvc": ".dvc"}
LEVELS = ("none", "patch", "minor", "major")  # semver.Level's names, weakest first (and DERIVED, above)


class Key:
    """One manifest key of a kind: its entry shape, its place in the YAML file (`at`: what a reviewer reads
    first comes first), and the `gitmodel diff` row a change to it shows in (`row`: "files", or a section of
    the model's diff; a section named after the key shows its sub-keys without the prefix)."""

    __slots__ = ("at", "name", "pinned", "row", "shape")

    def __init__(self, name: str, shape: str, *, at: int, row: str, pinned: tuple[str, ...] = ()) -> None:
        self.name, self.shape, self.at, self.row = name, shape, at, row
        self.pinned = pinned  # dotted paths of {path, sha256} mappings, from the manifest's top: "environment.lock"


class Flag:
    """An option of `gitmodel add` and/or `gitmodel bump` (`commands`) that sets a kind: its names and help."""

    __slots__ = ("commands", "decls", "help")

    def __init__(self, commands: tuple[str, ...], decls: tuple[str, ...], help: str) -> None:  # noqa: A002
        self.commands, self.decls, self.help = commands, decls, help


class Kind:
    """One component kind: its keys, the bump its change requires by default (`level`, one of LEVELS), and
    its CLI flags. A kind whose keys include a FILES key is a file kind; that key carries the kind's name."""

    __slots__ = ("flags", "keys", "level", "name")

    def __init__(self, name: str, level: str, keys: tuple[Key, ...], flags: tuple[Flag, ...] = ()) -> None:
        self.name, self.level, self.keys, self.flags = name, level, keys, flags

    @property
    def files(self) -> bool:
        return any(key.shape == FILES for key in self.keys)


# In review order: the order `gitmodel diff` and `bump` list changes in.
KINDS: tuple[Kind, ...] = (
    Kind("uses", DERIVED, (Key("uses", REFS, at=15, row="uses"),),
         (Flag(("add", "bump"), ("--use",), "A release this unit is built from, ROLE=UNIT@vX.Y.Z (repeatable), "
                                           "e.g. --use prompt=support-prompt@v1.4.0; on bump, moves the reference."),
          Flag(("bump",), ("--latest",), "Move the reference ROLE to its unit's latest release (repeatable)."))),
    Kind("weights", "minor", (Key("weights", FILES, at=20, row="files"),),
         (Flag(("add",), ("--weights", "-w"), "Weights file (repeatable)."),)),
    Kind("data", "minor", (Key("data", FILES, at=30, row="files"),),
         (Flag(("add",), ("--data", "-d"), "Data file or directory (repeatable)."),
          Flag(("add", "bump"), ("--data-role",), "What a data file is for: train (the default), validation, eval, "
                                                  "test or other (repeatable). The card's model-index reports metrics "
                                                  "only against validation/eval/test data."))),
    Kind("prompts", "minor", (Key("prompts", FILES, at=40, row="files"),),
         (Flag(("add",), ("--prompt", "-p"), "Prompt file (repeatable)."),)),
    Kind("params", "minor", (Key("params", MAPPING, at=50, row="params"),
                             Key("params_file", PINNED, at=51, row="files", pinned=("params_file",))),
         (Flag(("add",), ("--params",), "Params file (YAML/JSON), pinned and shown inline."),)),
    Kind("environment", "patch", (Key("environment", MAPPING, at=70, row="environment",
                                      pinned=("environment.lock",)),)),
    Kind("schema", "major", (Key("schema", SIGNATURE, at=60, row="schema"),),
         (Flag(("add",), ("--schema",), "YAML/JSON {inputs, outputs} JSON Schemas."),
          Flag(("bump",), ("--schema",), "Replace the input/output schema from a file."))),
    Kind("metadata", "patch", (Key("description", TEXT, at=10, row="metadata"),
                               Key("metrics", MAPPING, at=80, row="metrics"),
                               Key("lineage", MAPPING, at=81, row="lineage"),
                               Key("card", MAPPING, at=82, row="metadata")),
         (Flag(("add",), ("--description",), "One-line description."),
          Flag(("add",), ("--metrics",), "JSON/YAML file of metric: number."),
          Flag(("bump",), ("--metrics",), "Replace metrics from a JSON/YAML file."),
          Flag(("add", "bump"), ("--parent",), "lineage.parent: the release this version derives from, "
                                               "NAME@vX.Y.Z (must exist)."),
          Flag(("add", "bump"), ("--base-model",), "lineage.base_model, e.g. distilbert-base-uncased."))),
)


class Registry:
    """The kinds, and what is derived from them once: the views the rest of the package reads."""

    def __init__(self, kinds: tuple[Kind, ...]) -> None:
        self.kinds = kinds
        self.by_name = {kind.name: kind for kind in kinds}
        self.file_kinds = tuple(kind.name for kind in kinds if kind.files)
        # manifest key → (kind name, Key)
        self.keys = {key.name: (kind.name, key) for kind in kinds for key in kind.keys}
        self.manifest_keys = HEADER + tuple(sorted(self.keys, key=lambda name: self.keys[name][1].at))
        # the component keys of each shape, in YAML order
        self.shaped = {shape: tuple(name for name in self.manifest_keys[len(HEADER):] if self.keys[name][1].shape == shape)
                       for shape in (FILES, PINNED, MAPPING, TEXT, SIGNATURE, REFS)}
        # (kind name, dotted path) of every {path, sha256} mapping a manifest pins, in review order
        self.pinned = tuple((kind.name, path) for kind in kinds for key in kind.keys for path in key.pinned)
        self._pinned_parts = tuple((kind, tuple(path.split("."))) for kind, path in self.pinned)
        # `.gitmodel.yaml`'s policy keys: the strictest default first (schema, weights, ..., metadata); a DERIVED
        # kind has no default, its key is optional (`uses`, `uses.ROLE`: gitmodel/model/config.py)
        self.policy_keys = tuple(kind.name for kind in sorted((k for k in kinds if k.level != DERIVED),
                                                              key=lambda k: -LEVELS.index(k.level)))

    def flag(self, decl: str, command: str) -> Flag:
        """The flag `decl` (its first name) of `command`."""
        return next(f for kind in self.kinds for f in kind.flags if command in f.commands and f.decls[0] == decl)


REGISTRY = Registry(KINDS)


# ------------------------------------------------------------------------------------- what is pinned


def _field(entry: object, name: str) -> object:
    """A field of a file entry: a mapping from the parsed YAML, or a FileEntry record."""
    return entry.get(name) if entry.__class__ is dict else getattr(entry, name, None)  # type: ignore[attr-defined]


def pinned(doc: object) -> list[tuple[str, str, object]]:
    """(kind, shape, entry) for every file a manifest pins, in review order: each entry of a file kind (shape
    FILES: a mapping, or a FileEntry when `doc` is a Manifest), then each {path, sha256} mapping (shape PINNED:
    the params file, the environment lock).

    THE one walk: the commit hook runs it on the parsed YAML (no Manifest built; malformed parts are skipped)
    and `Manifest.files()` / `pinned_extras()` on the record (whose `get(key)` reads as a mapping's does).
    """
    get = getattr(doc, "get", None)
    if get is None or isinstance(doc, str | bytes):
        return []
    registry = REGISTRY
    out: list[tuple[str, str, object]] = []
    for kind in registry.file_kinds:
        entries = get(kind)
        if isinstance(entries, list | tuple):
            out += [(kind, FILES, entry) for entry in entries if _field(entry, "path").__class__ is str]
    for kind, parts in registry._pinned_parts:
        value: object = doc
        for part in parts:
            value = value.get(part) if hasattr(value, "get") and not isinstance(value, str | bytes) else None
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            out.append((kind, PINNED, value))
    return out


def pinned_by_kind(doc: object) -> list[tuple[str, str]]:
    """(kind, repo path) of every path `doc` pins: its files, then their storage's pointers (`.dvc`), then the
    git-stored files pinned in mappings (params file, environment lock)."""
    files, pointers, mapped = [], [], []
    for kind, shape, entry in pinned(doc):
        path = str(_field(entry, "path"))
        if shape == PINNED:
            mapped.append((kind, path))
            continue
        files.append((kind, path.rstrip("/")))
        pointer = POINTERS.get(str(_field(entry, "storage")))
        if pointer is not None:
            pointers.append((kind, path.rstrip("/") + pointer))
    return files + pointers + mapped


def pinned_paths(doc: object) -> list[str]:
    """The repo paths a parsed manifest pins, sorted: what the commit hook watches for this model."""
    return sorted({path for _, path in pinned_by_kind(doc)})


def kind_of(doc: object, path: str) -> str:
    """The kind whose file (or pinned mapping) is at `path`; metadata for any other path."""
    return next((kind for kind, _, entry in pinned(doc) if _field(entry, "path") == path), "metadata")


def flags(command: str, kind: str | None = None) -> list[Flag]:
    """The options of `command` ("add" or "bump") that set a component (of `kind`, or of any), in registry order."""
    return [f for k in REGISTRY.kinds if kind in (None, k.name) for f in k.flags if command in f.commands]
