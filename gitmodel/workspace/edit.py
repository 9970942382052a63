"""`add` and `bump`: pin files into a manifest, tracking large or binary ones through DVC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.infra.hashing import HashCache
from gitmodel.infra.progress import Progress
from gitmodel.model import components, semver
from gitmodel.model import manifest as mf
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.names import normalize_repo_path, validate_name
from gitmodel.model.policy import Change, diff_manifests, reasons, required_level
from gitmodel.model.records import replace
from gitmodel.model.semver import Level
from gitmodel.model.units import kind_problem as unit_kind_problem
from gitmodel.repo import git
from gitmodel.repo.reading import released_manifest
from gitmodel.repo.tags import TagIndex, read_tags
from gitmodel.storage.backends import by_backend
from gitmodel.storage.pinning import (
    FileSpec,
    describe_tracked,
    git_file_sha256,
    pin_files,
    refresh_entry,
    storage_for,
)
from gitmodel.workspace.inputs import (
    lineage_update,
    metrics_from_file,
    params_from_file,
    schema_from_file,
    unknown_role_paths,
)
from gitmodel.workspace.staging import (
    all_or_nothing,
    preflight,
    prepare,
    refuse_links,
    restore_index,
    stage_model,
    sync_dvc_yaml,
    undo_paths,
    untrack,
)
from gitmodel.workspace.units import latest_uses, parse_uses, require_usable, unit_kind_option

SCHEMA_REF = mf.SCHEMA_IN_REPO  # written relative to each manifest (gitmodel/model/manifest.py)


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
    notes: list[str] = field(default_factory=list)


def add_model(root: Path, name: str, *, weights: Sequence[str], data: Sequence[str] = (),
              prompts: Sequence[str] = (), params_file: str | None = None, version: str = "0.1.0",
              description: str | None = None, schema_file: str | None = None,
              force_git: Sequence[str] = (), force_dvc: Sequence[str] = (), force_lfs: Sequence[str] = (),
              metrics_file: str | None = None, stage: bool = True, schema: dict[str, Any] | None = None,
              environment: dict[str, Any] | None = None, formats: Mapping[str, str] | None = None,
              parent: str | None = None, base_model: str | None = None,
              roles: Mapping[str, str] | None = None, progress: Progress | None = None,
              kind: str | None = None, uses: Sequence[str] = ()) -> AddResult:
    """Create `models/NAME.yaml` pinning the given files (data files with `roles`, else `train`); a unit of
    another `kind` (prompt, dataset, system) and the releases it `uses` (ROLE=UNIT@vX.Y.Z)."""
    validate_name(name)
    semver.parse(version, where="--version")
    unit = unit_kind_option(kind)
    references = parse_uses(uses, name=name)
    cfg = load_config(root)
    manifest_path = cfg.manifest_path(name)
    recovered = preflight(root, manifest_path, stage=stage)
    if (root / manifest_path).exists():
        raise InvalidInput("model already exists", where=manifest_path,
                           hint=f"use `gitmodel bump {name}` to update it")
    if not weights and unit is None:
        raise InvalidInput("at least one --weights file is required", where="--weights",
                           hint="pass --weights PATH (or --from-mlflow DIR), or add another kind of unit: --kind "
                                "prompt|dataset|system")
    given_files = {"weights": len(weights), "data": len(data), "prompts": len(prompts)}
    wrong = unit_kind_problem(unit, {kind: count for kind, count in given_files.items() if count})
    if wrong is not None:
        flag = {"weights": "--weights", "data": "--data", "prompts": "--prompt"}.get(wrong[0], "--kind")
        raise InvalidInput(wrong[1], where=flag, hint=f"--kind {unit}: see `gitmodel add --help`")
    require_usable(root, cfg, read_tags(root), name, references)
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
            refuse_links(root, path, flag)
            if path in seen:
                raise InvalidInput(f"{path} is given twice", where=flag)
            seen.add(path)
            if (root / path).is_dir() and component != "data":
                raise InvalidInput(f"{path} is a directory; only --data may be a directory", where=flag)
            storage, adopted = storage_for(root, component, path, forced.get(path))
            if adopted:
                moved.append(path)
            specs.append(FileSpec(path, component, storage,
                                  role=(roles or {}).get(path, "train") if component == "data" else None))
    unknown_role_paths(roles or {}, [s.path for s in specs if s.component == "data"], name)
    for path in forced:
        if path not in seen:
            raise InvalidInput(f"{path} is not one of the model's files", where="--git/--dvc/--lfs")
    params_path = normalize_repo_path(params_file, root, where="--params", must_exist=True) if params_file else None
    if schema_file:
        schema = schema_from_file(root, schema_file)
    metrics = metrics_from_file(root, metrics_file) if metrics_file else None
    lineage = lineage_update(root, None, name, version, parent, base_model)
    cache = HashCache(git.git_dir(root), root, progress=progress)
    # Validate everything before touching anything: LFS tracking and DVC write files, so they run last.
    pinned, inline = params_from_file(root, params_path, cache) if params_path else (None, None)
    setups = prepare(root, [(s.storage, s.path) for s in specs])
    index_before = untrack(root, moved)
    try:
        with all_or_nothing(root, undo_paths(manifest_path, [(s.storage, s.path) for s in specs])):
            entries = pin_files(root, specs, cache, formats)
            manifest = Manifest(
                name=name, version=version, kind=unit, description=description, uses=references or None,
                params=inline, params_file=pinned, schema=schema, environment=environment, metrics=metrics,
                lineage=lineage,
            ).with_values({kind: tuple(entries[s.path] for s in specs if s.component == kind)
                           for kind in components.REGISTRY.file_kinds})
            mf.validate_schema(manifest.to_dict(), where=manifest_path)
            mf.save(manifest, root / manifest_path, schema_ref=SCHEMA_REF)
            cache.save()
            dvc_yaml = sync_dvc_yaml(root, manifest)
            staged = stage_model(root, manifest_path, manifest, dvc_yaml) if stage else []
    except BaseException:
        for setup in setups:
            setup.undo(root)  # nothing half-written: .gitattributes and the index back as they were
        restore_index(root, index_before)
        raise
    notes = [*recovered, *(note for setup in setups for note in setup.notes)]
    if moved:
        notes = [*notes, f"moved {', '.join(moved)} from git to DVC (`git rm --cached`, staged; the old blobs stay "
                         f"in git history) — to keep a file in git instead: gitmodel add ... --git PATH"]
    return AddResult(name, manifest_path, manifest, staged, notes)


def bump_model(root: Path, name: str, *, floor: Level = Level.NONE, schema_file: str | None = None,
               metrics_file: str | None = None, stage: bool = True, cfg: Config | None = None,
               schema: dict[str, Any] | None = None, environment: dict[str, Any] | None = None,
               formats: Mapping[str, str] | None = None, parent: str | None = None,
               base_model: str | None = None, roles: Mapping[str, str] | None = None,
               progress: Progress | None = None, uses: Sequence[str] = (), latest: Sequence[str] = ()
               ) -> BumpResult:
    """Make a manifest fresh (re-track, rehash) and set the version its changes require."""
    validate_name(name)
    cfg = cfg or load_config(root)
    manifest_path = cfg.manifest_path(name)
    recovered = preflight(root, manifest_path, stage=stage)
    if not (root / manifest_path).exists():
        raise InvalidInput("no such model", where=manifest_path, hint=f"create it with `gitmodel add {name} ...`")
    current = mf.load(root / manifest_path)
    unknown_role_paths(roles or {}, [e.path for e in current.data], name)
    with all_or_nothing(root, undo_paths(manifest_path, [(e.storage, e.path) for _, e in current.files()])):
        result = _bump_loaded(root, name, cfg, manifest_path, current, floor=floor, schema_file=schema_file,
                              metrics_file=metrics_file, stage=stage, schema=schema, environment=environment,
                              formats=formats, parent=parent, base_model=base_model, roles=roles,
                              progress=progress, uses=uses, latest_roles=latest)
    result.notes.extend(recovered)
    return result


def _bump_loaded(root: Path, name: str, cfg: Config, manifest_path: str, current: Manifest, *, floor: Level,
                 schema_file: str | None, metrics_file: str | None, stage: bool, schema: dict[str, Any] | None,
                 environment: dict[str, Any] | None, formats: Mapping[str, str] | None, parent: str | None,
                 base_model: str | None, roles: Mapping[str, str] | None, progress: Progress | None,
                 uses: Sequence[str] = (), latest_roles: Sequence[str] = ()) -> BumpResult:
    # Checked before anything is written; the version is not final yet, so `check` judges a self-reference.
    lineage = lineage_update(root, current.lineage, name, None, parent, base_model)
    tags = read_tags(root)
    moved_refs = parse_uses(uses, name=name)
    moved_refs.update(latest_uses(tags, {**(current.uses or {}), **moved_refs}, latest_roles, name=name))
    require_usable(root, cfg, tags, name, moved_refs)
    cache = HashCache(git.git_dir(root), root, progress=progress)
    # Read every input before DVC rewrites pointers: a bad --schema or params file must leave nothing behind.
    new_schema = schema_from_file(root, schema_file) if schema_file else None
    new_metrics = metrics_from_file(root, metrics_file) if metrics_file else None
    params = params_from_file(root, current.params_file["path"], cache) if current.params_file else None
    retrack: list[str] = []
    refreshed: dict[str, FileEntry | None] = {}
    for component, entry in current.files():
        refreshed[entry.path] = refresh_entry(root, component, entry, cache, retrack, formats)
    if retrack:
        prehashed: dict[str, tuple[str, str]] = {}
        for backend, entries in by_backend(e for _, e in current.files() if e.path in retrack):
            prehashed.update(backend.retrack(root, [e.path for e in entries]))
        refreshed.update(describe_tracked(root, [(c, e) for c, e in current.files() if refreshed[e.path] is None],
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
    if moved_refs:
        updates["uses"] = {**(current.uses or {}), **moved_refs}
    updated = current.with_values(updates)
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
    dvc_yaml = sync_dvc_yaml(root, updated)
    staged = stage_model(root, manifest_path, updated, dvc_yaml) if stage else []
    why = reasons(changes, required_level(changes)) if changes else []
    if floor > required_level(changes):
        why.append(f"--{floor} requested")
    return BumpResult(name, manifest_path, current.version, new_version,
                      str(latest.version) if latest else None, level, changes, why, retrack, staged)


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

