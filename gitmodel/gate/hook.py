"""The lean git-hook entry point: `python -m gitmodel.hook pre-commit|pre-merge-commit|pre-push [--legacy PATH]
[-- ARGS]`. pre-merge-commit (`git merge` creating a merge commit) is judged as pre-commit is: on the index.

Runs on every `git commit`, so it pays only for what the commit touches. The fast path costs Python's
start-up plus three git calls and one small JSON file: `git diff --cached` names the staged paths, and
`.git/gitmodel/hookindex.json` maps each manifest's staged blob id to the paths it pins (files, `.dvc`
pointers, params file, environment lock). A commit that stages no manifest and no pinned path leaves
without importing yaml. Otherwise the full check runs on the index (GIT_INDEX_FILE, so `commit -a` and
`commit PATH` are judged on what they commit), narrowed to the affected models. A content-keyed cache
(`gitmodel.infra.parse_cache`) spares PyYAML for documents gitmodel wrote or parsed before, and staged manifests
are schema-validated by `gitmodel.model.schema_check` (jsonschema only to explain a failure).

Imports here are kept to the standard library and `gitmodel.repo.git` (which imports only `gitmodel.infra.errors`);
everything else is imported where it is needed. A test asserts typer, rich, GitPython, dvc, jsonschema
and yaml stay out of `sys.modules` on the fast path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gitmodel.infra import cache
from gitmodel.infra.errors import ExitCode, GitmodelError, InvalidInput
from gitmodel.repo import git

CONFIG_FILE = ".gitmodel.yaml"  # gitmodel.model.config.CONFIG_FILE; not imported: config imports yaml
INDEX_FILE = "hookindex.json"
INDEX_FORMAT = 2  # 2: each model's `folds` (its pins and manifest as a macOS/Windows checkout names them)
HOOK_TYPES = ("pre-commit", "pre-merge-commit", "pre-push")


def _say(line: str) -> None:
    # Hooks talk to the person committing through stderr (git shows it; stdout may be a pipe).
    sys.stderr.write(line + "\n")


# --------------------------------------------------------------------------------------- hook index


class HookIndex:
    """What the fast path needs to know without parsing YAML, kept in `<git dir>/gitmodel/hookindex.json`.

    A plain class: importing dataclasses (and inspect) would cost the hook ~20 ms.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.config = ""              # "blob <id>" of the staged config when the index was built
        self.manifests_dir = "models"
        self.models: dict[str, dict[str, object]] = {}  # manifest path → {oid, name, pins}
        self.dirty = False

    @classmethod
    def load(cls, git_dir: Path) -> HookIndex:
        index = cls(cache.cache_file(git_dir, INDEX_FILE))
        data = cache.load(index.path, INDEX_FORMAT)  # {} when missing, corrupt or another gitmodel version's
        models = data.get("models")
        if isinstance(data.get("config"), str) and isinstance(data.get("manifests"), str) and isinstance(models, dict):
            index.config, index.manifests_dir = data["config"], data["manifests"]
            index.models = {k: v for k, v in models.items() if isinstance(v, dict)
                            and isinstance(v.get("oid"), str) and isinstance(v.get("pins"), list)
                            and isinstance(v.get("folds"), list)}
        return index

    def save(self) -> None:
        if self.dirty and cache.save(self.path, INDEX_FORMAT, {"config": self.config, "manifests": self.manifests_dir,
                                                               "models": self.models}):
            self.dirty = False  # not saved (a read-only .git must not block a commit): the next run rebuilds it


def _staged_manifests_dir(root: Path) -> str:
    """The manifests directory the STAGED config names (never the working tree's: issue 13, item 5)."""
    from gitmodel.infra.fileio import parse_yaml
    from gitmodel.model.config import from_dict

    spec = f":{CONFIG_FILE}"
    blob = git.cat_files(root, [spec]).get(spec)
    if blob is None:
        return "models"
    where = f"{CONFIG_FILE} (index)"
    return from_dict(parse_yaml(blob, where=where), where=where).manifests


class ParseMemo:
    """The parsed-YAML cache for this run (`gitmodel.infra.fileio.use_parse_memo`): loaded on first need."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.docs: dict[str, object] | None = None
        self.new: dict[str, object] = {}

    def install(self) -> None:
        if self.docs is None:
            from gitmodel.infra import fileio
            from gitmodel.infra import parse_cache as parsecache

            self.docs = parsecache.load_docs(self.git_dir)
            self.new = fileio.use_parse_memo(self.docs)

    def save(self) -> None:
        if self.new:
            from gitmodel.infra import parse_cache as parsecache

            parsecache.remember_docs(self.git_dir, dict(self.new), self.docs)
            self.new.clear()


def refresh_index(root: Path, index: HookIndex, staged_manifests: dict[str, git.IndexEntry],
                  memo: ParseMemo | None = None) -> None:
    """Bring the index up to date with the staged manifests, parsing (YAML) only the ones whose blob moved."""
    prefix = index.manifests_dir.rstrip("/") + "/"
    current = {p: e for p, e in staged_manifests.items() if p.startswith(prefix) and p.endswith(".yaml")}
    for gone in set(index.models) - set(current):
        del index.models[gone]
        index.dirty = True
    stale = [p for p, e in current.items() if index.models.get(p, {}).get("oid") != e.oid]
    if not stale:
        return
    if memo is not None:
        memo.install()  # a manifest `gitmodel bump` wrote is known already: no YAML parse
    from gitmodel.infra.fileio import parse_yaml  # only now: a manifest moved since the last run
    from gitmodel.model.components import pinned_paths  # what a manifest pins: the registry's one walk

    blobs = git.cat_files(root, [f":{p}" for p in stale])
    for path in stale:
        try:
            doc = parse_yaml(blobs.get(f":{path}") or b"", where=path)
        except GitmodelError:
            doc = None  # judged (and reported) by the full check whenever it is staged
        index.models[path] = index_entry(path, current[path].oid, path[len(prefix) : -len(".yaml")], pinned_paths(doc))
        index.dirty = True


def index_entry(manifest: str, oid: str, name: str, pins: list[str]) -> dict[str, object]:
    """One model in the hook index: its pins, and those and its manifest as a macOS/Windows checkout names them."""
    return {"oid": oid, "name": name, "pins": pins, "folds": sorted({git.fold_path(p) for p in [*pins, manifest]})}


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def affected_models(index: HookIndex, staged: list[str]) -> set[str]:
    """Names of the models whose manifest or a pinned path (or a file inside a pinned directory) is staged."""
    prefix = index.manifests_dir.rstrip("/") + "/"
    # pinned paths as a macOS/Windows checkout names them (folded once, when the manifest moved): a staged
    # path that IS a pinned path there (`Prompts/x.txt`, NFD, `x.txt.`) concerns the model too, and so does
    # one that is its manifest there (`models/x.yaml.` is no manifest here)
    folded: dict[str, set[str]] = {}
    for entry in index.models.values():
        name, folds = str(entry.get("name")), entry.get("folds")
        for key in folds if isinstance(folds, list) else ():  # load() keeps only entries that have them
            folded.setdefault(str(key), set()).add(name)
    names: set[str] = set()
    for path in staged:
        if path.startswith(prefix) and path.endswith(".yaml"):
            names.add(path[len(prefix) : -len(".yaml")])
            continue
        for candidate in _ancestors(path):
            names |= folded.get(git.fold_path(candidate), set())
    return names


# -------------------------------------------------------------------------------------------- pre-commit


def _repo() -> tuple[Path, Path]:
    """(work-tree root, this work tree's git dir) in one git call."""
    result = git.run(Path.cwd(), "rev-parse", "--show-toplevel", "--absolute-git-dir", check=False)
    lines = result.text.splitlines()
    if result.returncode != 0 or len(lines) != 2:
        raise InvalidInput("not inside a git work tree", where=str(Path.cwd()),
                               hint="gitmodel's hooks run inside a repository with a work tree")
    return Path(lines[0]), Path(lines[1])


def staged_paths(root: Path) -> list[str]:
    """Paths whose staged content differs from HEAD (added, modified, deleted), from GIT_INDEX_FILE's index."""
    raw = git.run(root, "diff", "--cached", "--name-only", "-z", "--no-renames", "--no-ext-diff").stdout
    return [p.decode("utf-8", "surrogateescape") for p in raw.split(b"\0") if p]


def pre_commit(root: Path, git_dir: Path) -> int:
    staged = staged_paths(root)
    if not staged:
        return 0
    index = HookIndex.load(git_dir)
    memo = ParseMemo(git_dir)
    # Everything is read from the index, the config too: the staged config's blob id is its key, and the
    # same ls-files call that lists the staged manifests names it (no extra git call when it is unchanged).
    listing = git.ls_files_stage(root, [index.manifests_dir + "/", CONFIG_FILE])
    config_entry = listing.pop(CONFIG_FILE, None)
    config = f"blob {config_entry.oid}" if config_entry is not None else "absent"
    if config != index.config:
        manifests_dir = "models"
        if config_entry is not None:
            memo.install()
            manifests_dir = _staged_manifests_dir(root)
        if manifests_dir != index.manifests_dir:
            index.models = {}
            listing = git.ls_files_stage(root, [manifests_dir + "/"])
        index.config, index.manifests_dir, index.dirty = config, manifests_dir, True
    refresh_index(root, index, listing, memo)
    names: set[str] | None = affected_models(index, staged)
    index.save()
    memo.save()
    policy_base = None
    config_key = git.fold_path(CONFIG_FILE)
    if any(len(p) >= len(CONFIG_FILE) and git.fold_path(p) == config_key for p in staged if "/" not in p):
        # the config (or a path that IS it on a macOS/Windows checkout) is staged: a new policy or manifests
        # directory, so judge every model
        names = None
        policy_base = "HEAD"  # ... by the stricter of the old and the new policy (no softening the rule in passing)
    elif not names:
        return 0
    # staged manifests are schema-validated; gitmodel.model.schema_check answers "valid" without importing
    # jsonschema, which is loaded only to decide and explain a manifest that fails
    full = {p for p in staged if p in index.models}

    from gitmodel.gate.check import run_check

    memo.install()
    result = run_check(root, mode="index", names=names, full_paths=full, git_dir=git_dir, policy_base=policy_base)
    memo.save()
    for warning in result.warnings:
        _say(f"warning: {warning}")
    for finding in result.findings:
        _say(finding.line())
    if result.models or not result.ok:
        _say(result.summary())
    if not result.ok:
        _say("gitmodel: commit refused — fix the above, or skip the check once with `git commit --no-verify` "
             "(CI's `gitmodel check --base` still catches it)")
    return 0 if result.ok else int(ExitCode.REFUSED)


# ---------------------------------------------------------------------------------------------- pre-push


def pre_push(root: Path, stdin: bytes, args: list[str] | None = None) -> int:
    """git passes `<remote name> <remote url>` and the ref lines; the pre-commit framework passes neither
    (one ref and the remote in PRE_COMMIT_* variables), so then every release tag the remote lacks is judged."""
    from gitmodel.gate.prepush import (
        ALLOW_TAG_MOVES_ENV,
        judge_push,
        parse_push_lines,
        refs_from_pre_commit_framework,
        remote_of_pre_commit_framework,
    )

    refs = parse_push_lines(stdin)
    remote: str | None = args[0] if args else None  # git passes <name> <url> (the url as name for a bare url)
    framework = not refs and remote_of_pre_commit_framework(os.environ) is not None
    if framework:
        refs, remote = refs_from_pre_commit_framework(os.environ), remote_of_pre_commit_framework(os.environ)
    report = judge_push(root, refs, allow_tag_moves=os.environ.get(ALLOW_TAG_MOVES_ENV) == "1", remote=remote,
                        every_missing_tag=framework)
    for note in report.notes:
        _say(f"gitmodel: {note}")
    for line in report.lines():
        _say(line)
    if not report.ok:
        _say(report.summary())
        _say("gitmodel: push refused — skip the check once with `git push --no-verify` "
             "(CI's `gitmodel check --base` still runs)")
        return int(ExitCode.REFUSED)
    return 0


# ----------------------------------------------------------------------------------------------- runner


def run_legacy(legacy: str | None, args: list[str], stdin: bytes | None) -> int:
    """Run the hook gitmodel moved aside at install (`<hook>.legacy`) with the same arguments and stdin."""
    if not legacy or not os.path.isfile(legacy):
        return 0
    if not os.access(legacy, os.X_OK):
        return 0  # git itself ignores a hook that is not executable
    # pre-push gets the ref lines it would have read from git; pre-commit keeps the inherited stdin
    proc = subprocess.run([legacy, *args], input=stdin, check=False)
    return proc.returncode


def run_lfs_pre_push(root: Path, legacy: str | None, args: list[str], stdin: bytes) -> int:
    """Git LFS's pre-push (upload the pushed commits' LFS objects) when this repository uses LFS, unless the
    hook gitmodel kept as `.legacy` already ran it: `git lfs install` cannot write its own beside gitmodel's."""
    import shutil

    from gitmodel.storage.lfs import hook_runs_lfs, used_here

    if not used_here(root) or (legacy and hook_runs_lfs(Path(legacy), "pre-push")):
        return 0
    if shutil.which("git-lfs") is None:
        _say("gitmodel: this repository uses Git LFS but git-lfs is not on PATH, so its objects cannot be "
             "uploaded; install it (Debian/Ubuntu: `apt-get install git-lfs`) or push with --no-verify")
        return 2
    return subprocess.run(["git", "lfs", "pre-push", *args], input=stdin, cwd=root, check=False).returncode


def _parse_argv(argv: list[str]) -> tuple[str, str | None, list[str]]:
    if not argv or argv[0] not in HOOK_TYPES:
        raise InvalidInput(f"expected a hook type ({', '.join(HOOK_TYPES)}), got {argv[:1]}",
                           where="gitmodel.hook", hint="python -m gitmodel.hook pre-commit")
    hook_type, rest, legacy = argv[0], argv[1:], None
    if rest[:1] == ["--legacy"] and len(rest) >= 2:
        legacy, rest = rest[1], rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    return hook_type, legacy, rest


def run(argv: list[str]) -> int:
    hook_type, legacy, args = _parse_argv(argv)
    stdin: bytes | None = None
    if hook_type == "pre-push":
        # Read git's ref lines once: the legacy hook and our check both need them.
        stdin = b"" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read()
    code = run_legacy(legacy, args, stdin)
    if code != 0:
        _say(f"gitmodel: {os.path.basename(legacy or '')} exited with {code}; {hook_type} refused")
        from gitmodel.gate.install import (
            is_pre_commit_framework,  # only on this failure path: the hook stays lean
        )

        if legacy and is_pre_commit_framework(Path(legacy)):
            _say("gitmodel: that is the pre-commit framework's hook, which cannot run as .legacy; "
                 "`gitmodel hooks install` puts it back and chains gitmodel's the way it expects")
        return code
    root, git_dir = _repo()
    if hook_type in ("pre-commit", "pre-merge-commit"):
        return pre_commit(root, git_dir)
    code = run_lfs_pre_push(root, legacy, args, stdin or b"")
    if code != 0:
        _say(f"gitmodel: `git lfs pre-push` exited with {code}; push refused")
        return code
    return pre_push(root, stdin or b"", args)


def main(argv: list[str] | None = None) -> None:
    """Console script `gitmodel-hook`: exit 0 to let git go on, non-zero to block."""
    try:
        code = run(sys.argv[1:] if argv is None else argv)
    except GitmodelError as exc:
        if os.environ.get("GITMODEL_TRACEBACK") == "1":
            raise
        _say(exc.line())
        code = int(exc.exit_code)
    except KeyboardInterrupt:
        _say("error: interrupted")
        code = int(ExitCode.INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - a hook that crashes must still say why it blocked
        if os.environ.get("GITMODEL_TRACEBACK") == "1":
            raise
        _say(f"error: unexpected error in the gitmodel hook: {type(exc).__name__}: {exc} — rerun with "
             "GITMODEL_TRACEBACK=1 and report it; `--no-verify` skips the hook once")
        code = int(ExitCode.INTERNAL)
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
