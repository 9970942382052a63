"""`add` and `bump`: pin files into a manifest, tracking large or binary ones through DVC."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitmodel import git, manifest as mf, semver, validated
from gitmodel.check import released_manifest
from gitmodel.config import Config, load_config
from gitmodel.errors import InvalidInput, Refused
from gitmodel.fileio import load_yaml, read_capped
from gitmodel.formats import detect_format
from gitmodel.hashing import HashCache
from gitmodel.manifest import FileEntry, Manifest
from gitmodel.names import normalize_repo_path, validate_name
from gitmodel.pointers import parse_pointer, pointer_path
from gitmodel.policy import Change, diff_manifests, reasons, required_level
from gitmodel.semver import Level
from gitmodel.tags import read_tags

DVC_THRESHOLD = 1024 * 1024  # bytes: larger files go through DVC by default
SCHEMA_REF = "https://gitmodel.dev/schemas/manifest.v1.json"


@dataclass
class FileSpec:
    path: str
    component: str
    storage: str
    role: str | None = None


@dataclass
class AddResult:
    name: str
    manifest_path: str
    manifest: Manifest
    staged: list[str]


@dataclass
class BumpResult:
    name: str
    manifest_path: str
    old_version: str
    new_version: str
    released: str | None
    level: Level
    changes: list[Change] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    retracked: list[str] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)


def _looks_binary(path: Path) -> bool:
    """NUL bytes or not UTF-8 in the first 8 KiB (a multi-byte character cut at the end is fine)."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 3
    return False


def choose_storage(root: Path, path: str, forced: str | None) -> str:
    """Forced by --git/--dvc/--lfs; else LFS when .gitattributes says so, DVC for large/binary/dirs."""
    if forced:
        return forced
    full = root / path
    if git.is_tracked(root, path) and not full.is_dir():
        return "lfs" if _lfs_routed(root, path) else "git"
    if _lfs_routed(root, path):
        return "lfs"
    if full.is_dir():
        return "dvc"
    if full.stat().st_size > DVC_THRESHOLD or _looks_binary(full):
        return "dvc"
    return "git"


def _lfs_routed(root: Path, path: str) -> bool:
    result = git.run(root, "check-attr", "filter", "--", path, check=False)
    return result.returncode == 0 and result.text.strip().endswith(": lfs")


def _schema_from_file(root: Path, raw: str) -> dict[str, Any]:
    path = normalize_repo_path(raw, root, where="--schema", must_exist=True) if not Path(raw).is_absolute() \
        else raw
    full = Path(path) if Path(path).is_absolute() else root / path
    data = load_yaml(full, where=str(raw))  # JSON is YAML
    if not isinstance(data, dict) or not set(data) <= {"inputs", "outputs"}:
        raise InvalidInput("expected a mapping with inputs and/or outputs (JSON Schema each)", where=f"{raw}: (top level)")
    for key, value in data.items():
        if not isinstance(value, dict):
            raise InvalidInput("must be a JSON Schema object", where=f"{raw}: {key}")
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    for key, value in data.items():
        try:
            validator_for(value).check_schema(value)
        except SchemaError as exc:
            raise InvalidInput(f"not a valid JSON Schema: {exc.message}", where=f"{raw}: {key}") from None
    return data


def metrics_from_file(root: Path, raw: str) -> dict[str, Any]:
    """A flat mapping of metric name → number (JSON or YAML), as training scripts write them."""
    full = Path(raw) if Path(raw).is_absolute() else root / raw
    data = load_yaml(full, where=raw)
    if not isinstance(data, dict) or not data:
        raise InvalidInput("expected a mapping of metric name to number", where=f"{raw}: (top level)")
    for key, value in data.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidInput(f"{value!r} is not a number", where=f"{raw}: {key}")
    return {str(k): v for k, v in data.items()}


def _params_from_file(root: Path, path: str, cache: HashCache) -> tuple[dict[str, Any], dict[str, Any] | None]:
    full = root / path
    data = load_yaml(full, where=path) if full.suffix in (".yaml", ".yml", ".json") else None
    pinned = {"path": path, "sha256": cache.sha256(full)}
    inline = data if isinstance(data, dict) and len(json.dumps(data, default=str)) < 16_384 else None
    return pinned, inline


def _entries(root: Path, specs: Sequence[FileSpec], cache: HashCache) -> dict[str, FileEntry]:
    """Hash, DVC-track and describe every file; DVC runs once for all of them."""
    dvc_paths = [s.path for s in specs if s.storage == "dvc"]
    if dvc_paths:
        from gitmodel import storage

        if not storage.is_dvc_repo(root):
            raise InvalidInput("not a DVC repository, and these files go through DVC: " + ", ".join(dvc_paths),
                               where=str(root / ".dvc"), hint="run `gitmodel init` first (or pass --git PATH)")
        untracked = [p for p in dvc_paths if git.is_tracked(root, p)]
        if untracked:
            raise InvalidInput(f"{untracked[0]} is tracked by git, so DVC cannot track it", where=untracked[0],
                               hint=f"pass --git {untracked[0]}, or `git rm --cached {untracked[0]}` first")
        storage.track(root, dvc_paths)
    out: dict[str, FileEntry] = {}
    for spec in specs:
        full = root / spec.path
        digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
        size = sum(p.stat().st_size for p in full.rglob("*") if p.is_file()) if full.is_dir() else full.stat().st_size
        md5 = nfiles = None
        if spec.storage == "dvc":
            ptr = pointer_path(spec.path)
            pointer = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr)
            md5, nfiles = pointer.md5, pointer.nfiles
        fmt = detect_format(full) if spec.component == "weights" else None
        out[spec.path] = FileEntry(path=spec.path, sha256=digest, size=size, storage=spec.storage, md5=md5,
                                   format=fmt, role=spec.role, nfiles=nfiles)
    return out


def _stage(root: Path, paths: list[str]) -> list[str]:
    """Stage what a commit of this model needs: manifest, pointers, .gitignore files, git-stored files."""
    todo = []
    for p in dict.fromkeys(paths):
        if (root / p).exists() or git.is_tracked(root, p):
            todo.append(p)
    git.add(root, todo)
    return todo


def _tracking_paths(root: Path, entries: Sequence[FileEntry]) -> list[str]:
    paths = []
    for e in entries:
        if e.storage == "dvc":
            paths.append(pointer_path(e.path))
            ignore = (Path(e.path).parent / ".gitignore").as_posix()
            if (root / ignore).exists():
                paths.append(ignore)
        else:
            paths.append(e.path)
    return paths


def add_model(root: Path, name: str, *, weights: Sequence[str], data: Sequence[str] = (),
              prompts: Sequence[str] = (), params_file: str | None = None, version: str = "0.1.0",
              description: str | None = None, schema_file: str | None = None,
              force_git: Sequence[str] = (), force_dvc: Sequence[str] = (), force_lfs: Sequence[str] = (),
              metrics_file: str | None = None, stage: bool = True) -> AddResult:
    """Create `models/NAME.yaml` pinning the given files."""
    validate_name(name)
    semver.parse(version, where="--version")
    cfg = load_config(root)
    manifest_path = cfg.manifest_path(name)
    if (root / manifest_path).exists():
        raise InvalidInput("model already exists", where=manifest_path,
                           hint=f"use `gitmodel bump {name}` to update it")
    if not weights:
        raise InvalidInput("at least one --weights file is required", where="--weights")
    forced: dict[str, str] = {}
    for flag, storage_name, paths in (("--git", "git", force_git), ("--dvc", "dvc", force_dvc),
                                      ("--lfs", "lfs", force_lfs)):
        for raw in paths:
            forced[normalize_repo_path(raw, root, where=flag)] = storage_name
    specs: list[FileSpec] = []
    seen: set[str] = set()
    for component, flag, raws in (("weights", "--weights", weights), ("data", "--data", data),
                                  ("prompts", "--prompt", prompts)):
        for raw in raws:
            path = normalize_repo_path(raw, root, where=flag, must_exist=True)
            if path in seen:
                raise InvalidInput(f"{path} is given twice", where=flag)
            seen.add(path)
            if (root / path).is_dir() and component != "data":
                raise InvalidInput(f"{path} is a directory; only --data may be a directory", where=flag)
            if component == "prompts" and forced.get(path) is None and not (root / path).is_dir():
                forced.setdefault(path, "git" if not _looks_binary(root / path) else "dvc")
            specs.append(FileSpec(path, component, choose_storage(root, path, forced.get(path)),
                                  role="train" if component == "data" else None))
    for path in forced:
        if path not in seen:
            raise InvalidInput(f"{path} is not one of the model's files", where="--git/--dvc/--lfs")
    params_path = normalize_repo_path(params_file, root, where="--params", must_exist=True) if params_file else None
    schema = _schema_from_file(root, schema_file) if schema_file else None
    metrics = metrics_from_file(root, metrics_file) if metrics_file else None
    cache = HashCache(git.git_dir(root), root)
    # Validate everything before touching anything: DVC writes pointers, so it runs last.
    entries = _entries(root, specs, cache)
    pinned, inline = _params_from_file(root, params_path, cache) if params_path else (None, None)
    manifest = Manifest(
        name=name, version=version, description=description,
        weights=tuple(entries[s.path] for s in specs if s.component == "weights"),
        data=tuple(entries[s.path] for s in specs if s.component == "data"),
        prompts=tuple(entries[s.path] for s in specs if s.component == "prompts"),
        params=inline, params_file=pinned, schema=schema, metrics=metrics,
    )
    mf.validate_schema(manifest.to_dict(), where=manifest_path)
    mf.save(manifest, root / manifest_path, schema_ref=SCHEMA_REF)
    validated.remember_file(git.git_dir(root), root / manifest_path)  # the hook then skips jsonschema
    cache.save()
    staged = _stage(root, [manifest_path, *_tracking_paths(root, entries.values()),
                           *([params_path] if params_path else [])]) if stage else []
    return AddResult(name, manifest_path, manifest, staged)


def _refresh_entry(root: Path, component: str, entry: FileEntry, cache: HashCache, retrack: list[str]
                   ) -> FileEntry | None:
    """The entry with current hashes, or None when its DVC file must be re-added first."""
    full = root / entry.path
    if entry.storage == "dvc":
        ptr = pointer_path(entry.path)
        if not full.exists():
            if not (root / ptr).exists():
                raise InvalidInput(f"{entry.path} and its pointer {ptr} are both missing",
                                   where=entry.path, hint="restore the file or remove it from the manifest")
            pointer = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr)
            if pointer.md5 == entry.md5:
                return entry  # not pulled here, but unchanged
            raise InvalidInput(f"{entry.path} is not in the workspace and its pointer changed",
                               where=entry.path, hint="run `gitmodel pull` (or `dvc checkout`) first")
        digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
        pointer_md5 = None
        if (root / ptr).exists():
            pointer_md5 = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr).md5
        if digest != entry.sha256 or pointer_md5 is None or pointer_md5 != entry.md5:
            retrack.append(entry.path)
            return None
        return entry
    if not full.exists():
        raise InvalidInput(f"{component} file {entry.path} is missing", where=entry.path,
                           hint="restore it, or edit the manifest to drop it")
    digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
    if digest == entry.sha256:
        return entry
    size = full.stat().st_size if full.is_file() else entry.size
    fmt = detect_format(full) if component == "weights" else entry.format
    return replace(entry, sha256=digest, size=size, format=fmt)


def bump_model(root: Path, name: str, *, floor: Level = Level.NONE, schema_file: str | None = None,
               metrics_file: str | None = None, stage: bool = True, cfg: Config | None = None) -> BumpResult:
    """Make a manifest fresh (re-track, rehash) and set the version its changes require."""
    validate_name(name)
    cfg = cfg or load_config(root)
    manifest_path = cfg.manifest_path(name)
    if not (root / manifest_path).exists():
        raise InvalidInput("no such model", where=manifest_path, hint=f"create it with `gitmodel add {name} ...`")
    current = mf.load(root / manifest_path)
    cache = HashCache(git.git_dir(root), root)
    retrack: list[str] = []
    refreshed: dict[str, FileEntry | None] = {}
    for component, entry in current.files():
        refreshed[entry.path] = _refresh_entry(root, component, entry, cache, retrack)
    if retrack:
        from gitmodel import storage

        storage.track(root, retrack)
        refreshed.update(_describe_dvc(root, [(c, e) for c, e in current.files() if refreshed[e.path] is None],
                                       cache))
    updates: dict[str, Any] = {
        comp: tuple(refreshed[e.path] or e for e in getattr(current, comp)) for comp in mf.FILE_COMPONENTS
    }
    if current.params_file:
        pinned, inline = _params_from_file(root, current.params_file["path"], cache)
        updates["params_file"] = {**current.params_file, **pinned}
        if inline is not None:
            updates["params"] = inline
    env = current.environment
    if env and isinstance(env.get("lock"), dict) and (root / env["lock"]["path"]).exists():
        updates["environment"] = {**env, "lock": {**env["lock"], "sha256": cache.sha256(root / env["lock"]["path"])}}
    if schema_file:
        updates["schema"] = _schema_from_file(root, schema_file)
    if metrics_file:
        updates["metrics"] = metrics_from_file(root, metrics_file)
    updated = replace(current, **updates)
    tags = read_tags(root)
    released = released_manifest(root, cfg, tags, name)
    latest = tags.latest(name)
    changes: list[Change] = []
    if latest is not None:
        if released is not None and released[1] is not None:
            changes = diff_manifests(released[1], updated, cfg.policy)
        level = max(required_level(changes), floor)
        new_version = str(next_version(updated.semver, latest.version, level))
    else:
        level = floor
        new_version = str(updated.semver.bump(floor)) if floor != Level.NONE else updated.version
    updated = updated.with_version(new_version)
    if tags.release(name, updated.semver) is not None and changes:
        raise Refused(f"version {new_version} is already released", where=f"{manifest_path}: version",
                      hint=f"raise it with `gitmodel bump {name} --patch`")
    if updated != current:
        mf.validate_schema(updated.to_dict(), where=manifest_path)
        mf.save(updated, root / manifest_path, schema_ref=SCHEMA_REF)
        validated.remember_file(git.git_dir(root), root / manifest_path)  # the hook then skips jsonschema
    cache.save()
    all_entries = [e for _, e in updated.files()]
    staged = _stage(root, [manifest_path, *_tracking_paths(root, all_entries),
                           *([updated.params_file["path"]] if updated.params_file else [])]) if stage else []
    why = reasons(changes, required_level(changes)) if changes else []
    if floor > required_level(changes):
        why.append(f"--{floor} requested")
    return BumpResult(name, manifest_path, current.version, new_version,
                      str(latest.version) if latest else None, level, changes, why, retrack, staged)


def next_version(current: semver.Version, released: semver.Version, level: Level) -> semver.Version:
    """Keep `current` when it already satisfies `level` against the release; else release + level."""
    if level == Level.NONE:
        return current if current >= released else released
    if semver.meets(current, released, level):
        return current
    return released.bump(level)


def _describe_dvc(root: Path, items: list[tuple[str, FileEntry]], cache: HashCache) -> dict[str, FileEntry | None]:
    out: dict[str, FileEntry | None] = {}
    for component, entry in items:
        full = root / entry.path
        ptr = pointer_path(entry.path)
        pointer = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr)
        digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
        size = full.stat().st_size if full.is_file() else (pointer.size or entry.size)
        fmt = detect_format(full) if component == "weights" else entry.format
        out[entry.path] = replace(entry, sha256=digest, size=size, md5=pointer.md5, nfiles=pointer.nfiles,
                                  format=fmt)
    return out
