"""The lean git-hook entry point: `python -m gitmodel.hook pre-commit|pre-merge-commit|pre-push [--legacy PATH]
[-- ARGS]`. pre-merge-commit (`git merge` creating a merge commit) is judged as pre-commit is: on the index.

Runs on every `git commit`, so it pays only for what the commit touches, not for the number of models.
The fast path costs Python's start-up plus two git processes and one substring search per staged path:
`git diff --cached` (started first, and left to run while this process reads its own index of HEAD's pins
and, in a large repository, loads the check's modules: `warm_while`) names the staged paths, `git cat-file
--batch-command` names HEAD's config blob and manifests tree, and `.git/gitmodel/hookpaths`
(`gitmodel.gate.hook_index`, kept current with HEAD by those ids) says which model pins each path (files,
`.dvc` pointers, params file, environment lock). A commit that stages no manifest and no pinned path leaves
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
import sys

from gitmodel.infra.errors import ExitCode, GitmodelError, InvalidInput
from gitmodel.repo.git import run as run_git
from gitmodel.repo.staged import parse_raw_diff

TYPE_CHECKING = False  # subprocess and pathlib are imported where used: a commit that concerns no model
if TYPE_CHECKING:      # starts git through gitmodel/repo/spawn.py and names paths as text
    from collections.abc import Callable
    from pathlib import Path

    from gitmodel.gate.hook_index import PathIndex
    from gitmodel.repo.git import IndexEntry, Later

CONFIG_FILE = ".gitmodel.yaml"  # gitmodel.model.config.CONFIG_FILE; not imported: config imports yaml
HOOK_TYPES = ("pre-commit", "pre-merge-commit", "pre-push")


def _say(line: str) -> None:
    # Hooks talk to the person committing through stderr (git shows it; stdout may be a pipe).
    sys.stderr.write(line + "\n")


class ParseMemo:
    """The parsed-YAML cache for this run (`gitmodel.infra.fileio.use_parse_memo`): loaded on first need."""

    def __init__(self, git_dir: Path | str) -> None:
        self.git_dir = git_dir
        self.docs: dict[str, str] | None = None
        self.new: dict[str, str] = {}

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


# -------------------------------------------------------------------------------------------- pre-commit


def _repo() -> tuple[str, str]:
    """(work-tree root, this work tree's git dir). git runs a hook at the work tree's root, so a `.git`
    directory there answers without starting git (~2 ms); anything else (a linked worktree's `.git` file, a
    hook run by hand from a subdirectory, GIT_DIR or GIT_WORK_TREE set) asks git."""
    here = os.getcwd()
    dot_git = os.path.join(here, ".git")
    if not (os.environ.keys() & {"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR"}) and os.path.isdir(dot_git) \
            and not os.path.islink(dot_git):
        return here, dot_git
    result = run_git(os.getcwd(), "rev-parse", "--show-toplevel", "--absolute-git-dir", input=b"", check=False)
    lines = result.stdout.decode("utf-8", "surrogateescape").splitlines()
    if result.returncode != 0 or len(lines) != 2:
        raise InvalidInput("not inside a git work tree", where=os.getcwd(),
                               hint="gitmodel's hooks run inside a repository with a work tree")
    return lines[0], lines[1]


# every staged path, named from the root wherever it runs (a user's diff.relative would narrow and shorten them)
STAGED_DIFF = ("-c", "diff.relative=false", "diff", "--cached", "--raw", "--no-abbrev", "-z", "--no-renames",
               "--no-ext-diff")


# What the check of a staged model loads, leaf first so that each step takes a few ms at most. In a large
# repository git's staged diff takes longer than reading the hook's index of HEAD (~20 ms at 30,000 entries),
# and these are loaded while it runs: on the other core, in time the hook would spend waiting. A commit that
# concerns no model loads them only in that idle time (the diff's end is looked at between two imports).
WARM = ("enum", "re", "fnmatch", "pathlib", "json", "hashlib", "gitmodel.model.semver",
        "gitmodel.model.manifest", "gitmodel.model.config", "gitmodel.repo.tags", "gitmodel.repo.sources",
        "gitmodel.repo.reading", "gitmodel.storage.backends", "gitmodel.gate.judged", "gitmodel.gate.check")
WARM_INDEX_BYTES = 1 << 20  # an index of ~10,000 entries: below it, git's diff is done before they would help


def warm_while(running: Callable[[], bool], modules: tuple[str, ...] = WARM) -> list[str]:
    """Import `modules` in order while `running()` holds; the names imported."""
    done = []
    for name in modules:
        if not running():
            break
        import_pathlib() if name == "pathlib" else __import__(name)
        done.append(name)
    return done


def import_pathlib() -> None:
    """Import pathlib without urllib.parse and the ipaddress it loads (~2.3 ms of each commit that concerns a
    model). pathlib takes one function from urllib.parse, `quote_from_bytes`, for `Path.as_uri`, which the
    check never calls: it gets a stand-in that imports the real one when called, and urllib.parse itself stays
    unimported (a later `import urllib.parse` loads the real module). A pathlib that wants more of it than
    that gets the real module."""
    if "pathlib" in sys.modules or "urllib.parse" in sys.modules:
        return

    def quote_from_bytes(*args: object, **kwargs: object) -> str:
        from urllib.parse import quote_from_bytes as real

        return real(*args, **kwargs)  # type: ignore[arg-type]

    stand_in = type(sys)("urllib.parse")
    stand_in.quote_from_bytes = quote_from_bytes  # type: ignore[attr-defined]
    sys.modules["urllib.parse"] = stand_in
    try:
        import pathlib  # noqa: F401
    except ImportError:
        sys.modules.pop("pathlib", None)
    finally:
        if sys.modules.get("urllib.parse") is stand_in:
            del sys.modules["urllib.parse"]
    import pathlib  # noqa: F401,F811 - the real urllib.parse, when the stand-in was not enough


def _index_bytes(git_dir: str) -> int:
    try:
        return os.stat(os.environ.get("GIT_INDEX_FILE") or os.path.join(git_dir, "index")).st_size
    except OSError:
        return 0


def _ask_for_pinned_trees(root: str, git_dir: str, entries: dict[str, IndexEntry | None], prefix: str) -> None:
    """Ask git now for HEAD's trees of the directories the staged manifests pin (as gitmodel recorded them when
    it wrote the manifests: `gitmodel.infra.pins`), which the check reads for the pinned paths not staged
    (gitmodel/repo/staged.py): git looks each up through HEAD's directories (two of 10,000 entries in a large
    repository: ~4 ms) while this process imports the check. A manifest gitmodel did not write is not known
    here; its trees are then asked for when the check needs them, as before."""
    from gitmodel.infra import pins
    from gitmodel.repo.git import prefetch

    staged = [e.oid for p, e in entries.items() if e is not None and p.startswith(prefix) and p.endswith(".yaml")]
    known = pins.lookup(git_dir, staged) if staged else {}
    dirs = {p.rpartition("/")[0] for paths in known.values() for p in paths} - {"", prefix.rstrip("/")}
    if dirs:
        prefetch(root, "contents", ["HEAD:", *(f"HEAD:{d}" for d in sorted(dirs))])


def _path(text: str) -> Path:
    import_pathlib()
    from pathlib import Path

    return Path(text)


def pre_commit(root: str, git_dir: str, diff: Later) -> int:
    """`diff`: the staged diff (`git.start` of STAGED_DIFF), started before this: HEAD's path index is read
    while git makes it. Its entries: path → staged entry (None when deleted) of each path whose staged entry
    differs from HEAD's, from GIT_INDEX_FILE's index."""
    memo = ParseMemo(git_dir)
    from gitmodel.gate.hook_index import config_touched, for_head, manifests_dir

    head_paths: PathIndex | GitmodelError
    try:  # needed unless the commit stages the config; an error is said only then (the config may fix it)
        head_paths = for_head(root, git_dir, memo)
    except GitmodelError as exc:
        head_paths = exc
    if _index_bytes(git_dir) >= WARM_INDEX_BYTES:
        warm_while(diff.running)
    entries = parse_raw_diff(diff.wait().stdout)
    staged = list(entries)
    if not staged:
        return 0

    policy_base = None
    if config_touched(staged):
        # the config (or a path that IS it on a macOS/Windows checkout) is staged: a new policy or manifests
        # directory, so judge every model ...
        names: set[str] | None = None
        known_pin = None
        policy_base = "HEAD"  # ... by the stricter of the old and the new policy (no softening the rule in passing)
        memo.install()
        prefix = manifests_dir(_path(root), f":{CONFIG_FILE}").rstrip("/") + "/"
    else:
        # the staged config is HEAD's: HEAD's pins say which models an unstaged-manifest path concerns, and
        # a staged manifest concerns its own model (gitmodel.gate.hook_index)
        if isinstance(head_paths, GitmodelError):
            raise head_paths
        paths = head_paths
        names = paths.affected(staged)
        memo.save()
        if not names:
            return 0
        _ask_for_pinned_trees(root, git_dir, entries, paths.manifests.rstrip("/") + "/")
        known_pin = paths.pins  # the index is then told by HEAD and the staged entries (gitmodel/repo/staged.py)
        prefix = paths.manifests.rstrip("/") + "/"
    import_pathlib()
    from pathlib import Path  # a model is concerned: the full check's imports are paid anyway

    from gitmodel.repo.tags import start_reading

    start_reading(root)  # the check's `for-each-ref` runs on the other core while this process imports it

    # staged manifests are schema-validated; gitmodel.model.schema_check answers "valid" without importing
    # jsonschema, which is loaded only to decide and explain a manifest that fails
    full = {p for p in staged if p.startswith(prefix) and p.endswith(".yaml")}

    from gitmodel.gate.check import run_check

    memo.install()
    result = run_check(Path(root), mode="index", names=names, full_paths=full, git_dir=Path(git_dir),
                       policy_base=policy_base, staged=entries if known_pin is not None else None,
                       known_pin=known_pin)
    if result.ok and full:
        from gitmodel.gate.hook_index import PathIndex, note_staged

        # the next commit's index update then parses nothing
        note_staged(Path(root), Path(git_dir), {p: e.oid if (e := entries[p]) else "" for p in sorted(full)}, memo,
                    head_paths if isinstance(head_paths, PathIndex) else None)
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
    import subprocess

    proc = subprocess.run([legacy, *args], input=stdin, check=False)
    return proc.returncode


def run_lfs_pre_push(root: Path, legacy: str | None, args: list[str], stdin: bytes) -> int:
    """Git LFS's pre-push (upload the pushed commits' LFS objects) when this repository uses LFS, unless the
    hook gitmodel kept as `.legacy` already ran it: `git lfs install` cannot write its own beside gitmodel's."""
    import shutil

    from gitmodel.storage.lfs import hook_runs_lfs, used_here

    if not used_here(root) or (legacy and hook_runs_lfs(_path(legacy), "pre-push")):
        return 0
    if shutil.which("git-lfs") is None:
        _say("gitmodel: this repository uses Git LFS but git-lfs is not on PATH, so its objects cannot be "
             "uploaded; install it (Debian/Ubuntu: `apt-get install git-lfs`) or push with --no-verify")
        return 2
    import subprocess

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

        if legacy and is_pre_commit_framework(_path(legacy)):
            _say("gitmodel: that is the pre-commit framework's hook, which cannot run as .legacy; "
                 "`gitmodel hooks install` puts it back and chains gitmodel's the way it expects")
        return code
    if hook_type in ("pre-commit", "pre-merge-commit"):
        from gitmodel.repo.git import batch_session, start

        # git runs hooks at the work tree's root: the staged diff is started first, and compares the index with
        # HEAD (~20 ms at 30,000 entries) on the other core while this process finds the repository and reads
        # its index of HEAD's pins
        diff = start(os.getcwd(), *STAGED_DIFF)
        try:
            root, git_dir = _repo()
            with batch_session(root):  # one `git cat-file` for every object the check reads (gitmodel/repo/batch.py)
                return pre_commit(root, git_dir, diff)
        finally:
            diff.wait(check=False)  # reaped on every way out (once: a second wait returns the first result)
    root, git_dir = _repo()
    code = run_lfs_pre_push(_path(root), legacy, args, stdin or b"")
    if code != 0:
        _say(f"gitmodel: `git lfs pre-push` exited with {code}; push refused")
        return code
    return pre_push(_path(root), stdin or b"", args)


def main(argv: list[str] | None = None) -> None:
    """Console script `gitmodel-hook` and the installed stubs (no `argv`: this process is the hook): exit 0 to
    let git go on, non-zero to block. Called with `argv`, it raises SystemExit as any CLI entry point does."""
    import gc

    gc.disable()  # one commit's check, then exit: no collection walks what it read (gitmodel/infra/gcpause.py)
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
    if argv is not None:
        sys.stdout.flush()
        sys.exit(code)
    # The hook's own process: leave without the interpreter's teardown (freeing every module and object one by
    # one: ~5 ms of each commit). Everything it writes is written by now (caches by atomic replace, git's
    # processes reaped); only the standard streams are buffered.
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - contextlib is not imported on the hook's path
            stream.flush()
        except (OSError, ValueError):
            pass  # the reader left, or the stream was closed: nothing more can reach it
    os._exit(code)


if __name__ == "__main__":
    main()
