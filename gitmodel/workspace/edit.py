"""`add` and `bump`: pin files into a manifest, tracking large or binary ones through DVC."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import ExternalFailure, InvalidInput, Refused
from gitmodel.infra.fileio import load_yaml, safe_target
from gitmodel.infra.hashing import HashCache
from gitmodel.model import components, semver
from gitmodel.model import manifest as mf
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.names import normalize_repo_path, validate_name
from gitmodel.model.policy import Change, diff_manifests, reasons, required_level
from gitmodel.model.records import replace
from gitmodel.model.semver import Level
from gitmodel.repo import git
from gitmodel.repo.reading import released_manifest
from gitmodel.repo.tags import TagIndex, read_tags
from gitmodel.storage import lfs
from gitmodel.storage.dvc_pointers import pointer_path
from gitmodel.storage.pinning import (
    FileSpec,
    choose_storage,
    describe_dvc,
    git_file_sha256,
    looks_binary,
    pin_files,
    refresh_entry,
    track_while_hashing,
)

SCHEMA_REF = mf.SCHEMA_IN_REPO  # written relative to each manifest (gitmodel/model/manifest.py)
# What a data file is for (`--data-role PATH=ROLE`); the card reports metrics only against held-out roles.
DATA_ROLES = ("train", "validation", "eval", "test", "other")


@dataclass
class AddResult:
    name: str
    manifest_path: str
    manifest: Manifest
    staged: list[str]
    notes: list[str] = field(default_factory=list)


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


def data_roles(root: Path, raws: Sequence[str]) -> dict[str, str]:
    """`PATH=ROLE` pairs (from --data-role) as {repo path: role}."""
    roles: dict[str, str] = {}
    for raw in raws:
        path, sep, role = raw.rpartition("=")
        if not sep or not path.strip():
            raise InvalidInput(f"{raw!r} is not PATH=ROLE", where="--data-role", hint="e.g. --data-role data/test.csv=test")
        role = role.strip().lower()
        if role not in DATA_ROLES:
            raise InvalidInput(f"unknown role {role!r}", where="--data-role", hint="one of " + ", ".join(DATA_ROLES))
        roles[normalize_repo_path(path, root, where="--data-role")] = role
    return roles


def _unknown_role_paths(roles: Mapping[str, str], data_paths: Iterable[str], name: str) -> None:
    stray = sorted(set(roles) - set(data_paths))
    if stray:
        raise InvalidInput(f"{stray[0]} is not one of {name}'s data files", where="--data-role",
                           hint=f"pass it with --data {stray[0]} too" if name else None)


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
    pinned = {"path": path, "sha256": git_file_sha256(full, cache)}
    inline = data if isinstance(data, dict) and len(json.dumps(data, default=str)) < 16_384 else None
    return pinned, inline


def _stage(root: Path, paths: list[str]) -> list[str]:
    """Stage what a commit of this model needs: manifest, pointers, .gitignore files, git-stored files."""
    todo = []
    for p in dict.fromkeys(paths):
        if (root / p).exists() or git.is_tracked(root, p):
            todo.append(p)
    git.add(root, todo)
    return todo


def _tracking_paths(root: Path, entries: Iterable[FileEntry]) -> list[str]:
    paths = []
    for e in entries:
        if e.storage == "dvc":
            paths.append(pointer_path(e.path))
            ignore = (Path(e.path).parent / ".gitignore").as_posix()
            if (root / ignore).exists():
                paths.append(ignore)
        else:
            paths.append(e.path)
            if e.storage == "lfs" and (root / ".gitattributes").exists():
                paths.append(".gitattributes")
    return paths


def _extra_paths(m: Manifest) -> list[str]:
    """Pinned git files beside the model's files: the params file and the environment lock."""
    return [path for _, path, _ in m.pinned_extras()]


def _stage_model(root: Path, manifest_path: str, m: Manifest, extra: Sequence[str] = ()) -> list[str]:
    """Stage the manifest, what it pins and `extra`, then check each LFS file went in as the pointer it should."""
    staged = _stage(root, [manifest_path, *_tracking_paths(root, [e for _, e in m.files()]), *_extra_paths(m),
                           *extra, *(p for p in mf.SCHEMA_COPIES if not git.is_tracked(root, p))])
    lfs.verify_staged(root, [(e.path, e.sha256) for _, e in m.files() if e.storage == "lfs"])
    return staged


def _preflight(root: Path, manifest_path: str, *, stage: bool) -> None:
    """Refuse before anything is written: a manifest directory that leads out of the repo (exit 2), a
    locked git index that would fail the final `git add` (exit 3, naming the lock file)."""
    safe_target(root, manifest_path, where=manifest_path)
    lock = git.git_dir(root) / "index.lock"
    if stage and lock.exists():
        raise ExternalFailure("git's index is locked: another git command is running, or one crashed",
                              where=str(lock), hint=f"if no git command is running, remove {lock}, then retry")


@contextlib.contextmanager
def _all_or_nothing(root: Path, paths: Iterable[str]) -> Iterator[None]:
    """Put these files back as they were (or remove them) when the block fails: nothing half-done."""
    before = {p: (root / p).read_bytes() if (root / p).is_file() else None for p in dict.fromkeys(paths)}
    try:
        yield
    except BaseException:
        for path, data in before.items():
            with contextlib.suppress(OSError):
                if data is None:
                    (root / path).unlink(missing_ok=True)
                elif (root / path).read_bytes() != data:
                    (root / path).write_bytes(data)
        raise


def _refuse_links(root: Path, path: str, flag: str) -> None:
    """A model file that is itself a symlink is refused: git would store the link, not the bytes the
    manifest pins, and the commit hook would then block every commit of it."""
    if os.path.islink(root / path):
        raise InvalidInput(f"{path} is a symlink; gitmodel pins files, not links", where=flag,
                           hint="pin the file it points to, or replace the link with a copy")


def _undo_paths(root: Path, manifest_path: str, dvc_paths: Iterable[str]) -> list[str]:
    """What add/bump may write: the manifest, dvc.yaml, and each DVC file's pointer and .gitignore."""
    paths = [manifest_path, "dvc.yaml"]
    for path in dvc_paths:
        paths += [pointer_path(path), (Path(path).parent / ".gitignore").as_posix()]
    return paths


def add_model(root: Path, name: str, *, weights: Sequence[str], data: Sequence[str] = (),
              prompts: Sequence[str] = (), params_file: str | None = None, version: str = "0.1.0",
              description: str | None = None, schema_file: str | None = None,
              force_git: Sequence[str] = (), force_dvc: Sequence[str] = (), force_lfs: Sequence[str] = (),
              metrics_file: str | None = None, stage: bool = True, schema: dict[str, Any] | None = None,
              environment: dict[str, Any] | None = None, formats: Mapping[str, str] | None = None,
              parent: str | None = None, base_model: str | None = None,
              roles: Mapping[str, str] | None = None) -> AddResult:
    """Create `models/NAME.yaml` pinning the given files (data files with `roles`, else `train`)."""
    validate_name(name)
    semver.parse(version, where="--version")
    cfg = load_config(root)
    manifest_path = cfg.manifest_path(name)
    _preflight(root, manifest_path, stage=stage)
    if (root / manifest_path).exists():
        raise InvalidInput("model already exists", where=manifest_path,
                           hint=f"use `gitmodel bump {name}` to update it")
    if not weights:
        raise InvalidInput("at least one --weights file is required", where="--weights",
                           hint="pass --weights PATH (or --from-mlflow DIR)")
    forced: dict[str, str] = {}
    for flag, storage_name, paths in (("--git", "git", force_git), ("--dvc", "dvc", force_dvc),
                                      ("--lfs", "lfs", force_lfs)):
        for raw in paths:
            forced[normalize_repo_path(raw, root, where=flag)] = storage_name
    specs: list[FileSpec] = []
    seen: set[str] = set()
    moved: list[str] = []  # files git tracks today that go to DVC: untracked (`git rm --cached`) first
    given = {"weights": weights, "data": data, "prompts": prompts}
    for component in components.REGISTRY.file_kinds:
        flag = components.flags("add", component)[0].decls[0]  # --weights, --data, --prompt
        for raw in given.get(component, ()):
            path = normalize_repo_path(raw, root, where=flag, must_exist=True)
            _refuse_links(root, path, flag)
            if path in seen:
                raise InvalidInput(f"{path} is given twice", where=flag)
            seen.add(path)
            if (root / path).is_dir() and component != "data":
                raise InvalidInput(f"{path} is a directory; only --data may be a directory", where=flag)
            if component == "prompts" and forced.get(path) is None and not (root / path).is_dir():
                forced.setdefault(path, "git" if not looks_binary(root / path) else "dvc")
            if component == "weights" and forced.get(path) is None and not lfs.routed(root, path):
                # weights are the artifact DVC exists for: even a small file goes through it by default, and
                # one already committed to git (adoption) moves to DVC unless --git keeps it there
                if git.is_tracked(root, path):
                    moved.append(path)
                forced[path] = "dvc"
            if component == "data" and forced.get(path) is None and git.is_tracked(root, path) \
                    and choose_storage(root, path, None, as_if_untracked=True) == "dvc":
                # data committed to git that the storage rule sends to DVC (large, binary, a directory)
                moved.append(path)
                forced[path] = "dvc"
            specs.append(FileSpec(path, component, choose_storage(root, path, forced.get(path)),
                                  role=(roles or {}).get(path, "train") if component == "data" else None))
    _unknown_role_paths(roles or {}, [s.path for s in specs if s.component == "data"], name)
    for path in forced:
        if path not in seen:
            raise InvalidInput(f"{path} is not one of the model's files", where="--git/--dvc/--lfs")
    params_path = normalize_repo_path(params_file, root, where="--params", must_exist=True) if params_file else None
    if schema_file:
        schema = _schema_from_file(root, schema_file)
    metrics = metrics_from_file(root, metrics_file) if metrics_file else None
    lineage = _lineage_update(root, None, name, version, parent, base_model)
    cache = HashCache(git.git_dir(root), root)
    # Validate everything before touching anything: LFS tracking and DVC write files, so they run last.
    pinned, inline = _params_from_file(root, params_path, cache) if params_path else (None, None)
    setup = lfs.prepare(root, [s.path for s in specs if s.storage == "lfs"])
    index_before = _untrack(root, moved)
    try:
        with _all_or_nothing(root, _undo_paths(root, manifest_path, [s.path for s in specs if s.storage == "dvc"])):
            entries = pin_files(root, specs, cache, formats)
            manifest = Manifest(
                name=name, version=version, description=description,
                params=inline, params_file=pinned, schema=schema, environment=environment, metrics=metrics,
                lineage=lineage,
            ).with_values({kind: tuple(entries[s.path] for s in specs if s.component == kind)
                           for kind in components.REGISTRY.file_kinds})
            mf.validate_schema(manifest.to_dict(), where=manifest_path)
            mf.save(manifest, root / manifest_path, schema_ref=SCHEMA_REF)
            cache.save()
            dvc_yaml = _sync_dvc_yaml(root, manifest)
            staged = _stage_model(root, manifest_path, manifest, dvc_yaml) if stage else []
    except BaseException:
        setup.undo(root)  # nothing half-written: .gitattributes and the index back as they were
        _restore_index(root, index_before)
        raise
    notes = setup.notes
    if moved:
        notes = [*notes, f"moved {', '.join(moved)} from git to DVC (`git rm --cached`, staged; the old blobs stay "
                         f"in git history) — to keep a file in git instead: gitmodel add ... --git PATH"]
    return AddResult(name, manifest_path, manifest, staged, notes)


def _untrack(root: Path, paths: list[str]) -> dict[str, git.IndexEntry]:
    """`git rm --cached` the paths; returns their index entries, so a failed add can put them back."""
    if not paths:
        return {}
    before = git.ls_files_stage(root, paths)
    git.run(root, "rm", "-r", "--cached", "-q", "--", *paths)
    return before


def _restore_index(root: Path, entries: Mapping[str, git.IndexEntry]) -> None:
    if entries:
        info = "".join(f"{e.mode} {e.oid}\t{e.path}\n" for e in entries.values())
        git.run(root, "update-index", "--index-info", input=info.encode("utf-8", "surrogateescape"))


def _lineage_update(root: Path, current: dict[str, Any] | None, name: str, version: str | None,
                    parent: str | None, base_model: str | None) -> dict[str, Any] | None:
    """`lineage` with --parent (which must name an existing release) and --base-model applied."""
    if parent is None and base_model is None:
        return current
    from gitmodel.repo.lineage import require_parent

    lineage = dict(current or {})
    if parent is not None:
        lineage["parent"] = require_parent(root, parent, child=name, child_version=version)
    if base_model is not None:
        if not base_model.strip():
            raise InvalidInput("must not be empty", where="--base-model")
        lineage["base_model"] = base_model.strip()
    return lineage


def bump_model(root: Path, name: str, *, floor: Level = Level.NONE, schema_file: str | None = None,
               metrics_file: str | None = None, stage: bool = True, cfg: Config | None = None,
               schema: dict[str, Any] | None = None, environment: dict[str, Any] | None = None,
               formats: Mapping[str, str] | None = None, parent: str | None = None,
               base_model: str | None = None, roles: Mapping[str, str] | None = None) -> BumpResult:
    """Make a manifest fresh (re-track, rehash) and set the version its changes require."""
    validate_name(name)
    cfg = cfg or load_config(root)
    manifest_path = cfg.manifest_path(name)
    _preflight(root, manifest_path, stage=stage)
    if not (root / manifest_path).exists():
        raise InvalidInput("no such model", where=manifest_path, hint=f"create it with `gitmodel add {name} ...`")
    current = mf.load(root / manifest_path)
    _unknown_role_paths(roles or {}, [e.path for e in current.data], name)
    dvc_paths = [e.path for _, e in current.files() if e.storage == "dvc"]
    with _all_or_nothing(root, _undo_paths(root, manifest_path, dvc_paths)):
        return _bump_loaded(root, name, cfg, manifest_path, current, floor=floor, schema_file=schema_file,
                            metrics_file=metrics_file, stage=stage, schema=schema, environment=environment,
                            formats=formats, parent=parent, base_model=base_model, roles=roles)


def _bump_loaded(root: Path, name: str, cfg: Config, manifest_path: str, current: Manifest, *, floor: Level,
                 schema_file: str | None, metrics_file: str | None, stage: bool, schema: dict[str, Any] | None,
                 environment: dict[str, Any] | None, formats: Mapping[str, str] | None, parent: str | None,
                 base_model: str | None, roles: Mapping[str, str] | None) -> BumpResult:
    # Checked before anything is written; the version is not final yet, so `check` judges a self-reference.
    lineage = _lineage_update(root, current.lineage, name, None, parent, base_model)
    cache = HashCache(git.git_dir(root), root)
    # Read every input before DVC rewrites pointers: a bad --schema or params file must leave nothing behind.
    new_schema = _schema_from_file(root, schema_file) if schema_file else None
    new_metrics = metrics_from_file(root, metrics_file) if metrics_file else None
    params = _params_from_file(root, current.params_file["path"], cache) if current.params_file else None
    retrack: list[str] = []
    refreshed: dict[str, FileEntry | None] = {}
    for component, entry in current.files():
        refreshed[entry.path] = refresh_entry(root, component, entry, cache, retrack, formats)
    if retrack:
        from gitmodel.storage import dvc as storage

        prehashed = track_while_hashing(root, [p for p in retrack if (root / p).is_file()], storage.track,
                                         retrack)
        refreshed.update(describe_dvc(root, [(c, e) for c, e in current.files() if refreshed[e.path] is None],
                                       cache, formats, prehashed))
    updates: dict[str, Any] = {
        comp: tuple(refreshed[e.path] or e for e in current.get(comp) or ()) for comp in components.REGISTRY.file_kinds
    }
    if roles:
        updates["data"] = tuple(replace(e, role=roles[e.path]) if e.path in roles else e for e in updates["data"])
    if current.params_file and params is not None:
        pinned, inline = params
        updates["params_file"] = {**current.params_file, **pinned}
        if inline is not None:
            updates["params"] = inline
    env = environment if environment is not None else current.environment
    if environment is not None:
        updates["environment"] = environment
    if env and isinstance(env.get("lock"), dict) and (root / env["lock"]["path"]).exists():
        updates["environment"] = {**env, "lock": {**env["lock"], "sha256": git_file_sha256(root / env["lock"]["path"], cache)}}
    if new_schema is not None:
        updates["schema"] = new_schema
    elif schema is not None:
        updates["schema"] = schema
    if new_metrics is not None:
        updates["metrics"] = new_metrics
    if lineage != current.lineage:
        updates["lineage"] = lineage
    updated = current.with_values(updates)
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
    new_version = str(_skip_used(tags, name, semver.parse(new_version), level))
    updated = updated.with_version(new_version)
    if tags.release(name, updated.semver) is not None and changes:
        raise Refused(f"version {new_version} is already released", where=f"{manifest_path}: version",
                      hint=f"raise it with `gitmodel bump {name} --patch`")
    if updated != current:
        mf.validate_schema(updated.to_dict(), where=manifest_path)
        mf.save(updated, root / manifest_path, schema_ref=SCHEMA_REF)
    cache.save()
    dvc_yaml = _sync_dvc_yaml(root, updated)
    staged = _stage_model(root, manifest_path, updated, dvc_yaml) if stage else []
    why = reasons(changes, required_level(changes)) if changes else []
    if floor > required_level(changes):
        why.append(f"--{floor} requested")
    return BumpResult(name, manifest_path, current.version, new_version,
                      str(latest.version) if latest else None, level, changes, why, retrack, staged)


def _sync_dvc_yaml(root: Path, manifest: Manifest) -> list[str]:
    """Keep dvc.yaml `artifacts:` in step (see gitmodel/storage/dvc_yaml.py); the path to stage when it changed."""
    from gitmodel.storage.dvc_yaml import sync_artifact

    try:
        result = sync_artifact(root, manifest)
    except InvalidInput:
        return []  # a broken dvc.yaml must not undo an add/bump that already ran; `gitmodel tag` warns
    return [result.path] if result.changed else []


def _skip_used(tags: TagIndex, name: str, version: semver.Version, level: Level) -> semver.Version:
    """A version whose tag exists but is not the latest release (deregistered) is never reused: step past it."""
    latest = tags.latest(name)
    step = level if level != Level.NONE else Level.PATCH
    while (used := tags.used_tag(name, version)) is not None and (latest is None or used != latest.tag):
        version = version.bump(step)
    return version


def next_version(current: semver.Version, released: semver.Version, level: Level) -> semver.Version:
    """Keep `current` when it already satisfies `level` against the release; else release + level."""
    if level == Level.NONE:
        return current if current >= released else released
    if semver.meets(current, released, level):
        return current
    return released.bump(level)

