"""The only module that talks to git: the git CLI (started by gitmodel/repo/spawn.py, or subprocess where
posix_spawn is missing), argv lists, never a shell; within a `batch_session`, object reads go to one
`git cat-file --batch-command` (gitmodel/repo/batch.py).

GitPython is not used: its import costs 70-85 ms (the hook budget is ~85 ms all in) and its per-tag
object access takes 47 s at 10k tags, where one `git for-each-ref` takes 81 ms.
"""

from __future__ import annotations

import os

from gitmodel.infra.errors import ExternalFailure, InvalidInput

TYPE_CHECKING = False  # subprocess, pathlib and collections are imported where used: the commit hook's fast
if TYPE_CHECKING:      # path (gitmodel/gate/hook.py) runs git without them (gitmodel/repo/spawn.py)
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from pathlib import Path
    from typing import TypeVar

    from gitmodel.repo.batch import Batch
    from gitmodel.repo.spawn import Started

    T = TypeVar("T")

# Variables git sets for hooks that would redirect a nested git call aimed at ANOTHER repository.
_GIT_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                 "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_PREFIX", "GIT_COMMON_DIR")


def no_git_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment minus the variables that pin git to the hook's repository (as pre-commit does)."""
    base = dict(os.environ if env is None else env)
    for key in _GIT_REPO_ENV:
        base.pop(key, None)
    return base


# Plain tuples, not dataclasses or namedtuples: importing dataclasses (and inspect) costs the commit hook
# ~20 ms, collections ~2 ms.
class GitResult(tuple[int, bytes, bytes]):
    """(returncode, stdout, stderr)."""

    __slots__ = ()

    def __new__(cls, returncode: int, stdout: bytes, stderr: bytes) -> GitResult:
        return tuple.__new__(cls, (returncode, stdout, stderr))

    @property
    def returncode(self) -> int:
        return self[0]

    @property
    def stdout(self) -> bytes:
        return self[1]

    @property
    def stderr(self) -> bytes:
        return self[2]

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")


def not_installed() -> ExternalFailure:
    return ExternalFailure("git is not installed or not on PATH", hint="install git")


def failure(action: str, result: GitResult) -> ExternalFailure:
    """`git ACTION failed: <git's last line of stderr>` (its exit code when it said nothing)."""
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return ExternalFailure(f"git {action} failed: {lines[-1] if lines else f'exit {result.returncode}'}")


SPAWN = os.name == "posix" and hasattr(os, "posix_spawnp")  # git started by gitmodel/repo/spawn.py, not subprocess


class Later:
    """A git call whose result is wanted later (`start`): left running where git can be (posix_spawn), else
    made on `wait`."""

    def __init__(self, cwd: Path | str, args: tuple[str, ...], input: bytes | None, started: Started | None) -> None:
        self.cwd, self.args, self.input, self.started = cwd, args, input, started

    def running(self) -> bool:
        """Whether git is still at work (False where it was not left running)."""
        return self.started is not None and self.started.running()

    def wait(self, *, check: bool = True) -> GitResult:
        if self.started is None:
            return run(self.cwd, *self.args, input=self.input, check=check)
        return _checked(self.args, self.started.wait(), check)


def start(cwd: Path | str, *args: str, input: bytes | None = b"") -> Later:
    """Start `git ARGS` and go on; `.wait()` returns what `run` would have (the commit hook's `git diff
    --cached` runs while the hook reads its own index of HEAD)."""
    if SPAWN:
        from gitmodel.repo.spawn import Started

        return Later(cwd, args, input, Started(os.fspath(cwd), args, input))
    return Later(cwd, args, input, None)


def _checked(args: tuple[str, ...], result: GitResult, check: bool) -> GitResult:
    if check and result.returncode != 0:
        at = 0
        while at < len(args) - 1 and args[at].startswith("-"):  # `-c key=value` before the command: name it
            at += 2 if args[at] == "-c" else 1
        raise failure(args[at], result)
    return result


def run(cwd: Path | str, *args: str, input: bytes | None = None, check: bool = True,
        env: Mapping[str, str] | None = None) -> GitResult:
    if _early and input is None and env is None:
        later = _early.pop((os.fspath(cwd), args), None)
        if later is not None:
            return later.wait(check=check)
    if SPAWN:
        from gitmodel.repo.spawn import spawn_git  # no subprocess import (gitmodel/repo/spawn.py)

        result = spawn_git(os.fspath(cwd), args, input, env)  # input None: git inherits stdin, as before
    else:
        import subprocess

        try:
            proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True,
                                  env=dict(env) if env is not None else None, check=False)
        except FileNotFoundError:
            raise not_installed() from None
        result = GitResult(proc.returncode, proc.stdout, proc.stderr)
    return _checked(args, result, check)


def run_to_file(cwd: Path, *args: str, dest: Path, input: bytes | None = None, check: bool = True,
                env: Mapping[str, str] | None = None) -> GitResult:
    """Run git with stdout streamed into `dest` (large outputs such as `git lfs smudge`)."""
    import subprocess

    try:
        with open(dest, "wb") as sink:
            proc = subprocess.run(["git", *args], cwd=cwd, input=input, stdout=sink, stderr=subprocess.PIPE,
                                  env=dict(env) if env is not None else None, check=False)
    except FileNotFoundError:
        raise not_installed() from None
    result = GitResult(proc.returncode, b"", proc.stderr)
    if check and proc.returncode != 0:
        raise failure(" ".join(args[:2]), result)
    return result


def out(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    return run(cwd, *args, env=env).text.rstrip("\n")


# ------------------------------------------------------------------------------------------ the repo


def toplevel(cwd: Path | None = None) -> Path:
    """The work-tree root containing `cwd`; exit 2 outside a git repository."""
    from pathlib import Path

    here = Path(cwd or Path.cwd())
    result = run(here, "rev-parse", "--show-toplevel", check=False)
    if result.returncode != 0 or not result.text.strip():
        raise InvalidInput("not inside a git work tree", where=str(here),
                           hint="run `git init` first, or cd into your repository")
    return Path(result.text.strip())


def git_dir(root: Path) -> Path:
    """This work tree's git dir (per-worktree in a linked worktree)."""
    from pathlib import Path

    return Path(out(root, "rev-parse", "--absolute-git-dir"))


def git_path(root: Path, name: str) -> Path:
    """`git rev-parse --git-path NAME`: honours worktrees and core.hooksPath."""
    from pathlib import Path

    path = Path(out(root, "rev-parse", "--git-path", name))
    return path if path.is_absolute() else root / path


def fold_path(path: str) -> str:
    """The name a case-insensitive, normalization-insensitive file system (macOS, Windows) gives `path`:
    two repo paths with the same folded name are one file in such a checkout, the one git writes last.
    Windows also drops trailing dots and spaces of each component (`x.txt.` and `x.txt ` are `x.txt`)."""
    if " /" in path or "./" in path or path.endswith((" ", ".")):
        path = "/".join(part.rstrip(" .") or part for part in path.split("/"))
    if path.isascii():
        return path.lower()
    import unicodedata  # a built-in module, only for non-ASCII paths

    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())


def resolve_commit(root: Path, rev: str) -> str | None:
    if rev.startswith("-"):
        raise InvalidInput(f"revision {rev!r} looks like an option", where="REV")
    result = run(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    return result.text.strip() or None if result.returncode == 0 else None


def head_commit(root: Path) -> str | None:
    return resolve_commit(root, "HEAD")


def head_tree(root: Path, path: str) -> str:
    """The id of HEAD's tree at `path` (a directory of the repository), "" when there is no commit yet or no
    such directory in it: one git call that says whether anything under `path` moved in HEAD."""
    spec = f"HEAD:{path.strip('/')}" if path.strip("/") not in ("", ".") else "HEAD:"
    result = run(root, "rev-parse", "--verify", "--quiet", "--end-of-options", spec, check=False)
    return result.text.strip() if result.returncode == 0 else ""


def is_shallow(root: Path) -> bool:
    return out(root, "rev-parse", "--is-shallow-repository") == "true"


# ------------------------------------------------------------------------------------- reading blobs


_sessions: dict[str, Batch | None] = {}  # root → the run's `cat-file --batch-command` (None until first use)


class batch_session:  # noqa: N801 - used as `with git.batch_session(root):`, like a function
    """Within it, `cat_files` and `object_info` for `root` are answered by one git process, started on first
    use and ended with the block (gitmodel/repo/batch.py); without posix_spawn, nothing changes."""

    def __init__(self, root: Path | str) -> None:
        self.key = os.fspath(root)

    def __enter__(self) -> batch_session:
        if SPAWN:
            _sessions.setdefault(self.key, None)
        return self

    def __exit__(self, *exc: object) -> None:
        batch = _sessions.pop(self.key, None)
        if batch is not None:
            batch.close()
        for key in [key for key in _early if key[0] == self.key]:
            _early.pop(key).wait(check=False)  # started and never asked for: reaped, never read by a later run


# git calls started ahead of the `run` that reads them, within a batch session: (root, args) → the call
_early: dict[tuple[str, tuple[str, ...]], Later] = {}


def start_early(root: Path | str, *args: str) -> None:
    """Start `git ARGS` now, for the first `run` of the same ARGS in `root` to read (the commit hook starts
    its check's `for-each-ref` before importing the check); a no-op outside a batch session."""
    key = os.fspath(root)
    if SPAWN and key in _sessions and (key, args) not in _early:
        _early[(key, args)] = start(key, *args)


def in_session(root: Path | str) -> bool:
    """Whether objects of `root` are read through a batch session (a round trip, not a git process, each)."""
    return os.fspath(root) in _sessions


def _with_batch(root: Path | str, use: Callable[[Batch], T]) -> T | None:
    """`use` applied to the session's `cat-file` for `root` (started on first use); None without a session,
    or when it failed (the session is then dropped and the caller asks git once)."""
    key = os.fspath(root)
    if key not in _sessions:
        return None
    from gitmodel.repo.batch import Batch, BatchFailed

    try:
        batch = _sessions[key]
        if batch is None:
            batch = _sessions[key] = Batch(key)
        return use(batch)
    except BatchFailed:
        _sessions.pop(key, None)
        return None


def _ask(root: Path | str, command: str, specs: Sequence[str]) -> dict[str, tuple[str, str, int, bytes | None] | None] | None:
    """The session's answers for `root`, or None (no session, or it failed: the caller asks git once)."""
    return _with_batch(root, lambda batch: batch.ask(command, specs))


def prefetch(root: Path | str, command: str, specs: Sequence[str]) -> None:
    """Ask the session for `root` now and read the answers when `cat_files`/`object_info` asks for them (a
    no-op without a session): the commit hook names the trees its check will read before importing it."""
    if not any("\n" in spec for spec in specs):
        _with_batch(root, lambda batch: batch.send(command, specs))


def _no_newline(specs: Sequence[str]) -> None:
    for spec in specs:
        if "\n" in spec:
            raise InvalidInput(f"object name {spec!r} contains a newline")


def cat_files(root: Path | str, specs: Sequence[str], kinds: tuple[str, ...] = ("blob",)) -> dict[str, bytes | None]:
    """Contents of many `<rev>:<path>` or `:<path>` (index) specs or ids in one `git cat-file --batch` (None
    for a missing object, or one not of `kinds`)."""
    if not specs:
        return {}
    _no_newline(specs)
    asked = _ask(root, "contents", specs)
    if asked is not None:
        return {spec: a[3] if a is not None and a[1] in kinds else None for spec, a in asked.items()}
    result = run(root, "cat-file", "--batch", input=("\n".join(specs) + "\n").encode())
    data = result.stdout
    found: dict[str, bytes | None] = {}
    pos = 0
    for spec in specs:
        end = data.index(b"\n", pos)
        header = data[pos:end].decode("utf-8", "replace")
        pos = end + 1
        if header.endswith(" missing") or header.endswith(" ambiguous"):
            found[spec] = None
            continue
        _oid, objtype, size_text = header.rsplit(" ", 2)
        size = int(size_text)
        found[spec] = data[pos : pos + size] if objtype in kinds else None
        pos += size + 1
    return found


def object_info(root: Path | str, specs: Sequence[str]) -> dict[str, tuple[str, str] | None]:
    """(id, type) of each spec (`git cat-file --batch-check`), None when missing."""
    return {spec: (row[0], row[1]) if row is not None else None for spec, row in _object_rows(root, specs).items()}


def object_sizes(root: Path | str, specs: Sequence[str]) -> dict[str, int | None]:
    """The size in bytes of each spec's object (`git cat-file --batch-check`), None when missing."""
    return {spec: row[2] if row is not None else None for spec, row in _object_rows(root, specs).items()}


def _object_rows(root: Path | str, specs: Sequence[str]) -> dict[str, tuple[str, str, int] | None]:
    if not specs:
        return {}
    _no_newline(specs)
    asked = _ask(root, "info", specs)
    if asked is not None:
        return {spec: (a[0], a[1], a[2]) if a is not None else None for spec, a in asked.items()}
    lines = run(root, "cat-file", "--batch-check", input=("\n".join(specs) + "\n").encode()).text.split("\n")
    found: dict[str, tuple[str, str, int] | None] = {}
    for spec, line in zip(specs, lines + [""] * len(specs), strict=False):
        parts = line.rsplit(" ", 2)
        found[spec] = (parts[0], parts[1], int(parts[2])) if len(parts) == 3 and parts[2].isdigit() else None
    return found


def tree_entry(raw: bytes, pos: int, width: int) -> tuple[str, str, str, int]:
    """(name, mode, id, next entry's offset) of the entry at `pos` of a raw tree object: each entry is
    `<mode> <name>\\0<id: width bytes>` (20 for SHA-1, 32 for SHA-256). ValueError when it is cut short."""
    space = raw.index(b" ", pos)
    nul = raw.index(b"\0", space)
    end = nul + 1 + width
    if end > len(raw):
        raise ValueError("tree entry cut short")
    return raw[space + 1 : nul].decode("utf-8", "surrogateescape"), raw[pos:space].decode(), raw[nul + 1 : end].hex(), end


def tree_entries(raw: bytes, width: int) -> dict[str, tuple[str, str]]:
    """A raw tree object's entries: name → (mode, object id)."""
    out: dict[str, tuple[str, str]] = {}
    pos = 0
    while pos < len(raw):
        name, mode, oid, pos = tree_entry(raw, pos, width)
        out[name] = (mode, oid)
    return out


def show_file(root: Path, rev: str | None, path: str) -> bytes | None:
    """A file's bytes at a revision, or in the index when rev is None; None if absent."""
    spec = f":{path}" if rev is None else f"{rev}:{path}"
    return cat_files(root, [spec])[spec]


class IndexEntry(tuple[str, str, str]):
    """A staged or committed blob: (mode, oid, path)."""

    __slots__ = ()

    def __new__(cls, mode: str, oid: str, path: str) -> IndexEntry:
        return tuple.__new__(cls, (mode, oid, path))

    @property
    def mode(self) -> str:
        return self[0]

    @property
    def oid(self) -> str:
        return self[1]

    @property
    def path(self) -> str:
        return self[2]


def ls_files_stage(root: Path, paths: Iterable[str] = ()) -> dict[str, IndexEntry]:
    """Staged entries (mode, blob id) for `paths` (all when empty), from the index git uses for this commit."""
    args = ["ls-files", "--stage", "-z", "--"] + list(paths)
    entries: dict[str, IndexEntry] = {}
    make = tuple.__new__  # IndexEntry(...) runs Python code per entry: 30,000 of them at 10,000 models
    for record in run(root, *args).stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not record:
            continue
        meta, _, text = record.partition("\t")
        mode, oid, _stage = meta.split(" ")
        entries[text] = make(IndexEntry, (mode, oid, text))
    return entries


def ls_files_text(root: Path) -> str:
    """`git ls-files --stage -z` of the whole index as text (gitmodel/repo/listing.py searches it)."""
    return run(root, "ls-files", "--stage", "-z").stdout.decode("utf-8", "surrogateescape")


def ls_tree(root: Path | str, rev: str, paths: Iterable[str] = ()) -> dict[str, IndexEntry]:
    """Blobs (recursively) of a commit, limited to `paths`."""
    args = ["ls-tree", "-r", "-z", "--full-tree", rev, "--"] + list(paths)
    entries: dict[str, IndexEntry] = {}
    for record in run(root, *args).stdout.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, objtype, oid = meta.decode().split(" ")
        if objtype == "blob":
            text = path.decode("utf-8", "surrogateescape")
            entries[text] = IndexEntry(mode, oid, text)
    return entries


def staged_changes(root: Path) -> list[tuple[str, str]]:
    """(status letter, path) staged against HEAD (against the empty tree in a repo with no commit)."""
    # with no commit yet, `diff --cached` compares against the empty tree by itself
    raw = run(root, "diff", "--cached", "--name-status", "-z", "--no-renames").stdout.split(b"\0")
    pairs = []
    for i in range(0, len(raw) - 1, 2):
        pairs.append((raw[i].decode(), raw[i + 1].decode("utf-8", "surrogateescape")))
    return pairs


def changed_paths(root: Path, base: str, target: str | None = None, paths: Iterable[str] = (), *,
                  cached: bool = False) -> list[str]:
    """Paths that differ between `base` and `target` (the work tree when None; the index when `cached`)."""
    args = ["diff", "--name-only", "-z", "--no-renames", *(["--cached"] if cached else []), base,
            *([target] if target else []), "--", *paths]
    return [p.decode("utf-8", "surrogateescape") for p in run(root, *args).stdout.split(b"\0") if p]


def untracked(root: Path, paths: Iterable[str] = (), *, ignored: bool = False) -> list[str]:
    """Untracked files under `paths`: not ignored ones, or with `ignored` every file git does not track."""
    args = ["ls-files", "-z", "--others", *([] if ignored else ["--exclude-standard"]), "--", *paths]
    return [p.decode("utf-8", "surrogateescape") for p in run(root, *args).stdout.split(b"\0") if p]


def dirty_paths(root: Path, paths: Iterable[str]) -> list[str]:
    """Paths with uncommitted changes (staged, unstaged or untracked) among `paths`."""
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--"] + list(paths)
    found = []
    for record in run(root, *args).stdout.split(b"\0"):
        if len(record) > 3:
            found.append(record[3:].decode("utf-8", "surrogateescape"))
    return found


def is_tracked(root: Path, path: str) -> bool:
    return bool(run(root, "ls-files", "--error-unmatch", "--", path, check=False).returncode == 0)


def add(root: Path, paths: Iterable[str]) -> None:
    todo = list(paths)
    if todo:
        run(root, "add", "--", *todo)


def hash_object(root: Path, path: Path) -> str:
    return out(root, "hash-object", "--", str(path))


def hash_objects(root: Path, paths: Sequence[str], *, write: bool = False) -> list[str]:
    """Blob ids of work-tree files as git would store them (clean filters, end-of-line conversion), in one
    `git hash-object --stdin-paths`; `write` also stores the blobs (so `cat-file` can read them)."""
    if not paths:
        return []
    if any("\n" in p for p in paths):
        raise InvalidInput("a path contains a newline", where=next(p for p in paths if "\n" in p))
    listing = ("\n".join(paths) + "\n").encode("utf-8", "surrogateescape")
    return run(root, "hash-object", *(["-w"] if write else []), "--stdin-paths", input=listing).text.split()


def config_listing(root: Path) -> bytes:
    """Every config value git sees here (`git config -l -z`: `key\\nvalue\\0`, includes and `-c` too)."""
    return run(root, "config", "--list", "-z", check=False).stdout


def config_get(root: Path, key: str) -> str | None:
    result = run(root, "config", "--get", key, check=False)
    return result.text.strip() if result.returncode == 0 else None


# -------------------------------------------------------------------------------------------- refs


def _for_each_ref_args(pattern: str | Sequence[str], fields: Sequence[str]) -> tuple[str, ...]:
    fmt = "%1f".join(fields) + "%1e"
    return ("for-each-ref", f"--format={fmt}", *([pattern] if isinstance(pattern, str) else pattern))


def start_for_each_ref(root: Path | str, pattern: str | Sequence[str], fields: Sequence[str]) -> None:
    """Start the `for_each_ref` call now, for `for_each_ref` to read later in this batch session."""
    start_early(root, *_for_each_ref_args(pattern, fields))


def for_each_ref(root: Path, pattern: str | Sequence[str], fields: Sequence[str]) -> list[list[str]]:
    """One `git for-each-ref` call: a row of `fields` per ref (fields may hold newlines)."""
    text = run(root, *_for_each_ref_args(pattern, fields)).stdout.decode("utf-8", "replace")
    rows = []
    for record in text.split("\x1e"):
        record = record.lstrip("\n")
        if record:
            rows.append(record.split("\x1f"))
    return rows


# ------------------------------------------------------------------------------------ writing tags


class RefExists(Exception):
    """A tag could not be created because the ref exists (or another process holds its lock)."""

    def __init__(self, tag: str, locked: bool) -> None:
        super().__init__(tag)
        self.tag = tag
        self.locked = locked


def ref_exists(root: Path, ref: str) -> bool:
    return run(root, "show-ref", "--verify", "--quiet", ref, check=False).returncode == 0


def create_tag(root: Path, tag: str, target: str, message: str, *, sign: bool = False,
               env: Mapping[str, str] | None = None) -> str:
    """`git tag -a|-s TAG TARGET` with the message on stdin; never `-f`. Returns the tag object id.

    Without -f git refuses an existing ref, and its ref transaction refuses one created between that
    check and the write; either way RefExists is raised, so a release tag is never moved.
    """
    if tag.startswith("-") or "\n" in tag:
        raise InvalidInput(f"tag name {tag!r} is not valid", where="tag")
    if run(root, "check-ref-format", f"refs/tags/{tag}", check=False).returncode != 0:
        raise InvalidInput(f"{tag!r} is not a valid git tag name", where="tag")
    # cleanup=whitespace keeps lines starting with '#' (markdown headings) in the user's message
    args = ["tag", "-s" if sign else "-a", "--cleanup=whitespace", "-F", "-", tag, target]
    result = run(root, *args, input=message.encode("utf-8"), check=False, env=env)
    if result.returncode != 0:
        error = result.stderr.decode("utf-8", "replace")
        if "already exists" in error:
            raise RefExists(tag, locked=False)
        if "cannot lock ref" in error or ".lock" in error:
            raise RefExists(tag, locked=True)
        lines = error.strip().splitlines()
        detail = lines[-1] if lines else f"exit {result.returncode}"
        hint = "check `git config user.signingkey` and gpg.format" if sign else None
        raise ExternalFailure(f"git tag {tag} failed: {detail}", hint=hint)
    return out(root, "rev-parse", f"refs/tags/{tag}")


def committer_ident(root: Path) -> tuple[str, int, str]:
    """(`Name <email>`, epoch seconds, tz) as git would stamp a tag now (honours GIT_COMMITTER_DATE)."""
    ident = out(root, "var", "GIT_COMMITTER_IDENT")
    who, epoch, tz = ident.rsplit(" ", 2)
    return who, int(epoch), tz


def make_tag_object(root: Path, tag: str, target: str, tagger: str, message: str) -> str:
    """Write an annotated tag object (no ref yet) with an exact tagger line; returns its id.

    The ref is created separately (`create_refs`), so a tag and the refs that must exist with it land in
    one ref transaction.
    """
    if run(root, "check-ref-format", f"refs/tags/{tag}", check=False).returncode != 0 or tag.startswith("-"):
        raise InvalidInput(f"{tag!r} is not a valid git tag name", where="tag")
    kind = out(root, "cat-file", "-t", target)
    body = "\n".join(line.rstrip() for line in message.strip("\n").splitlines()) + "\n"
    text = f"object {target}\ntype {kind}\ntag {tag}\ntagger {tagger}\n\n{body}"
    return run(root, "mktag", input=text.encode("utf-8")).text.strip()


def create_refs(root: Path, refs: Mapping[str, str]) -> bool:
    """Create every ref at its object in ONE ref transaction, only if none exists: all or nothing.

    False when one exists or is locked by another process (the caller retries with another name).
    """
    script = "".join(f"create {ref} {oid}\n" for ref, oid in refs.items())
    result = run(root, "update-ref", "--stdin", input=script.encode("utf-8"), check=False)
    if result.returncode == 0:
        return True
    error = result.stderr.decode("utf-8", "replace")
    if "already exists" in error or "cannot lock ref" in error or ".lock" in error:
        return False
    lines = error.strip().splitlines()
    raise ExternalFailure(f"git update-ref failed: {lines[-1] if lines else result.returncode}")


def push_remote(root: Path) -> str:
    """The remote a push goes to: the current branch's, remote.pushDefault, origin, or the only one."""
    remotes = out(root, "remote").split()
    branch = run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).text.strip()
    for key in ([f"branch.{branch}.pushRemote"] if branch else []) + ["remote.pushDefault"] + (
            [f"branch.{branch}.remote"] if branch else []):
        value = config_get(root, key)
        if value and value in remotes:
            return value
    if "origin" in remotes:
        return "origin"
    if len(remotes) == 1:
        return remotes[0]
    raise InvalidInput("no remote to push to" if not remotes else f"several remotes ({', '.join(remotes)}) "
                       "and none is the default", where="git remote",
                       hint="git remote add origin URL, or git config remote.pushDefault NAME")


def push_tags(root: Path, tags: Sequence[str], remote: str | None = None) -> str:
    """Push exactly these tags (never --tags); returns the remote used."""
    import shlex

    target = remote or push_remote(root)
    refspecs = [f"refs/tags/{t}:refs/tags/{t}" for t in tags]
    result = run(root, "push", "--porcelain", target, *refspecs, check=False)
    if result.returncode != 0:
        lines = (result.stderr.decode("utf-8", "replace").strip() or result.text.strip()).splitlines()
        detail = lines[-1] if lines else f"exit {result.returncode}"
        raise ExternalFailure(f"git push {target} failed: {detail}", where=", ".join(tags),
                              hint=f"the tag exists locally; push it later with `git push {target} "
                                   f"{' '.join(shlex.quote(t) for t in tags)}`")
    return target
