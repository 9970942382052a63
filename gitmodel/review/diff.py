"""Manifest diffs for review: what changed between two states of the registry, per model.

A side is a revision (every manifest in that commit), a release `NAME@vX.Y.Z` (that one model as
released), the working tree, or "each model's latest release". Blobs are read in one `git cat-file
--batch` per side, so a diff over hundreds of manifests costs a few git calls, not hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmodel.gate.check import ModelState, freshness
from gitmodel.infra.errors import GitmodelError, InvalidInput
from gitmodel.infra.hashing import HashCache
from gitmodel.model import components, semver
from gitmodel.model.config import Config, load_config
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.names import name_problem
from gitmodel.model.policy import Change, diff_manifests, reasons, required_level
from gitmodel.model.semver import Level
from gitmodel.repo import git
from gitmodel.repo.reading import load_manifests
from gitmodel.repo.sources import Commit, WorkTree
from gitmodel.repo.tags import Release, TagIndex, parse_tag_name, read_tags
from gitmodel.review.deltas import (
    DiffReport,
    FileDelta,
    MemberMove,
    MetricPoint,
    ModelDiff,
    SchemaDelta,
    ValueDelta,
    metric_delta,
)
from gitmodel.review.trends import (
    WORKTREE,
    ReleaseManifests,
    history_releases,
    is_number,
    metric_history,
)

RENAME_LIKENESS = 0.5  # a removed and an added model this alike are one model renamed
MAX_REASONS = 5  # a reason is one table cell: name the first few changes, count the rest

# ------------------------------------------------------------------------------------------ sides


@dataclass
class Side:
    """The manifests on one side of the diff: name → Manifest, and how to label it."""

    label: str
    manifests: dict[str, Manifest]
    release_of: str | None = None        # set when the side is one release `NAME@vX.Y.Z`
    is_release: bool = False             # every manifest on this side is a released one


def _release_ref(text: str, tags: TagIndex) -> Release | None:
    """The release named by `NAME@vX.Y.Z`, None for anything else; a missing release is an error."""
    parsed = parse_tag_name(text)
    if parsed is None or parsed[0] != "release" or "dereg" in parsed[1]:
        return None
    name, version = parsed[1]["name"], parsed[1]["version"]
    if name_problem(name) is not None:
        return None
    wanted = semver.parse(version, where=text)
    found = tags.release(name, wanted)
    if found is None:
        known = ", ".join(f"v{r.version}" for r in tags.active_releases(name)) or "none"
        raise InvalidInput(f"no release {name}@v{wanted} (releases: {known})", where=text,
                           hint=f"see `gitmodel versions {name}`")
    return found


def _read_released(cache: ReleaseManifests, releases: list[Release]) -> dict[str, Manifest]:
    """Each release's manifest, all blobs in one cat-file call."""
    cache.load(releases)
    out: dict[str, Manifest] = {}
    for rel in releases:
        found = cache.get(rel)
        if found is not None:
            out[rel.name] = found
    return out


def _side(root: Path, cfg: Config, tags: TagIndex, ref: str | None, cache: HashCache,
          names: set[str] | None, released: ReleaseManifests) -> Side:
    if ref is None:
        loaded = load_manifests(WorkTree(root, cache), cfg, full=set(), names=names)
        return Side(WORKTREE, {n: m for n, (_p, m) in loaded.items()})
    try:
        release = _release_ref(ref, tags)
    except InvalidInput:
        # not a release gitmodel knows (a lightweight tag, say), but still a revision git resolves
        side = _model_at_revision(root, cfg, ref, cache)
        if side is None:
            raise
        return side
    if release is not None:
        got = _read_released(released, [release])
        if release.name not in got:
            raise InvalidInput(f"the commit of {release.tag} has no manifest for {release.name}", where=ref)
        return Side(ref, got, release_of=release.name, is_release=True)
    commit = git.resolve_commit(root, ref)
    if commit is None:
        raise InvalidInput(f"unknown revision or release {ref!r}", where=ref,
                           hint="give a commit, branch or tag, or NAME@vX.Y.Z (see `gitmodel versions NAME`)")
    loaded = load_manifests(Commit(root, cache, commit), cfg, full=set(), names=names)
    return Side(ref, {n: m for n, (_p, m) in loaded.items()})


def _model_at_revision(root: Path, cfg: Config, ref: str, cache: HashCache) -> Side | None:
    parsed = parse_tag_name(ref)
    commit = git.resolve_commit(root, ref)
    if parsed is None or commit is None:
        return None
    name = parsed[1]["name"]
    loaded = load_manifests(Commit(root, cache, commit), cfg, full=set(), names={name})
    if name not in loaded:
        return None
    return Side(ref, {name: loaded[name][1]}, release_of=name)


def _latest_releases(tags: TagIndex, names: set[str] | None, released: ReleaseManifests) -> Side:
    latest = [r for n in sorted(tags.releases) if (names is None or n in names)
              for r in [tags.latest(n)] if r is not None]
    return Side("latest releases", _read_released(released, latest), is_release=True)


# ------------------------------------------------------------------------------------------ compare


def _content_key(m: Manifest) -> tuple[str, ...]:
    """What a rename keeps: the pinned contents, whatever the model is called (and where files live)."""
    return tuple(sorted(e.sha256 for _c, e in m.files()))


def _files_from(changes: list[Change], old: Manifest | None, new: Manifest | None) -> list[FileDelta]:
    out: list[FileDelta] = []
    file_kinds = components.REGISTRY.file_kinds
    for c in changes:
        if c.component in file_kinds:
            a: FileEntry | None = c.old
            b: FileEntry | None = c.new
            out.append(FileDelta(c.component, c.key, c.kind, a.sha256 if a else None, b.sha256 if b else None,
                                 a.size if a else None, b.size if b else None, a.storage if a else None,
                                 b.storage if b else None, c.note))
    # the git-stored files pinned in mappings (params file, environment lock) are file rows too
    for component, dotted in components.REGISTRY.pinned:
        before = _at(old, dotted)
        after = _at(new, dotted)
        if before == after or (before is None and after is None):
            continue
        if before and after and before.get("path") == after.get("path") and \
                before.get("sha256") == after.get("sha256"):
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        path = str((after or before or {}).get("path", "?"))
        out.append(FileDelta(component, path, kind, (before or {}).get("sha256"), (after or {}).get("sha256"),
                             None, None, "git" if before else None, "git" if after else None))
    return out


def _row(c: Change) -> components.Key:
    """The manifest key a change is to: its kind's only key, or the one its dotted key starts with."""
    keys = components.REGISTRY.by_name[c.component].keys
    head = c.key.split(".")[0]
    return next((k for k in keys if k.name == head), keys[0])


def _at(m: Manifest | None, dotted: str) -> dict[str, Any] | None:
    """The mapping at a dotted path of a manifest ("environment.lock"), None when there is none."""
    value: Any = m
    for part in dotted.split("."):
        value = value.get(part) if value is not None and hasattr(value, "get") else None
    return value if isinstance(value, dict) else None


def _strip(key: str, prefix: str) -> str:
    return key[len(prefix) + 1 :] if key.startswith(prefix + ".") else key


def _reasons(changes: list[Change], level: Level) -> list[str]:
    """The changes that set the level; the params file's hash is left out when its params are listed."""
    found = reasons(changes, level)
    if any(c.key.startswith("params.") for c in changes if c.level == level):
        found = [r for r in found if not r.startswith("params_file.sha256")]
    if len(found) > MAX_REASONS:
        found = [*found[: MAX_REASONS - 1], f"and {len(found) - MAX_REASONS + 1} more"]
    return found


def _judge(old: Manifest, new: Manifest, changes: list[Change]) -> tuple[Level, Level, bool, str]:
    """(required, given, ok, reason) for a version step `old` → `new` carrying `changes`."""
    required = required_level(changes)
    try:
        a, b = old.semver, new.semver
    except GitmodelError:
        return required, Level.NONE, False, "unparseable version"
    given = semver.difference(a, b)
    why = "; ".join(_reasons(changes, required)) if changes else "no component changed"
    if b < a:
        return required, given, False, f"version lowered ({a} → {b}); {why}"
    if required == Level.NONE:
        return required, given, True, why
    if b == a:
        return required, given, False, f"not bumped: {required} required by {why}"
    if not semver.meets(b, a, required):
        return required, given, False, f"{given} given, {required} required by {why}"
    return required, given, True, f"{required} required by {why}"


def compare_models(name: str, old: Manifest | None, new: Manifest | None, cfg: Config,
                   old_name: str | None = None) -> ModelDiff | None:
    """The review of one model; None when nothing at all changed."""
    if old is None and new is None:
        return None
    if old is None:
        assert new is not None
        diff = ModelDiff(name, "added", None, None, new.version, reason="new model")
        changes = diff_manifests(Manifest(name=name, version=new.version), new, cfg.policy)
    elif new is None:
        diff = ModelDiff(name, "removed", None, old.version, None, reason="model removed")
        changes = diff_manifests(old, Manifest(name=name, version=old.version), cfg.policy)
    else:
        changes = diff_manifests(old, new, cfg.policy)
        if old_name is None and not changes and old.version == new.version:
            return None
        required, given, ok, reason = _judge(old, new, changes)
        status = "renamed" if old_name else "changed"
        if old_name:
            reason = f"renamed from {old_name}; {reason}"
        diff = ModelDiff(name, status, old_name, old.version, new.version, required, given, ok, reason)
    diff.files = _files_from(changes, old, new)
    for c in changes:
        if c.component == "kind":  # the unit's kind: not a registry kind (gitmodel/model/units.py)
            diff.metadata.append(ValueDelta(c.key, c.kind, c.old, c.new))
            continue
        row = _row(c)
        if row.shape == components.REFS:
            diff.uses.append(MemberMove(_strip(c.key, row.name), c.kind, c.old, c.new, c.level))
            continue
        if row.row == "files" or any(c.key.startswith(p) for p in row.pinned):
            continue  # file rows, above
        name = _strip(c.key, row.name) if row.row == row.name else c.key
        if row.row == "schema":
            diff.schema.append(SchemaDelta(c.key, c.kind, c.old, c.new, c.note.startswith("breaking"), c.note))
        elif row.row == "metrics":
            diff.metrics.append(metric_delta(name, c.kind, c.old, c.new))
        else:  # params, environment, lineage, metadata
            getattr(diff, row.row).append(ValueDelta(name, c.kind, c.old, c.new))
    return diff


def _pair_renames(removed: dict[str, Manifest], added: dict[str, Manifest]) -> list[tuple[str, str]]:
    """(old name, new name) for a removed and an added model that pin the same contents, then for pairs
    that kept at least half of their pinned paths or contents (renamed and changed in one go)."""
    by_key: dict[tuple[str, ...], list[str]] = {}
    for name in sorted(removed):
        key = _content_key(removed[name])
        if key:
            by_key.setdefault(key, []).append(name)
    pairs = []
    for name in sorted(added):
        candidates = by_key.get(_content_key(added[name]))
        if candidates:
            pairs.append((candidates.pop(0), name))
    # then renamed and changed: most of the pinned paths, or most of the contents, carried over
    paired_old, paired_new = {o for o, _ in pairs}, {a for _, a in pairs}
    left = {n: m for n, m in removed.items() if n not in paired_old}
    right = {n: m for n, m in added.items() if n not in paired_new}
    scored = sorted((-_likeness(left[o], right[a]), o, a) for o in left for a in right)
    for score, old, new in scored:
        if -score < RENAME_LIKENESS:
            break
        if old in left and new in right:
            pairs.append((old, new))
            del left[old], right[new]
    return pairs


def _likeness(a: Manifest, b: Manifest) -> float:
    """How much of a model a rename kept: the larger Jaccard index of pinned paths and of contents."""
    def jaccard(x: set[str], y: set[str]) -> float:
        return len(x & y) / len(x | y) if x | y else 0.0

    return max(jaccard({e.path for _, e in a.files()}, {e.path for _, e in b.files()}),
               jaccard({e.sha256 for _, e in a.files()}, {e.sha256 for _, e in b.files()}))


def stale_files(root: Path, cfg: Config, manifests: dict[str, Manifest], cache: HashCache) -> dict[str, list[str]]:
    """name → what in the working tree no longer matches its manifest (the change the diff cannot show)."""
    source = WorkTree(root, cache)
    out: dict[str, list[str]] = {}
    for name, m in manifests.items():
        state = ModelState(name, cfg.manifest_path(name), m)
        freshness(state, source, worktree=True)
        found = [f"{f.path}: {f.message}" for f in state.findings if f.rule == "fresh"]
        if found:
            out[name] = found
    return out


def _mark_stale(diff: ModelDiff, stale: list[str]) -> None:
    diff.stale = stale
    hint = f"the manifest is stale ({len(stale)} file(s) changed since it was written) — run `gitmodel bump {diff.name}`"
    diff.ok = False
    diff.reason = f"{hint}; {diff.reason}" if diff.reason else hint


# ---------------------------------------------------------------------------------------- history


def _attach_history(root: Path, cfg: Config, tags: TagIndex, diff: ModelDiff, new: Manifest,
                    released: ReleaseManifests) -> None:
    changed = [m.name for m in diff.metrics if is_number(m.new)]
    if not changed:
        return
    is_released = tags.release(diff.name, new.semver) is not None
    label = f"v{new.version} (changed)" if is_released else f"v{new.version} (new)"
    rows = metric_history(root, cfg, tags, diff.name, upto=new, upto_label=label, released=released)
    for metric in changed:
        points = [MetricPoint(lbl, float(m[metric])) for lbl, _r, m in rows if is_number(m.get(metric))]
        if len(points) >= 2:
            diff.history[metric] = points


# ------------------------------------------------------------------------------------------- entry


def diff(root: Path, a: str | None = None, b: str | None = None, model: str | None = None, *,
         expand: bool = False) -> DiffReport:
    """Review diff of the manifests from A to B (defaults: each model's latest release → working tree);
    `expand`: under each moved reference, the member's own diff (gitmodel/review/members_diff.py)."""
    if a is None and b is not None:
        raise InvalidInput("B given without A", where="B", hint="gitmodel diff A B")
    cfg = load_config(root)
    tags = read_tags(root)
    cache = HashCache(git.git_dir(root), root)
    names = {model} if model else None
    released = ReleaseManifests(root, cfg)
    old_side = (_latest_releases(tags, names, released) if a is None
                else _side(root, cfg, tags, a, cache, names, released))
    new_side = _side(root, cfg, tags, b, cache, names, released)
    if model and model not in old_side.manifests and model not in new_side.manifests:
        raise InvalidInput(f"no model {model!r} on either side ({old_side.label}, {new_side.label})",
                           where="--model", hint="see `gitmodel ls`")
    if old_side.release_of or new_side.release_of:
        # `NAME@vX.Y.Z` on one side narrows the other side to that model
        wanted = {s.release_of for s in (old_side, new_side) if s.release_of}
        for side in (old_side, new_side):
            if side.release_of is None:
                side.manifests = {n: m for n, m in side.manifests.items() if n in wanted}
    models: list[ModelDiff] = []
    unchanged: list[str] = []
    old_m, new_m = old_side.manifests, new_side.manifests
    stale = stale_files(root, cfg, new_m, cache) if b is None else {}
    pairs: list[tuple[str, str]] = []
    if old_side.release_of and new_side.release_of and old_side.release_of != new_side.release_of:
        pairs = [(old_side.release_of, new_side.release_of)]
    removed = {n: m for n, m in old_m.items() if n not in new_m}
    added = {n: m for n, m in new_m.items() if n not in old_m}
    pairs = pairs or _pair_renames(removed, added)
    paired_old = {o for o, _n in pairs}
    paired_new = {n for _o, n in pairs}
    for name in sorted(set(old_m) | set(new_m)):
        if name in paired_old:
            continue
        if name in paired_new:
            old_name = next(o for o, n in pairs if n == name)
            result = compare_models(name, old_m[old_name], new_m[name], cfg, old_name=old_name)
        else:
            result = compare_models(name, old_m.get(name), new_m.get(name), cfg)
        if result is None and name in stale:
            version = new_m[name].version
            result = ModelDiff(name, "changed", None, version, version, ok=True)
        if result is None:
            unchanged.append(name)
            continue
        if name in stale:
            _mark_stale(result, stale[name])
        models.append(result)
    trends = [d for d in models if d.metrics and d.name in new_m]
    # every release the trend charts need, in one cat-file call
    released.load([r for d in trends for r in history_releases(tags, d.name, new_m[d.name])])
    for d in trends:
        _attach_history(root, cfg, tags, d, new_m[d.name], released)
    report = DiffReport(old_side.label, new_side.label, models, unchanged, list(tags.warnings))
    if expand:
        from gitmodel.review.members_diff import expand_members

        expand_members(root, cfg, tags, report)
    return report
