"""`add` and `bump`: pin files into a manifest, tracking large or binary ones through DVC."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel import git, lfs, semver
from gitmodel import manifest as mf
from gitmodel.check import released_manifest
from gitmodel.config import Config, load_config
from gitmodel.errors import GitmodelError, InvalidInput, Refused
from gitmodel.fileio import load_yaml, read_capped
from gitmodel.formats import detect_format, format_from_name
from gitmodel.hashing import HashCache
from gitmodel.manifest import FileEntry, Manifest
from gitmodel.names import normalize_repo_path, validate_name
from gitmodel.pointers import parse_pointer, pointer_path
from gitmodel.policy import Change, diff_manifests, reasons, required_level
from gitmodel.records import replace
from gitmodel.semver import Level
from gitmodel.tags import TagIndex, read_tags

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


def _looks_binary(path: Path) -> bool:
    """NUL bytes or not UTF-8 in the first 8 KiB (as git's and DVC's heuristics, plus the UTF-8 test)."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the 8 KiB boundary is still text
        return not (len(head) == 8192 and exc.start >= len(head) - 3)
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
    return lfs.routed(root, path)


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


def _entries(root: Path, specs: Sequence[FileSpec], cache: HashCache, formats: Mapping[str, str] | None = None
             ) -> dict[str, FileEntry]:
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
        prehashed = _track_while_hashing(root, [p for p in dvc_paths if (root / p).is_file()], storage.track,
                                         dvc_paths)
    else:
        prehashed = {}
    out: dict[str, FileEntry] = {}
    for spec in specs:
        full = root / spec.path
        md5 = nfiles = None
        if spec.storage == "dvc":
            ptr = pointer_path(spec.path)
            pointer = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr)
            md5, nfiles = pointer.md5, pointer.nfiles
        known = _prehashed_digest(full, prehashed.get(spec.path), md5, cache)
        digest, size = known if known is not None else _digest_and_size(full, spec.storage, cache)
        fmt = _format_of(full, spec.path, spec.storage, formats) if spec.component == "weights" else None
        out[spec.path] = FileEntry(path=spec.path, sha256=digest, size=size, storage=spec.storage, md5=md5,
                                   format=fmt, role=spec.role, nfiles=nfiles)
    return out


def _track_while_hashing(root: Path, files: list[str], track: Callable[[Path, list[str]], None],
                         dvc_paths: list[str]) -> dict[str, tuple[str, str]]:
    """Run `dvc add` while a worker reads each file once for (sha256, md5).

    Both sides release the GIL while hashing, so on two cores the sha256 costs no extra wall time; DVC
    replaces the file with a copy from its cache (a new inode), which would otherwise mean a second read.
    """
    from concurrent.futures import ThreadPoolExecutor

    from gitmodel.hashing import sha256_and_md5

    with ThreadPoolExecutor(max_workers=1) as pool:
        futures = {p: pool.submit(sha256_and_md5, root / p) for p in files}
        track(root, dvc_paths)
        out: dict[str, tuple[str, str]] = {}
        for path, future in futures.items():
            try:
                out[path] = future.result()
            except GitmodelError:
                continue  # read it again afterwards, through the cache, with the usual error
        return out


def _prehashed_digest(full: Path, early: tuple[str, str] | None, pointer_md5: str | None, cache: HashCache
                      ) -> tuple[str, int] | None:
    """(sha256, size) read while DVC added the file, when DVC's md5 says it hashed the same bytes: the
    copy DVC put back from its cache (a new inode) then needs no second read."""
    if early is None or early[1] != pointer_md5:
        return None
    cache.remember(full, early[0])
    return early[0], full.stat().st_size


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _digest_and_size(full: Path, storage: str, cache: HashCache) -> tuple[str, int]:
    """sha256 and size of a file or directory; an LFS file not yet downloaded answers from its pointer."""
    if storage == "lfs":
        pointer = lfs.worktree_pointer(full)
        if pointer is not None:
            return pointer
    if full.is_dir():
        return cache.dir_sha256(full), _dir_size(full)
    return cache.sha256(full), full.stat().st_size


def _format_of(full: Path, path: str, storage: str, formats: Mapping[str, str] | None) -> str:
    """The weights format: given (e.g. by an MLflow flavor) when bytes say nothing, else from the bytes."""
    given = (formats or {}).get(path)
    if storage == "lfs" and lfs.worktree_pointer(full) is not None:
        return given or format_from_name(path)  # the bytes are not here; never download to sniff
    found = detect_format(full)
    return given if given and found == "unknown" else found


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
                           *extra])
    lfs.verify_staged(root, [(e.path, e.sha256) for _, e in m.files() if e.storage == "lfs"])
    return staged


def add_model(root: Path, name: str, *, weights: Sequence[str], data: Sequence[str] = (),
              prompts: Sequence[str] = (), params_file: str | None = None, version: str = "0.1.0",
              description: str | None = None, schema_file: str | None = None,
              force_git: Sequence[str] = (), force_dvc: Sequence[str] = (), force_lfs: Sequence[str] = (),
              metrics_file: str | None = None, stage: bool = True, schema: dict[str, Any] | None = None,
              environment: dict[str, Any] | None = None, formats: Mapping[str, str] | None = None,
              parent: str | None = None, base_model: str | None = None) -> AddResult:
    """Create `models/NAME.yaml` pinning the given files."""
    validate_name(name)
    semver.parse(version, where="--version")
    cfg = load_config(root)
    manifest_path = cfg.manifest_path(name)
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
            if component == "weights" and forced.get(path) is None and not git.is_tracked(root, path) \
                    and not _lfs_routed(root, path):
                # weights are the artifact DVC exists for: even a small file goes through it by default
                forced[path] = "dvc"
            specs.append(FileSpec(path, component, choose_storage(root, path, forced.get(path)),
                                  role="train" if component == "data" else None))
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
    try:
        entries = _entries(root, specs, cache, formats)
    except BaseException:
        setup.undo(root)  # nothing half-written: .gitattributes back as it was
        raise
    manifest = Manifest(
        name=name, version=version, description=description,
        weights=tuple(entries[s.path] for s in specs if s.component == "weights"),
        data=tuple(entries[s.path] for s in specs if s.component == "data"),
        prompts=tuple(entries[s.path] for s in specs if s.component == "prompts"),
        params=inline, params_file=pinned, schema=schema, environment=environment, metrics=metrics,
        lineage=lineage,
    )
    mf.validate_schema(manifest.to_dict(), where=manifest_path)
    mf.save(manifest, root / manifest_path, schema_ref=SCHEMA_REF)
    cache.save()
    dvc_yaml = _sync_dvc_yaml(root, manifest)
    staged = _stage_model(root, manifest_path, manifest, dvc_yaml) if stage else []
    return AddResult(name, manifest_path, manifest, staged, setup.notes)


def _lineage_update(root: Path, current: dict[str, Any] | None, name: str, version: str | None,
                    parent: str | None, base_model: str | None) -> dict[str, Any] | None:
    """`lineage` with --parent (which must name an existing release) and --base-model applied."""
    if parent is None and base_model is None:
        return current
    from gitmodel.lineage import require_parent

    lineage = dict(current or {})
    if parent is not None:
        lineage["parent"] = require_parent(root, parent, child=name, child_version=version)
    if base_model is not None:
        if not base_model.strip():
            raise InvalidInput("must not be empty", where="--base-model")
        lineage["base_model"] = base_model.strip()
    return lineage


def _refresh_entry(root: Path, component: str, entry: FileEntry, cache: HashCache, retrack: list[str],
                   formats: Mapping[str, str] | None = None) -> FileEntry | None:
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
    digest, size = _digest_and_size(full, entry.storage, cache)
    given = (formats or {}).get(entry.path)
    if digest == entry.sha256:
        return replace(entry, format=given) if given and component == "weights" else entry
    fmt = _format_of(full, entry.path, entry.storage, formats) if component == "weights" else entry.format
    return replace(entry, sha256=digest, size=size, format=fmt)


def bump_model(root: Path, name: str, *, floor: Level = Level.NONE, schema_file: str | None = None,
               metrics_file: str | None = None, stage: bool = True, cfg: Config | None = None,
               schema: dict[str, Any] | None = None, environment: dict[str, Any] | None = None,
               formats: Mapping[str, str] | None = None, parent: str | None = None,
               base_model: str | None = None) -> BumpResult:
    """Make a manifest fresh (re-track, rehash) and set the version its changes require."""
    validate_name(name)
    cfg = cfg or load_config(root)
    manifest_path = cfg.manifest_path(name)
    if not (root / manifest_path).exists():
        raise InvalidInput("no such model", where=manifest_path, hint=f"create it with `gitmodel add {name} ...`")
    current = mf.load(root / manifest_path)
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
        refreshed[entry.path] = _refresh_entry(root, component, entry, cache, retrack, formats)
    if retrack:
        from gitmodel import storage

        prehashed = _track_while_hashing(root, [p for p in retrack if (root / p).is_file()], storage.track,
                                         retrack)
        refreshed.update(_describe_dvc(root, [(c, e) for c, e in current.files() if refreshed[e.path] is None],
                                       cache, formats, prehashed))
    updates: dict[str, Any] = {
        comp: tuple(refreshed[e.path] or e for e in getattr(current, comp)) for comp in mf.FILE_COMPONENTS
    }
    if current.params_file and params is not None:
        pinned, inline = params
        updates["params_file"] = {**current.params_file, **pinned}
        if inline is not None:
            updates["params"] = inline
    env = environment if environment is not None else current.environment
    if environment is not None:
        updates["environment"] = environment
    if env and isinstance(env.get("lock"), dict) and (root / env["lock"]["path"]).exists():
        updates["environment"] = {**env, "lock": {**env["lock"], "sha256": cache.sha256(root / env["lock"]["path"])}}
    if new_schema is not None:
        updates["schema"] = new_schema
    elif schema is not None:
        updates["schema"] = schema
    if new_metrics is not None:
        updates["metrics"] = new_metrics
    if lineage != current.lineage:
        updates["lineage"] = lineage
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
    """Keep dvc.yaml `artifacts:` in step (see gitmodel/dvcyaml.py); the path to stage when it changed."""
    from gitmodel.dvcyaml import sync_artifact

    try:
        result = sync_artifact(root, manifest)
    except InvalidInput:
        return []  # a broken dvc.yaml must not undo an add/bump that already ran; `gitmodel tag` warns
    return [result.path] if result.changed else []


def _skip_used(tags: TagIndex, name: str, version: semver.Version, level: Level) -> semver.Version:
    """A version whose tag exists but is not the latest release (deregistered) is never reused: step past it."""
    latest = tags.latest(name)
    step = level if level != Level.NONE else Level.PATCH
    while (used := tags.release(name, version)) is not None and (latest is None or used.tag != latest.tag):
        version = version.bump(step)
    return version


def next_version(current: semver.Version, released: semver.Version, level: Level) -> semver.Version:
    """Keep `current` when it already satisfies `level` against the release; else release + level."""
    if level == Level.NONE:
        return current if current >= released else released
    if semver.meets(current, released, level):
        return current
    return released.bump(level)


def _describe_dvc(root: Path, items: list[tuple[str, FileEntry]], cache: HashCache,
                  formats: Mapping[str, str] | None = None,
                  prehashed: Mapping[str, tuple[str, str]] | None = None) -> dict[str, FileEntry | None]:
    out: dict[str, FileEntry | None] = {}
    for component, entry in items:
        full = root / entry.path
        ptr = pointer_path(entry.path)
        pointer = parse_pointer(read_capped(root / ptr, where=ptr), where=ptr)
        known = _prehashed_digest(full, (prehashed or {}).get(entry.path), pointer.md5, cache)
        if known is not None:
            digest, size = known
        else:
            digest = cache.dir_sha256(full) if full.is_dir() else cache.sha256(full)
            size = full.stat().st_size if full.is_file() else (pointer.size or entry.size)
        fmt = _format_of(full, entry.path, entry.storage, formats) if component == "weights" else entry.format
        out[entry.path] = replace(entry, sha256=digest, size=size, md5=pointer.md5, nfiles=pointer.nfiles,
                                  format=fmt)
    return out
