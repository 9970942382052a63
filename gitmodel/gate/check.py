"""The gate: every manifest fresh, bumped against its latest release, immutable once released, whole.

Lean on purpose: the pre-commit hook runs this, so nothing here imports typer, rich, GitPython or DVC,
and jsonschema is imported only to validate a manifest that is itself being committed.
"""

from __future__ import annotations

from pathlib import Path

from gitmodel.gate.judged import JudgedIndex
from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.gcpause import paused_gc
from gitmodel.infra.hashing import HashCache
from gitmodel.model.components import kind_of, pinned_by_kind, pinned_paths
from gitmodel.model.config import CONFIG_FILE, Config, load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.policy import Change, diff_manifests, version_verdict
from gitmodel.model.records import Record, field, replace
from gitmodel.model.semver import Level
from gitmodel.repo import git
from gitmodel.repo.reading import (
    _manifests_at,
    changed_manifests,
    config_at,
    config_of_commit,
    earlier_releases,
    load_manifests,
    make_source,
    manifest_names,
    released_manifests,
)
from gitmodel.repo.sources import Commit, Source
from gitmodel.repo.tags import TagIndex, read_tags
from gitmodel.storage.backends import backend_for, preload
from gitmodel.storage.dvc_pointers import pointer_path
from gitmodel.storage.formats import format_from_name, is_code_on_load

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from collections.abc import Callable

    from gitmodel.infra.progress import Progress
    from gitmodel.repo.git import IndexEntry


class Finding(Record, frozen=True):
    """One violation of the bump rule, with the command that fixes it."""

    model: str
    rule: str             # fresh, bumped, immutable, whole
    path: str
    message: str
    fix: str
    level: Level | None = None
    old: str | None = None
    new: str | None = None
    unreleased: bool = False  # a fresh finding of a model with no release yet: no version change needed

    def line(self) -> str:
        what = self.message
        if self.old or self.new:
            what += f" ({(self.old or '-')[:8]} → {(self.new or '-')[:8]})"
        need = f"; requires {self.level}" if self.level not in (None, Level.NONE) else ""
        if self.unreleased:
            need = "; requires none (not released yet)"
        return f"{self.model}: {self.path}: {what}{need} — run `{self.fix}`"

    def to_json(self) -> dict[str, object]:
        return {"model": self.model, "rule": self.rule, "path": self.path, "message": self.message,
                "old": self.old, "new": self.new, "level": str(self.level) if self.level is not None else None,
                "fix": self.fix, "unreleased": self.unreleased}


class ModelState(Record):
    name: str
    manifest_path: str
    manifest: Manifest
    findings: list[Finding] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)       # vs latest release
    released: str | None = None                                # latest release version
    required: Level = Level.NONE

    @property
    def fresh(self) -> bool:
        return not any(f.rule in ("fresh", "whole") for f in self.findings)

    @property
    def version(self) -> str:
        return self.manifest.version

    def weight_formats(self) -> list[tuple[str, str | None]]:
        """(path, format) of each weights file: the format the manifest names, else the one its name tells."""
        return [(e.path, e.format or format_from_name(e.path)) for e in self.manifest.weights]


class KeptState(ModelState):
    """A state served by the judged index (gitmodel/gate/judged.py), which keeps no manifest: it is read again
    from its file (whose stat the index found unchanged) on first read, and must give back the one judged.
    `status`, `ls` and `check` read only its version and its weights' formats, kept beside it: decoding
    10,000 manifests they do not read cost `status` ~150 ms.

    Built by `judged.kept_state` only; equal to the ModelState it was judged as (the index stores an entry only
    when its decoding gives that state back)."""

    # kept_state sets `_kept` (version, weight formats, root, manifest digest) in the instance's dict: an
    # annotation here would make it a field

    @property  # type: ignore[misc]  # read-only: a kept state is never judged again
    def manifest(self) -> Manifest:  # type: ignore[override]
        held = self.__dict__["manifest"]
        if held is None:
            from gitmodel.gate.judged import read_kept_manifest

            _, _, root, digest = self.__dict__["_kept"]
            held = self.__dict__["manifest"] = read_kept_manifest(root, self.manifest_path, digest)
        return held  # type: ignore[no-any-return]

    @property
    def version(self) -> str:
        return self.__dict__["_kept"][0]  # type: ignore[no-any-return]

    def weight_formats(self) -> list[tuple[str, str | None]]:
        return list(self.__dict__["_kept"][1])

    def _values(self) -> tuple[object, ...]:
        self.manifest  # noqa: B018 - read before it is compared, hashed or shown
        return super()._values()

    def __eq__(self, other: object) -> bool:
        return self._values() == other._values() if isinstance(other, ModelState) else NotImplemented


class CheckResult(Record):
    models: list[ModelState]
    findings: list[Finding]
    warnings: list[str]
    source: str

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        if self.ok:
            return f"gitmodel: {len(self.models)} model(s) checked in the {self.source}: all fresh and versioned"
        touched = len({f.model for f in self.findings})
        return (f"gitmodel: {len(self.findings)} violation(s) in {touched} model(s) "
                f"({len(self.models)} checked in the {self.source})")

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "source": self.source, "checked": [m.name for m in self.models],
                "violations": [f.to_json() for f in self.findings], "warnings": self.warnings}


def policy_floor(cfg: Config, before: Config | None) -> tuple[Config, dict[str, Level]]:
    """A change is judged by the stricter of its own policy and the policy it changes (`before`): a pull
    request cannot soften the rule it is judged by. Returns (config to judge with, components whose level
    came from `before`)."""
    if before is None:
        return cfg, {}
    floor = {c: level for c, level in before.policy.items() if level > cfg.policy.get(c, Level.NONE)}
    if not floor:
        return cfg, {}
    return replace(cfg, policy={**cfg.policy, **floor}), floor


def freshness(state: ModelState, source: Source, *, worktree: bool) -> None:
    """Every recorded hash equals the content in `source` (rules 1 and 4: fresh and whole)."""
    name, m = state.name, state.manifest
    fix = f"gitmodel bump {name}"
    preload(source, [e for _, e in m.files()], [p for _, p, _ in m.pinned_extras()])
    for component, entry in m.files():
        linked = [(p, kind) for p in (entry.path, pointer_path(entry.path)) if (kind := source.link_kind(p))]
        if linked:  # git stores the link's target, not the bytes (and DVC, git, the loader follow it)
            path, kind = linked[0]
            state.findings.append(Finding(
                name, "whole", path, f"{component} file is a {kind} in git, which records the link, not the bytes",
                fix=f"cp --remove-destination \"$(readlink -f {path})\" {path} && git add {path} && "
                    f"gitmodel bump {name}" if kind == "symlink" else f"git rm --cached {path}"))
            continue
        state.findings += [Finding(name, s.rule, s.path, s.message, s.fix, old=s.old, new=s.new)
                           for s in backend_for(entry).freshness(source, entry, component, model=name,
                                                                 manifest_path=state.manifest_path, worktree=worktree)]
    for component, path in [*pinned_by_kind(m), ("manifest", state.manifest_path)]:
        state.findings += lookalike_findings(source, name, path, component)
    for component, path, recorded in m.pinned_extras():
        digest = source.sha256(path)
        if digest is None:
            state.findings.append(Finding(name, "whole", path, f"{component} file is missing",
                                          fix=f"restore {path}"))
        elif digest != recorded:
            state.findings.append(Finding(name, "fresh", path, f"{component} file changed", fix=fix,
                                          old=recorded, new=digest))


def lookalike_findings(source: Source, model: str, path: str, what: str) -> list[Finding]:
    """Paths that are `path` on a macOS or Windows checkout, where git writes both to one file."""
    return [Finding(model, "whole", other, f"is {path} ({what}) on a macOS or Windows checkout (case, Unicode "
                    "form, trailing dots), where git writes both to one file", fix=f"git rm --cached -- {other}")
            for other in source.lookalikes(path)]


def versioning(state: ModelState, cfg: Config, tags: TagIndex,
               released: tuple[str, Manifest | None] | None, warnings: list[str],
               floor: dict[str, Level] | None = None, floor_label: str = "") -> None:
    """Rules 2 and 3: bumped against the latest release by the level the policy requires; immutable."""
    if released is None:
        # unreleased: the version may stay until the first `gitmodel tag`; say so rather than name no level
        state.findings[:] = [replace(f, level=Level.NONE, unreleased=True) if f.rule == "fresh" else f
                             for f in state.findings]
        used = tags.used_tag(state.name, state.manifest.semver)
        if used is not None:  # every release deregistered: the versions stay used (issue 13 item 6)
            state.findings.append(Finding(state.name, "immutable", cfg.manifest_path(state.name),
                                          f"version {state.manifest.version} was already used by the tag {used} "
                                          "(deregistered versions are not reused)",
                                          fix=f"gitmodel bump {state.name}"))
        return
    version, old = released
    state.released = version
    if old is None:
        warnings.append(f"{state.name}: the manifest of release {state.name}@v{version} cannot be read at its "
                        f"commit; changes since that release are not judged")
    current = state.manifest.semver
    latest = tags.latest(state.name)
    assert latest is not None
    changes = diff_manifests(old, state.manifest, cfg.policy) if old is not None else []
    level, problem = version_verdict(current, latest.version, changes)
    state.changes, state.required = changes, level
    reused = tags.used_tag(state.name, current)
    if problem is None and reused is not None and reused != latest.tag:
        problem = f"version {current} was already used by the tag {reused} (deregistered versions are not reused)"
    fix = f"gitmodel bump {state.name}"
    held = sorted({c.component for c in changes if floor and c.component in floor and c.level == level})
    if problem and held:
        # the change's own config asks less: `bump` would read it, so the fix names the level
        problem += (f" ({', '.join(held)}: {level} under the policy of {floor_label}; a policy change "
                    "applies to changes made after it is merged)")
        fix = f"gitmodel bump {state.name} --{level}"
    moved = [c.describe() for c in changes if c.component == "uses" and c.level == level]
    if problem and moved:  # a moved reference is named by its field: the file is the same, its line moved
        problem += f" ({'; '.join(moved)})"
    if problem:
        rule = "immutable" if current <= latest.version or reused is not None else "bumped"
        state.findings.append(Finding(state.name, rule, cfg.manifest_path(state.name), problem,
                                      fix=fix, level=level, old=version, new=str(current)))
    # pending fresh findings: say what level the changed files will require
    policy_level = {f.path: cfg.policy.get(kind_of(state.manifest, f.path), Level.NONE)
                    for f in state.findings if f.rule == "fresh"}
    state.findings[:] = [
        Finding(f.model, f.rule, f.path, f.message, f.fix, level=policy_level.get(f.path), old=f.old, new=f.new)
        if f.rule == "fresh" else f for f in state.findings
    ]


def hash_pairs(state: ModelState, released: tuple[str, Manifest | None] | None,
               earlier: list[tuple[str, Manifest]] | None = None) -> None:
    """A pinned file's identity is its (sha256, md5) pair: a pair that contradicts the latest release (the
    same sha256 with another md5, or the same md5 with another sha256) or another entry of the manifest
    claims bytes that are not the bytes named, whatever the version says."""
    name = state.name
    known: dict[tuple[str, str], tuple[str, str]] = {}  # ("sha256"|"md5", value) → (other hash, where)
    past = [released] if released is not None and released[1] is not None else []
    for version, manifest in [*past, *reversed(earlier or [])]:  # the latest first: it names a clash
        where = f"{name}@v{version}"
        assert manifest is not None
        for _, old in manifest.files():
            if old_id := backend_for(old).content_id(old):  # the md5 a DVC store keeps the bytes under
                known.setdefault(("sha256", old.sha256), (old_id, where))
                known.setdefault(("md5", old_id), (old.sha256, where))
    for component, entry in state.manifest.files():
        if not entry.md5 or not backend_for(entry).content_id(entry):
            continue
        for kind, value, other_kind, other in (("sha256", entry.sha256, "md5", entry.md5),
                                               ("md5", entry.md5, "sha256", entry.sha256)):
            seen = known.get((kind, value))
            if seen is not None and seen[0] != other:
                state.findings.append(Finding(
                    name, "fresh", entry.path,
                    f"{component}: {kind} {value[:8]} was released with {other_kind} {seen[0][:8]} ({seen[1]}), "
                    f"this manifest pairs it with {other_kind} {other[:8]} — the hashes name different bytes",
                    fix=f"gitmodel bump {name}", old=seen[0], new=other))
                break
        else:
            known.setdefault(("sha256", entry.sha256), (entry.md5, state.manifest_path))
            known.setdefault(("md5", entry.md5), (entry.sha256, state.manifest_path))


def lineage_parent(state: ModelState, tags: TagIndex) -> None:
    """Rule 4 (whole) for lineage: `lineage.parent` names an existing release."""
    parent = (state.manifest.lineage or {}).get("parent")
    if parent is None:
        return
    from gitmodel.repo.lineage import PARENT_FIELD, parent_problem  # only for models with a parent

    problem = parent_problem(tags, parent, child=state.name, child_version=state.manifest.version)
    if problem is not None:
        state.findings.append(Finding(state.name, "whole", f"{state.manifest_path}: {PARENT_FIELD}",
                                      problem.removeprefix(f"{PARENT_FIELD} "),
                                      fix=f"gitmodel bump {state.name} --parent NAME@vX.Y.Z"))


def run_check(root: Path, *, mode: str = "worktree", rev: str | None = None, base: str | None = None,
              names: set[str] | None = None, full_paths: set[str] | None = None,
              cfg: Config | None = None, tags: TagIndex | None = None, git_dir: Path | None = None,
              policy_base: str | None = None, progress: Progress | None = None,
              staged: dict[str, IndexEntry | None] | None = None, known_pin: Callable[[str], bool] | None = None
              ) -> CheckResult:
    """Judge every manifest (or `names`) in the work tree, the index or a commit.

    The hook passes `staged` (its `git diff --cached`) and `known_pin` (HEAD pins a folded path) with `names`:
    the index is then told by HEAD and those entries, not listed whole (gitmodel/repo/staged.py).

    The policy is the stricter of the judged state's and `policy_base`'s (default: `base`): the hook passes
    HEAD when the config is staged, so neither a commit nor a pull request softens the rule it is judged by.
    """
    with paused_gc():  # every state lives to the end of the run (gitmodel/infra/gcpause.py)
        return _run_check(root, mode=mode, rev=rev, base=base, names=names, full_paths=full_paths, cfg=cfg,
                          tags=tags, git_dir=git_dir, policy_base=policy_base, progress=progress, staged=staged,
                          known_pin=known_pin)


def _run_check(root: Path, *, mode: str, rev: str | None, base: str | None, names: set[str] | None,
               full_paths: set[str] | None, cfg: Config | None, tags: TagIndex | None, git_dir: Path | None,
               policy_base: str | None, progress: Progress | None, staged: dict[str, IndexEntry | None] | None,
               known_pin: Callable[[str], bool] | None) -> CheckResult:
    cache = HashCache(git_dir or git.git_dir(root), root, progress=progress)  # the hook passes git_dir: one git call fewer
    if base is not None and mode == "worktree":
        # CI judges the commit; with --staged the index is judged and --base only adds the history check
        mode, rev = "rev", rev or "HEAD"
    source = make_source(root, cache, mode, rev, staged=staged, known_pin=known_pin)
    # the index and a commit are judged by their own config: an unstaged edit of it changes nothing
    cfg = cfg or (load_config(root) if mode == "worktree" else config_at(source))
    floor: dict[str, Level] = {}
    floor_label = policy_base = policy_base or base
    before: Config | None = None
    if policy_base is not None:
        base_commit = git.resolve_commit(root, policy_base)
        before = config_of_commit(root, base_commit) if base_commit is not None else None
        cfg, floor = policy_floor(cfg, before)
    tags = tags if tags is not None else read_tags(root)
    if names is not None:
        source.expect(f"{cfg.manifests.rstrip('/')}/{n}.yaml" for n in names)
    listing = manifest_names(source, cfg, names)
    # the work tree of a plain `check`/`status`/`ls`: models whose inputs did not move are not judged again
    judged = JudgedIndex(root, cache.path.parent.parent, cfg) if mode == "worktree" and policy_base is None else None
    reused: dict[str, ModelState] = {}
    head: str | None = None
    if judged is not None and full_paths is None:
        # while HEAD's manifests tree is the one the entries were judged against, git is asked which manifests
        # differ from HEAD's only when a model is judged again
        head = git.head_tree(root, cfg.manifests)
        reused = judged.reuse(listing, None, tags, head=head)
    if full_paths is None and len(reused) < len(listing):
        full_paths = changed_manifests(root, cfg, mode, rev, base)
        if judged is not None:
            rest = {p: n for p, n in listing.items() if n not in reused}
            reused.update(judged.reuse(rest, full_paths, tags))
    elif full_paths is not None and judged is not None:
        reused = judged.reuse(listing, full_paths, tags)
    loaded = load_manifests(source, cfg, full=full_paths,
                            listing={p: n for p, n in listing.items() if n not in reused})
    states = [ModelState(name, path, m) for name, (path, m) in sorted(loaded.items())]
    released = released_manifests(root, cfg, tags, [s.name for s in states])
    warnings = list(tags.warnings)
    # the paths freshness asks about (each file's DVC pointer too: a link there is refused), named ahead
    source.expect([s.manifest_path for s in states] +
                  [q for s in states for p in pinned_paths(s.manifest) for q in (p, pointer_path(p))])
    # one git call for every model's git-stored files (their sha256 is the stored blob's) and LFS pointers
    preload(source, [e for s in states for _, e in s.manifest.files()],
            [p for s in states for _, p, _ in s.manifest.pinned_extras()])
    # CI (`--base`) holds a pair against every release; the hook, for speed, against the latest
    earlier = earlier_releases(root, cfg, tags, [s.name for s in states]) if base is not None else {}
    mismatched: dict[str, list[str]] = {}
    if any(s.manifest.uses for s in states):
        from gitmodel.gate.references import reference_findings  # only when some unit references another

        mismatched = reference_findings(root, cfg, tags, states)
    for state in states:
        said = len(warnings)
        warnings += mismatched.get(state.name, [])  # said every run: a warned model is not kept as judged
        freshness(state, source, worktree=mode == "worktree")
        versioning(state, cfg, tags, released.get(state.name), warnings, floor, floor_label or "")
        hash_pairs(state, released.get(state.name), earlier.get(state.name))
        lineage_parent(state, tags)
        if judged is not None:
            judged.record(state, full_paths is None or state.manifest_path in full_paths, tags, warnings[said:])
    if reused:
        states = sorted([*states, *reused.values()], key=lambda s: s.name)
    findings = [f for s in states for f in s.findings]
    if names is None:  # a look-alike of the config replaces it on such a checkout (the hook: config staged)
        findings += lookalike_findings(source, "gitmodel", CONFIG_FILE, "config")
    # a manifest deleted while releases exist (for `names`, only theirs: the hook narrows to what is staged)
    deprecated = {t.split("@")[0] for t in tags.other if t.endswith("@deprecated")}
    released_names = set(tags.releases) if names is None else set(tags.releases) & names
    for name in sorted(released_names - set(listing.values()) - deprecated):
        latest = tags.latest(name)
        if latest is None:
            continue
        findings.append(Finding(name, "whole", cfg.manifest_path(name),
                                f"manifest deleted while release {latest.tag} exists",
                                fix=f"git checkout {latest.tag} -- {cfg.manifest_path(name)}  "
                                    f"# or retire it: git tag -a {name}@deprecated -m retired"))
    if base is not None:
        findings += _since_base(root, before or cfg, cache, base, loaded)
        findings += _governance(root, base, rev or "HEAD", tags, warnings)
    cache.save()
    if judged is not None:
        if names is None:
            judged.forget_missing(set(listing))
        judged.decided(head, every_model=names is None)
        judged.save(every_model=names is None)
    label = {"index": "index", "rev": f"commit {rev}", "worktree": "working tree"}[mode]
    return CheckResult(states, findings, [*warnings, *code_on_load_warnings(states)], label)


def _governance(root: Path, base: str, head: str, tags: TagIndex, warnings: list[str]) -> list[Finding]:
    """CI: say every change of roles or signers since `base` (a reviewed change, never a silent one), and
    verify every release, approval and stage tag pushed alongside (on a commit `base` lacks)."""
    from gitmodel.repo.governance import changes
    from gitmodel.repo.verdicts import new_tag_problems

    base_commit, head_commit = git.resolve_commit(root, base), git.resolve_commit(root, head)
    if base_commit is None or head_commit is None:
        return []
    warnings += changes(root, base_commit, head_commit)
    # the fix: drop the tag, then redo it signed by a member of the role whose key is in base's signers file
    return [Finding(model, "signed", tag, problem, fix=f"git tag -d {tag}")
            for model, tag, problem in new_tag_problems(root, tags, base_commit, head_commit)]


def code_on_load_warnings(states: list[ModelState]) -> list[str]:
    """A warning (never a violation) per weights file whose loading runs arbitrary code (pickle, joblib, pt)."""
    warnings = []
    for state in states:
        for path, fmt in state.weight_formats():
            if not is_code_on_load(fmt):
                continue
            when = (f"released as {state.name}@v{state.released}" if state.released
                    else "not released yet")
            warnings.append(f"{state.name}: {path} is {fmt} ({when}): loading it runs arbitrary code — "
                            f"load it only from a trusted source, or ship safetensors/ONNX instead")
    return warnings


def _since_base(root: Path, cfg: Config, cache: HashCache, base: str, loaded: dict[str, tuple[str, Manifest]]
                ) -> list[Finding]:
    """Manifests changed since `base`: a version never moves backwards (HEAD itself is judged by run_check).
    `cfg` is base's config (its manifests directory: the directory may have moved since).

    A manifest that is new since `base`, or unreadable there, has nothing to compare against and is skipped.
    """
    commit = git.resolve_commit(root, base)
    if commit is None:
        raise InvalidInput(f"unknown revision {base!r}", where="--base",
                           hint="fetch it first (CI: fetch-depth: 0) or name a branch or commit")
    before = _manifests_at(Commit(root, cache, commit), cfg)
    findings = []
    for name, (path, now) in sorted(loaded.items()):
        then = before.get(name)
        if then is None:
            continue
        if now.semver < then.semver:
            findings.append(Finding(name, "bumped", path, f"version lowered since {base} ({then.version} → {now.version})",
                                    fix=f"gitmodel bump {name}", old=then.version, new=now.version))
    return findings
