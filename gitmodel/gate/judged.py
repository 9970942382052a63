"""The judged-models index: what `check` found for each model of the work tree, kept for the next run.

`status`, `ls` and `check` on a repository where nothing moved answer from `<git dir>/gitmodel/judged.json`
instead of parsing every manifest and hashing every pinned file again. Loaded and saved through
`gitmodel.infra.cache` (stamped with its format and gitmodel's version: an upgrade rebuilds it; a missing,
corrupt or truncated file loads as empty; the save is one atomic replace, so a reader never sees half a file
and two writers each leave a whole one, every entry of which still carries its own key).

An entry is served only when every input it was judged from is provably the same, else the model is judged
again (and the entry replaced):

- for the whole run (`scope_key`): the config (its parsed value), what makes git store a file differently
  (`git config -l`, the attribute files outside the work tree, the `.gitattributes` blobs of the index);
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
import stat
import time
from pathlib import Path

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

    from gitmodel.gate.check import ModelState
    from gitmodel.model.config import Config

FILE = "judged.json"
# {"scope", "models": {manifest path: entry}, "dirs"}; 2: pins one digest; 3: of text; 4: dirs, parent;
# 5: manifests have kind and uses (the record's fields are stored by position), entries say "uses"
FORMAT = 5
FILE_KINDS = ("weights", "data", "prompts")
_FILES_AT = tuple(at for at, key in enumerate(Manifest._fields) if key in FILE_KINDS)


def scope_key(root: Path, git_dir: Path, cfg: Config, inputs: Inputs) -> str:
    """What every entry depends on: the config, and what makes git store a file's bytes differently. An
    attributes file too recent to trust makes a scope no later run matches."""
    digest = hashlib.sha256(repr(cfg).encode())
    listing = git.config_listing(root)
    digest.update(listing)
    for entry in sorted(git.ls_files_stage(root, [":(glob)**/.gitattributes"]).values()):
        digest.update(f"{entry.path}\0{entry.oid}\0".encode())
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


class Inputs:
    """Stat signatures of one run, as text; each directory's chain (itself real, its `.gitattributes`) looked up once."""

    def __init__(self, root: Path, dirs: dict[str, Any] | None = None) -> None:
        self.root = str(root)
        # before anything is read: a file written during the run (18 s to judge 10,000 models) is never stored
        self.since = time.time_ns()
        self._chains: dict[str, str | None] = {}
        # directory → [its signature, "-"] when it had no `.gitattributes` at that signature: adding a file to a
        # directory changes its mtime and ctime, so while the signature holds there is still none to stat
        self.dirs_before = dirs if isinstance(dirs, dict) else {}
        self.dirs: dict[str, list[str]] = {}

    def signature(self, path: str) -> str | None:
        """lstat signature of a file as text, "-" when missing; None when it cannot be trusted: not a regular
        file, or modified later than RACY_NS before the run began to read (git's racy-clean rule)."""
        try:
            info = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return "-"
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or info.st_mtime_ns > self.since - RACY_NS:
            return None
        return f"{info.st_size},{info.st_mtime_ns},{info.st_ctime_ns},{info.st_ino},{info.st_dev}"

    def _chain(self, rel: str) -> str | None:
        """The signatures of the `.gitattributes` of `rel` and of each directory above it; None when one of
        them is not a real directory (a symlinked directory may be retargeted under an unchanged file)."""
        if rel in self._chains:
            return self._chains[rel]
        above = self._chain(rel.rpartition("/")[0]) if rel else ""
        chain: str | None = None
        if above is not None:
            full = f"{self.root}/{rel}" if rel else self.root
            try:
                info = os.lstat(full)
            except (FileNotFoundError, NotADirectoryError):
                chain = f"{above}/-"  # missing, and so is everything below it
            except OSError:
                chain = None
            else:
                found = self._attributes(rel, full, info) if stat.S_ISDIR(info.st_mode) else None
                chain = None if found is None else f"{above}/{found}"
        self._chains[rel] = chain
        return chain

    def _attributes(self, rel: str, full: str, info: os.stat_result) -> str | None:
        """The signature of the directory's `.gitattributes` ("-": none), without a look when the directory's own
        signature is the one it had when it held none."""
        sig = None
        if info.st_mtime_ns <= self.since - RACY_NS:  # git's racy rule, for the directory's listing
            sig = f"{info.st_mtime_ns},{info.st_ctime_ns},{info.st_ino},{info.st_dev}"
            if self.dirs_before.get(rel) == [sig, "-"]:
                self.dirs[rel] = [sig, "-"]
                return "-"
        found = self.signature(f"{full}/.gitattributes")
        if sig is not None and found == "-":
            self.dirs[rel] = [sig, "-"]
        return found

    def pins(self, paths: list[str]) -> str | None:
        """A digest of the signatures of `paths` and of the directories above them; None when one cannot be
        trusted. (One digest rather than the signatures: the index is read whole on every run.)"""
        out: list[str] = []
        for path in paths:
            chain = self._chain(path.rpartition("/")[0])
            sig = self.signature(f"{self.root}/{path}")
            if chain is None or sig is None:
                return None
            out.append(f"{path}\0{chain}\0{sig}")
        return hashlib.blake2b("\n".join(out).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()


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


def _encode(state: ModelState) -> list[Any]:
    m = state.manifest
    values: list[Any] = list(m._values())
    manifest = [[[getattr(e, f) for f in FileEntry._fields] for e in value] if key in FILE_KINDS else value
                for key, value in zip(Manifest._fields, values, strict=True)]
    findings = [[f.model, f.rule, f.path, f.message, f.fix, _level(f.level), f.old, f.new, f.unreleased]
                for f in state.findings]
    changes = [[c.component, c.key, c.kind, _value(c.old), _value(c.new), int(c.level), c.note] for c in state.changes]
    return [state.name, manifest, findings, changes, state.released, int(state.required)]


def _decode(manifest_path: str, data: list[Any]) -> ModelState:
    from gitmodel.gate.check import Finding, ModelState

    name, fields, findings, changes, released, required = data
    values: list[Any] = list(fields)
    for at in _FILES_AT:
        values[at] = tuple(FileEntry(*e) for e in values[at])
    made: list[Any] = [[*f[:5], None if f[5] is None else Level(f[5]), *f[6:]] for f in findings]
    moved: list[Any] = [[*c[:3], _unvalue(c[3]), _unvalue(c[4]), Level(c[5]), c[6]] for c in changes]
    return ModelState(name, manifest_path, Manifest(*values), [Finding(*f) for f in made],
                      [Change(*c) for c in moved], released, Level(required))


class JudgedIndex:
    """The entries of one run: `reuse` what still holds, `record` what was judged again, `save` once."""

    def __init__(self, root: Path, git_dir: Path, cfg: Config) -> None:
        self.path = cache.cache_file(git_dir, FILE)
        data = cache.load(self.path, FORMAT)
        self.inputs = Inputs(root, data.get("dirs"))
        self.scope = scope_key(root, git_dir, cfg, self.inputs)
        models = data.get("models") if data.get("scope") == self.scope else None
        self.models: dict[str, Any] = models if isinstance(models, dict) else {}
        self.dirty = False

    def reuse(self, manifest_paths: dict[str, str], full: set[str] | None, tags: TagIndex
              ) -> dict[str, ModelState]:
        """name → state judged before, for each manifest (path → name) whose inputs are all unchanged."""
        out: dict[str, ModelState] = {}
        for path, name in manifest_paths.items():
            entry = self.models.get(path)
            if not isinstance(entry, dict):
                continue
            try:
                if (entry["full"] != (full is None or path in full) or entry["name"] != name
                        or self.inputs.pins(entry["paths"]) != entry["pins"]
                        or tags_key(tags, name, entry["parent"], entry["uses"]) != entry["tags"]):
                    continue
                state = _decode(path, entry["state"])
                if state.name != name:
                    continue
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # not an entry this version writes: judge the model again
            out[name] = state
        return out

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
            if _decode(path, encoded) != state:
                return  # a value JSON does not give back (a tuple, a date): judged again each run
        except (TypeError, ValueError):
            return
        parent, uses = parent_name(state.manifest), bool(state.manifest.uses)
        self.models[path] = {"name": state.name, "full": full, "paths": paths, "pins": pins, "parent": parent,
                             "uses": uses, "tags": tags_key(tags, state.name, parent, uses), "state": encoded}

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
        if self.dirty or dirs != self.inputs.dirs_before:
            cache.save(self.path, FORMAT, {"scope": self.scope, "models": self.models, "dirs": dirs})
