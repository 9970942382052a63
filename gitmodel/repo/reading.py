"""Reads manifests, config and releases at a revision (worktree, index, commit); the rules live in check.py"""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import GitmodelError, InvalidInput
from gitmodel.infra.fileio import parse_yaml, parsed_blob
from gitmodel.infra.hashing import HashCache
from gitmodel.model import manifest as mf
from gitmodel.model.config import CONFIG_FILE, Config
from gitmodel.model.config import from_dict as config_from_dict
from gitmodel.model.manifest import Manifest
from gitmodel.repo import git
from gitmodel.repo.sources import Commit, Index, Source, StagedIndex, WorkTree
from gitmodel.repo.tags import TagIndex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from gitmodel.repo.git import IndexEntry


def config_at(source: Source) -> Config:
    """The config as `source` (the index, a commit) holds it; the defaults when it has none."""
    where = f"{CONFIG_FILE} ({source.label})"
    oid = source.blob_id(CONFIG_FILE)
    known, doc = parsed_blob(oid) if oid is not None else (False, None)
    if not known:  # the hook parsed it before (and recorded it by blob id) unless the config just changed
        blob = source.read(CONFIG_FILE)
        if blob is None:
            return Config()
        doc = parse_yaml(blob, where=where)
    return config_from_dict(doc, where=where)


def config_of_commit(root: Path, commit: str) -> Config | None:
    """The config a commit holds (defaults when it has none); None when it does not parse: an old broken
    config is not this change's fault."""
    spec = f"{commit}:{CONFIG_FILE}"
    blob = git.cat_files(root, [spec]).get(spec)
    if blob is None:
        return Config()
    try:
        return config_from_dict(parse_yaml(blob, where=spec), where=spec)
    except GitmodelError:
        return None


def make_source(root: Path, cache: HashCache, mode: str, rev: str | None = None, *,
                staged: dict[str, IndexEntry | None] | None = None,
                known_pin: Callable[[str], bool] | None = None) -> Source:
    if mode == "index":
        if staged is not None and known_pin is not None:
            return StagedIndex(root, cache, staged, known_pin)
        return Index(root, cache)
    if mode == "rev":
        assert rev is not None
        return Commit(root, cache, rev)
    return WorkTree(root, cache)


def manifest_names(source: Source, cfg: Config, names: set[str] | None = None) -> dict[str, str]:
    """manifest path → model name for every manifest in the source (or only those of `names`)."""
    out: dict[str, str] = {}
    # the paths `name_from_path` reads each of `names` from: an index looks them up, not through every manifest
    only = None if names is None else [f"{cfg.manifests.rstrip('/')}/{n}.yaml" for n in sorted(names)]
    for path in source.manifests(cfg.manifests, only):
        name = cfg.name_from_path(path)
        if name is not None and (names is None or name in names):
            out[path] = name
    return out


def load_manifests(source: Source, cfg: Config, *, full: set[str] | None = None,
                   names: set[str] | None = None, listing: dict[str, str] | None = None
                   ) -> dict[str, tuple[str, Manifest]]:
    """name → (manifest path, Manifest) for every manifest in the source; `full` paths get jsonschema.

    `listing` (path → name, from `manifest_names`) reads only those manifests."""
    wanted = [(name, path) for path, name in
              (listing if listing is not None else manifest_names(source, cfg, names)).items()]
    blobs = source.read_many([p for _, p in wanted])
    out: dict[str, tuple[str, Manifest]] = {}
    for name, path in wanted:
        data = blobs[path]
        if data is None:
            continue
        validate_fully = full is None or path in full
        manifest = mf.parse(data, where=path, full=validate_fully)
        if manifest.name != name:
            raise InvalidInput(f"name {manifest.name!r} does not match the file name", where=f"{path}: name",
                               hint=f"rename the file to {cfg.manifest_path(manifest.name)} or fix the name")
        out[name] = (path, manifest)
    return out


def released_manifests(root: Path, cfg: Config, tags: TagIndex, names: list[str]
                       ) -> dict[str, tuple[str, Manifest | None]]:
    """name → (version, manifest as released) of each released model's latest release, in ONE git call.

    The manifest is None when the release's blob is missing or unreadable (a hand-made tag).
    """
    specs: dict[str, tuple[str, str, str]] = {}
    for name in names:
        latest = tags.latest(name)
        if latest is not None:
            path = latest.meta("manifest") or cfg.manifest_path(name)
            specs[name] = (f"{latest.commit}:{path}", str(latest.version), f"{latest.tag}:{path}")
    blobs = git.cat_files(root, [spec for spec, _, _ in specs.values()])
    missing = {name: spec for name, (spec, _, _) in specs.items() if blobs.get(spec) is None}
    if missing:
        # the manifests directory moved since the release: the release's manifest is where ITS config says
        for name, spec in missing.items():
            commit = spec.split(":", 1)[0]
            then = config_of_commit(root, commit)
            if then is not None and then.manifests != cfg.manifests:
                moved = f"{commit}:{then.manifest_path(name)}"
                specs[name] = (moved, specs[name][1], specs[name][2])
                blobs.update(git.cat_files(root, [moved]))
    out: dict[str, tuple[str, Manifest | None]] = {}
    for name, (spec, version, label) in specs.items():
        blob = blobs.get(spec)
        manifest = None
        if blob is not None:
            try:
                manifest = mf.parse(blob, where=label, full=False)
            except GitmodelError:
                manifest = None
        out[name] = (version, manifest)
    return out


def released_manifest(root: Path, cfg: Config, tags: TagIndex, name: str) -> tuple[str, Manifest | None] | None:
    """(version, manifest as released) for the latest release, or None when unreleased."""
    return released_manifests(root, cfg, tags, [name]).get(name)


def earlier_releases(root: Path, cfg: Config, tags: TagIndex, names: list[str]) -> dict[str, list[tuple[str, Manifest]]]:
    """name → (version, manifest) of every release but the latest, in one git call (CI: `check --base`)."""
    specs: list[tuple[str, str, str]] = []
    for name in names:
        for release in tags.releases.get(name, [])[:-1]:
            path = release.meta("manifest") or cfg.manifest_path(name)
            specs.append((name, str(release.version), f"{release.commit}:{path}"))
    blobs = git.cat_files(root, [spec for _, _, spec in specs])
    out: dict[str, list[tuple[str, Manifest]]] = {}
    for name, version, spec in specs:
        blob = blobs.get(spec)
        try:
            manifest = mf.parse(blob, where=spec, full=False) if blob is not None else None
        except GitmodelError:
            manifest = None
        if manifest is not None:
            out.setdefault(name, []).append((version, manifest))
    return out


def changed_manifests(root: Path, cfg: Config, mode: str, rev: str | None, base: str | None) -> set[str] | None:
    """Manifest paths changed since HEAD (or since --base): only these pay for JSON Schema validation.

    Committed manifests passed it on their way in (the hook validates what it commits; `gitmodel validate`
    checks everything). None means "validate all" (no commit yet, or a commit judged without a base). In the
    work tree an ignored manifest counts as changed too: whether a manifest is validated then depends only on
    its bytes and HEAD's, which lets the judged index keep the answer while HEAD's manifests tree stays
    (gitmodel/gate/judged.py).
    """
    if git.head_commit(root) is None:
        return None
    directory = [cfg.manifests]
    if mode == "worktree":
        return set(git.changed_paths(root, "HEAD", None, directory)) | set(git.untracked(root, directory, ignored=True))
    if mode == "index":
        return set(git.changed_paths(root, "HEAD", None, directory, cached=True))
    if base is None or rev is None:
        return None
    base_commit = git.resolve_commit(root, base)
    return set(git.changed_paths(root, base_commit, rev, directory)) if base_commit else None


def _manifests_at(source: Source, cfg: Config) -> dict[str, Manifest]:
    """The manifests of an old commit that still parse: a broken file in history is not this change's fault."""
    paths = source.manifests(cfg.manifests)
    blobs = source.read_many(paths)
    out: dict[str, Manifest] = {}
    for path in paths:
        name, blob = cfg.name_from_path(path), blobs[path]
        if name is None or blob is None:
            continue
        try:
            manifest = mf.parse(blob, where=path, full=False)
        except GitmodelError:
            continue
        if manifest.name == name:
            out[name] = manifest
    return out
