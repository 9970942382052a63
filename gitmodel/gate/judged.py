"""The judged-models index: what `check` found for each model of the work tree, kept for the next run.

`status`, `ls` and `check` on a repository where nothing moved answer from `<git dir>/gitmodel/judged.json`
instead of parsing every manifest and hashing every pinned file again. Loaded and saved through
`gitmodel.infra.cache` (stamped with its format and gitmodel's version: an upgrade rebuilds it; a missing,
corrupt or truncated file loads as empty; the save is one atomic replace, so a reader never sees half a file
and two writers each leave a whole one, every entry of which still carries its own key).

An entry is served only when every input it was judged from is provably the same, else the model is judged
again (and the entry replaced):

- for the whole run (`scope_key`): the config (its parsed value), what makes git store a file differently
  (`git config -l`, the attribute files outside the work tree, the `.gitattributes` blobs of the index — listed
  again only when the index file's signature moved);
- for each model: the manifest's stat signature (size, mtime, ctime, inode, device) and whether it is
  validated fully (it differs from HEAD); the same signature of every pinned path, of its DVC pointer and of
  the `.gitattributes` beside each directory above it (each of which must be a real directory); the release
  tags of the model and of its lineage parent.

A directory that held no `.gitattributes` is remembered with its own signature (mtime, ctime, inode, device):
while that holds, no entry was added to it, so there is still none to look for (one stat per directory, not
two); a directory whose attributes file exists has that file's signature read on every run.

A file modified less than `RACY_NS` ago is never stored (git's racy-clean rule: a write in the same tick keeps
size and mtime; the ctime in the signature catches an mtime put back with `touch -d`/`os.utime`), nor one
written after the run began to read; a pinned directory or symlink is never stored (its content is not in one
stat); an entry is stored only when decoding it gives back exactly the state that was judged.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import time
from os import lstat
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from gitmodel.infra import cache
from gitmodel.infra.hashing import RACY_NS
from gitmodel.model.components import pinned_by_kind
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.policy import Change
from gitmodel.model.semver import Level
from gitmodel.repo import git
from gitmodel.repo.tags import TagIndex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from gitmodel.gate.check import KeptState, ModelState
    from gitmodel.model.config import Config

FILE = "judged.json"
# a pinned file's signature in the pins digest: "+" then its size, mtime, ctime (signed: a file may predate
# 1970), inode and device; a missing file is "-"
_SIGNATURE = struct.Struct("<cqqqQQ")
# {"scope", "head", "attrs", "models": {manifest path: entry}, "dirs"}; 2: pins one digest; 3: of text; 4: dirs, parent;
# 5: manifests have kind and uses (the record's fields are stored by position), entries say "uses";
# 6: pins digest the repr of (path, chain, stat tuple); "head": HEAD's manifests tree of the "full" flags;
# "attrs": the index's signature and its attributes digest; "dirs" hold a signature, not [signature, "-"];
# 7: a state keeps its manifest as JSON text; 8: only the manifest's digest (read again from the file when
# needed), its version and weights' formats; an entry is [name, full, paths joined by NUL, pins, parent, uses,
# tags, state]; 9: pins digest packed signatures
FORMAT = 9


def scope_key(root: Path, git_dir: Path, cfg: Config, inputs: Inputs, attrs: str) -> str:
    """What every entry depends on: the config, and what makes git store a file's bytes differently (`attrs`:
    `index_attributes`). An attributes file too recent to trust makes a scope no later run matches."""
    digest = hashlib.sha256(repr(cfg).encode())
    listing = git.config_listing(root)
    digest.update(listing)
    digest.update(attrs.encode())
    named = [item.split(b"\n", 1)[1] for item in listing.split(b"\0")
             if item.lower().startswith(b"core.attributesfile\n")]
    global_attrs = os.fsdecode(named[-1]) if named else os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "git", "attributes")
    for path in (str(git_dir / "info" / "attributes"), os.path.expanduser(global_attrs)):
        sig = inputs.signature(path)
        if sig is None:
            return f"untrusted {inputs.since}"
        digest.update(f"{sig}\0".encode())
    return digest.hexdigest()


def index_attributes(root: Path, git_dir: Path, inputs: Inputs, kept: Any) -> tuple[str, list[str] | None]:
    """A digest of the `.gitattributes` entries of the index, and [the index file's signature, that digest]
    to keep: while the index file's signature is the kept one its entries are the same, and listing them
    (`git ls-files` of a 30,000-entry index: ~12 ms) is spared. Not kept for an index named by GIT_INDEX_FILE."""
    sig = None if os.environ.get("GIT_INDEX_FILE") else inputs.signature(str(git_dir / "index"))
    if sig is not None and sig != "-" and isinstance(kept, list) and len(kept) == 2 and kept[0] == sig \
            and isinstance(kept[1], str):
        return kept[1], kept
    digest = hashlib.sha256()
    for entry in sorted(git.ls_files_stage(root, [":(glob)**/.gitattributes"]).values()):
        digest.update(f"{entry.path}\0{entry.oid}\0".encode())
    text = digest.hexdigest()
    return text, [sig, text] if sig is not None and sig != "-" else None


class Inputs:
    """Stat signatures of one run, as text; each directory's chain (itself real, its `.gitattributes`) looked up once."""

    def __init__(self, root: Path, dirs: dict[str, Any] | None = None) -> None:
        self.root = str(root)
        # before anything is read: a file written during the run (18 s to judge 10,000 models) is never stored
        self.since = time.time_ns()
        self._chains: dict[str, str | None] = {}
        # directory → its signature, when it had no `.gitattributes` at that signature: adding a file to a
        # directory changes its mtime and ctime, so while the signature holds there is still none to stat
        self.dirs_before = dirs if isinstance(dirs, dict) else {}
        self.dirs: dict[str, str] = {}

    def signature(self, path: str) -> str | None:
        """lstat signature of a file as text, "-" when missing; None when it cannot be trusted: not a regular
        file, or modified later than RACY_NS before the run began to read (git's racy-clean rule)."""
        sig = self._stat(path)
        return sig if sig is None or sig == "-" else ",".join(map(str, sig))

    def _stat(self, path: str) -> tuple[int, ...] | str | None:
        """`signature`'s (size, mtime, ctime, inode, device) before it is written as text."""
        try:
            info = lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return "-"
        except OSError:
            return None
        if not S_ISREG(info.st_mode) or info.st_mtime_ns > self.since - RACY_NS:
            return None
        return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)

    def _chain(self, rel: str) -> str | None:
        """The signatures of the `.gitattributes` of `rel` and of each directory above it; None when one of
        them is not a real directory (a symlinked directory may be retargeted under an unchanged file)."""
        chains = self._chains
        if rel in chains:
            return chains[rel]
        above = self._chain(rel.rpartition("/")[0]) if rel else ""
        chain: str | None = None
        if above is not None:
            full = f"{self.root}/{rel}" if rel else self.root
            try:
                info = lstat(full)
            except (FileNotFoundError, NotADirectoryError):
                chain = f"{above}/-"  # missing, and so is everything below it
            except OSError:
                chain = None
            else:
                found = self._attributes(rel, full, info) if S_ISDIR(info.st_mode) else None
                chain = None if found is None else f"{above}/{found}"
        chains[rel] = chain
        return chain

    def _attributes(self, rel: str, full: str, info: os.stat_result) -> str | None:
        """The signature of the directory's `.gitattributes` ("-": none), without a look when the directory's own
        signature is the one it had when it held none."""
        sig = None
        if info.st_mtime_ns <= self.since - RACY_NS:  # git's racy rule, for the directory's listing
            sig = f"{info.st_mtime_ns},{info.st_ctime_ns},{info.st_ino},{info.st_dev}"
            if self.dirs_before.get(rel) == sig:
                self.dirs[rel] = sig
                return "-"
        found = self.signature(f"{full}/.gitattributes")
        if sig is not None and found == "-":
            self.dirs[rel] = sig
        return found

    def pins(self, paths: list[str]) -> str | None:
        """A digest of the signatures of `paths` and of the directories above them; None when one cannot be
        trusted. (One digest rather than the signatures: the index is read whole on every run.) The hot loop
        of `status` on an unchanged repository (five stats a model): each signature is packed as five
        integers (formatting them as text cost a 10,000-model `status` ~15 ms), the chains as text."""
        chains, root, stat_of = self._chains, self.root, self._stat
        packed = bytearray()
        chained: list[str] = []
        for path in paths:
            above = path.rpartition("/")[0]
            chain = chains[above] if above in chains else self._chain(above)
            sig = stat_of(f"{root}/{path}")
            if chain is None or sig is None:
                return None
            chained.append(chain)
            try:
                packed += b"-" if sig == "-" else _SIGNATURE.pack(b"+", *sig)
            except struct.error:
                return None  # a value no 64-bit field holds: not kept (judged again each run)
        digest = hashlib.blake2b(packed, digest_size=20)
        digest.update("\0".join(chained).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()


def pinned_paths(manifest_path: str, manifest: Manifest) -> list[str]:
    """Every path the work-tree check of this manifest reads: itself and what it pins — its files, their
    pointers and the pinned mappings, by the component registry's one walk (the hook's pins too)."""
    return [manifest_path, *(path for _, path in pinned_by_kind(manifest))]


def parent_name(manifest: Manifest) -> str | None:
    """The model the manifest's lineage names as its parent, if any."""
    from gitmodel.model.units import parse_release_ref

    parent = parse_release_ref((manifest.lineage or {}).get("parent")) if manifest.lineage else None
    return parent[0] if parent is not None else None


def tags_key(tags: TagIndex, name: str, parent: str | None, every: bool = False) -> str:
    """The release tags the model is judged against: its own, and its lineage parent's ("" when none); with
    `every` (the manifest `uses` other units), every release tag."""
    names = [name] if parent is None else [name, parent]
    if not every and not any(n in tags.releases or n in tags.deregistered for n in names):
        return ""
    parts: list[list[Any]] = []
    if every:  # a unit with references is judged through every release they lead to: any release counts
        names = sorted(set(tags.releases) | set(tags.deregistered))
    for n in names:
        parts.append([[r.tag, r.commit, r.message] for r in tags.releases.get(n, [])])
        parts.append(sorted(tags.deregistered.get(n, set())))
    if not any(parts):
        return ""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ encoding


def _level(level: Level | None) -> int | None:
    return None if level is None else int(level)


def _value(value: Any) -> Any:
    """A change's old or new value: a pinned file's entry is tagged (a value that only looks like one does
    not survive the round trip `record` makes, so it is never stored)."""
    return {"$file": list(value._values())} if isinstance(value, FileEntry) else value


def _unvalue(value: Any) -> Any:
    return FileEntry(*value["$file"]) if isinstance(value, dict) and list(value) == ["$file"] else value


def manifest_digest(manifest: Manifest) -> str:
    """What a kept state's manifest, read again from its file, must give back (its repr: every field)."""
    return hashlib.blake2b(repr(manifest).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()


def _encode(state: ModelState) -> list[Any]:
    """The state without its manifest: a kept state reads its manifest file again only when something reads it
    (KeptState); status, ls and check need only its version and its weights' formats, kept here. Keeping the
    manifests themselves made a 10,000-model index ~5.6 MB larger and ~25 ms slower to load."""
    m = state.manifest
    findings = [[f.model, f.rule, f.path, f.message, f.fix, _level(f.level), f.old, f.new, f.unreleased]
                for f in state.findings]
    changes = [[c.component, c.key, c.kind, _value(c.old), _value(c.new), int(c.level), c.note] for c in state.changes]
    return [state.name, manifest_digest(m), findings, changes, state.released, int(state.required), m.version,
            [list(pair) for pair in state.weight_formats()]]


_LEVELS = {int(level): level for level in Level}  # Level(n) through the enum's __call__ costs ~1 µs a state


def _parts(data: list[Any]) -> tuple[Any, ...]:
    name, digest, findings, changes, released, required, version, formats = data
    if type(digest) is not str or type(version) is not str:
        raise TypeError("not an entry this version writes")
    made: list[Any] = [[*f[:5], None if f[5] is None else Level(f[5]), *f[6:]] for f in findings] if findings else []
    moved: list[Any] = [[*c[:3], _unvalue(c[3]), _unvalue(c[4]), Level(c[5]), c[6]] for c in changes] if changes else []
    return name, digest, made, moved, released, _LEVELS[required], version, [(p, f) for p, f in formats]


def _decode(manifest: Manifest, manifest_path: str, data: list[Any]) -> ModelState:
    """The state `_encode` kept, with `manifest` (what `record` compares with the state it judged)."""
    from gitmodel.gate.check import Finding, ModelState

    name, _, made, moved, released, required, _, _ = _parts(data)
    return ModelState(name, manifest_path, manifest, [Finding(*f) for f in made], [Change(*c) for c in moved],
                      released, required)


def kept_state(root: str, manifest_path: str, data: list[Any]) -> KeptState:
    """The state `_encode` kept; its manifest is read again from the file on first read. Filled in directly,
    not through the record's `__init__` (10,000 of them on every `status`): the same fields, in the same dict."""
    from gitmodel.gate.check import Finding, KeptState

    name, digest, made, moved, released, required, version, formats = _parts(data)
    state = KeptState.__new__(KeptState)
    state.__dict__.update(name=name, manifest_path=manifest_path, manifest=None,
                          findings=[Finding(*f) for f in made], changes=[Change(*c) for c in moved],
                          released=released, required=required, _kept=(version, formats, root, digest))
    return state


def read_kept_manifest(root: str, manifest_path: str, digest: str) -> Manifest:
    """A kept state's manifest, read again from its file (unchanged since the run began: its stat signature
    was the kept one); one that no longer gives the judged manifest back is said, never served."""
    from pathlib import Path

    from gitmodel.infra.errors import InvalidInput
    from gitmodel.model import manifest as mf

    manifest = mf.load(Path(root) / manifest_path, where=manifest_path, full=False)
    if manifest_digest(manifest) != digest:
        raise InvalidInput("changed while gitmodel was reading it", where=manifest_path,
                           hint="run the command again")
    return manifest


class JudgedIndex:
    """The entries of one run: `reuse` what still holds, `record` what was judged again, `save` once.

    `head` is the id of HEAD's manifests tree the entries' "full" flags were decided against (a manifest is
    validated fully when its bytes differ from HEAD's: `changed_manifests`). While HEAD's tree is that one, a
    manifest whose stat is unchanged is still as full as it was, so a run where every model is kept asks git
    nothing about the manifests (`git diff HEAD` and `git ls-files --others` of a 30,000-entry index: ~40 ms).
    """

    def __init__(self, root: Path, git_dir: Path, cfg: Config) -> None:
        self.path = cache.cache_file(git_dir, FILE)
        data = cache.load(self.path, FORMAT)
        self.inputs = Inputs(root, data.get("dirs"))
        self.attrs_before = data.get("attrs")
        attrs, self.attrs = index_attributes(root, git_dir, self.inputs, self.attrs_before)
        self.scope = scope_key(root, git_dir, cfg, self.inputs, attrs)
        same = data.get("scope") == self.scope
        models = data.get("models") if same else None
        self.models: dict[str, Any] = models if isinstance(models, dict) else {}
        head = data.get("head") if same else None
        self.head: str | None = head if isinstance(head, str) else None
        self.dirty = False

    def reuse(self, manifest_paths: dict[str, str], full: set[str] | None, tags: TagIndex, *,
              head: str | None = None) -> dict[str, ModelState]:
        """name → state judged before, for each manifest (path → name) whose inputs are all unchanged. With
        `head` (HEAD's manifests tree, in place of `full`) each entry's own "full" flag stands when the
        entries were decided against that tree; otherwise nothing is kept (ask git, then call again)."""
        out: dict[str, ModelState] = {}
        if head is not None and head != self.head:
            return out
        for path, name in manifest_paths.items():
            entry = self.models.get(path)
            if not isinstance(entry, list):
                continue
            try:
                kept_name, kept_full, paths, pins, parent, uses, tags_digest, data = entry
                if (kept_name != name or not isinstance(kept_full, bool)
                        or (head is None and kept_full != (full is None or path in full))
                        or self.inputs.pins(paths.split("\0")) != pins
                        or tags_key(tags, name, parent, uses) != tags_digest):
                    continue
                state = kept_state(self.inputs.root, path, data)
                if state.name != name:
                    continue
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # not an entry this version writes: judge the model again
            out[name] = state
        return out

    def decided(self, head: str | None, *, every_model: bool) -> None:
        """The run's entries were judged with "full" decided against HEAD's manifests tree `head` (None: not
        by HEAD — the caller named them). Kept only when every entry was: a run over some models leaves the
        others' flags unchecked against a tree that moved."""
        new = head if every_model or head == self.head else None
        self.dirty = self.dirty or new != self.head
        self.head = new

    def record(self, state: ModelState, full: bool, tags: TagIndex, warnings: list[str]) -> None:
        """Keep `state` for the next run when its inputs can be trusted and it survives the round trip."""
        path = state.manifest_path
        self.models.pop(path, None)
        self.dirty = True
        if warnings:
            return  # a warning of this model (an unreadable release) is said again each run
        paths = pinned_paths(path, state.manifest)
        pins = self.inputs.pins(paths)
        if pins is None:
            return
        try:
            encoded = json.loads(json.dumps(_encode(state)))
            if (_decode(state.manifest, path, encoded) != state
                    or _parts(encoded)[6:] != (state.version, state.weight_formats())):
                return  # a value JSON does not give back (a tuple, a date): judged again each run
        except (TypeError, ValueError):
            return
        parent, uses = parent_name(state.manifest), bool(state.manifest.uses)
        # a list, not an object, and the paths as one text: 10,000 entries load ~11 ms sooner
        self.models[path] = [state.name, full, "\0".join(paths), pins, parent, uses,
                             tags_key(tags, state.name, parent, uses), encoded]

    def forget_missing(self, present: set[str]) -> None:
        gone = set(self.models) - present
        for path in gone:
            del self.models[path]
        self.dirty = self.dirty or bool(gone)

    def save(self, *, every_model: bool = False) -> None:
        """Write the index when anything changed; `every_model` (a run over all of them): forget the
        directories no model of this run lies in."""
        seen = self.inputs.dirs
        dirs = seen if every_model else {**self.inputs.dirs_before, **seen}
        if self.dirty or dirs != self.inputs.dirs_before or self.attrs != self.attrs_before:
            cache.save(self.path, FORMAT, {"scope": self.scope, "head": self.head, "attrs": self.attrs,
                                           "models": self.models, "dirs": dirs})
