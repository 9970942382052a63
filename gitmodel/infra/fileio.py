"""YAML in and out, safely: size cap, no Python objects, no alias bombs, atomic writes."""

from __future__ import annotations

import os

from gitmodel.infra.errors import GitmodelError, InvalidInput

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:      # pathlib is imported where a Path is made: the hook writes its caches by name
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any, TypeVar

    T = TypeVar("T")


_YAML: list[tuple[Any, Any, Any]] = []  # filled on first use (functools.cache would cost the hook its import)


def _yaml() -> tuple[Any, Any, Any]:
    """(yaml, safe loader, safe dumper), imported on first use: PyYAML costs the commit hook ~28 ms."""
    if _YAML:
        return _YAML[0]
    import yaml

    try:  # the C loader is ~10x faster; fall back where libyaml is missing
        from yaml import CSafeDumper as dumper
        from yaml import CSafeLoader as loader
    except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
        from yaml import SafeDumper as dumper  # type: ignore[assignment]
        from yaml import SafeLoader as loader  # type: ignore[assignment]
    from gitmodel.infra.yaml12 import core_dumper, core_loader

    _YAML.append((yaml, core_loader(yaml, loader), core_dumper(yaml, dumper)))
    return _YAML[0]


def __getattr__(name: str) -> Any:
    # `_Loader` and `_Dumper` stay available as module attributes; looking them up imports PyYAML.
    if name == "_Loader":
        return _yaml()[1]
    if name == "_Dumper":
        return _yaml()[2]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Parsed documents by git blob id (sha1 of "blob <size>\0" + bytes), installed by the commit hook from
# .git/gitmodel/parsed-yaml12.json: the same bytes always parse the same, so a manifest or config the hook (or
# `gitmodel bump`) parsed before is not parsed again, and the hook often need not import PyYAML at all.
_memo: dict[str, str] | None = None
_memo_new: dict[str, str] = {}


def use_parse_memo(memo: dict[str, str] | None) -> dict[str, str]:
    """Install a blob id → document memo, each document as JSON text (None removes it); returns the dict that
    collects new parses."""
    global _memo
    _memo = memo
    _memo_new.clear()
    return _memo_new


def object_id(kind: bytes, data: bytes, width: int = 20) -> str:
    """git's id of an object of `kind` (b"blob", b"tree") holding `data`: SHA-1 (`width` 20) or SHA-256 (32)."""
    import hashlib

    digest = hashlib.sha1(usedforsecurity=False) if width == 20 else hashlib.sha256()
    digest.update(b"%s %d\0" % (kind, len(data)))
    digest.update(data)
    return digest.hexdigest()


def blob_id(data: bytes) -> str:
    """git's blob id of `data` in a sha1 repository (`git hash-object`)."""
    return object_id(b"blob", data)


def json_text(value: Any) -> str | None:
    """`value` as compact JSON text, when JSON gives the same value back (None for dates, non-string keys,
    NaN, tuples): how the parse memo keeps a document."""
    import json

    try:
        text = json.dumps(value, separators=(",", ":"))
        return text if json.loads(text) == value else None
    except (TypeError, ValueError):
        return None


def _memo_get(key: str) -> Any:
    import json

    # documents are kept as JSON text: each caller decodes its own copy, and a run decodes only those it reads
    return json.loads(_memo[key]) if _memo is not None else None


def parsed_blob(oid: str) -> tuple[bool, Any]:
    """(True, document) when the parse memo knows git blob `oid`: the hook then need not even read it."""
    if _memo is not None and oid in _memo:
        return True, _memo_get(oid)
    return False, None


def _memo_put(key: str, value: Any) -> None:
    text = json_text(value)
    if text is None:
        return  # dates, non-string keys, NaN: JSON would not give the same document back
    _memo_new[key] = text
    if _memo is not None:
        _memo[key] = text

MAX_YAML_BYTES = 1024 * 1024
# Aliases let a few hundred bytes describe billions of nodes ("billion laughs"); count nodes as if
# expanded and stop early.
MAX_YAML_NODES = 200_000
# Deeper documents break recursive readers (json, jsonschema, check-jsonschema's ruamel) with
# RecursionError; a manifest's deepest real part, an input JSON Schema, is a few levels deep.
MAX_YAML_DEPTH = 100


def read_capped(path: Path, *, cap: int = MAX_YAML_BYTES, where: str | None = None) -> bytes:
    """Read a small file, refusing anything over `cap` bytes before reading it."""
    label = where or path.as_posix()
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > cap:
                raise InvalidInput(f"file is {size} bytes, over the {cap}-byte limit", where=label,
                                   hint="manifests and config hold hashes, not data")
            return fh.read(cap + 1)
    except FileNotFoundError:
        raise InvalidInput("file not found", where=label) from None
    except IsADirectoryError:
        raise InvalidInput("is a directory, expected a file", where=label) from None
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror}", where=label) from None


def parse_yaml(data: bytes | str, *, where: str) -> Any:
    """Parse YAML text with the safe loader; errors name the file and line."""
    if isinstance(data, bytes):
        if len(data) > MAX_YAML_BYTES:
            raise InvalidInput(f"over the {MAX_YAML_BYTES}-byte limit", where=where)
        if b"\x00" in data:
            raise InvalidInput("binary content where YAML text was expected", where=where)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"not UTF-8 text (byte {exc.start})", where=where) from None
    else:
        text = data
    key = None
    if _memo is not None:
        key = blob_id(data if isinstance(data, bytes) else data.encode("utf-8"))
        if key in _memo:
            return _memo_get(key)
    yaml, loader, _ = _yaml()
    from gitmodel.infra.yaml12 import version_problem

    if problem := version_problem(text):
        raise InvalidInput(f"invalid YAML: {problem}", where=where)
    try:
        value = yaml.load(text, Loader=loader)  # noqa: S506 - safe loader, never builds Python objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        hint = "fix the YAML syntax"
        if isinstance(exc, yaml.constructor.ConstructorError):  # well-formed YAML, but not JSON data
            hint = "keep one of them" if "given twice" in problem else "quote the value if it is text"
        raise InvalidInput(f"invalid YAML: {line}{problem}", where=where, hint=hint) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"invalid YAML: {str(exc).splitlines()[0]}", where=where) from None
    except RecursionError:
        raise InvalidInput("invalid YAML: nested too deeply", where=where) from None
    except ValueError as exc:  # a scalar Python refuses to build, e.g. an integer of more than 4,300 digits
        raise InvalidInput(f"invalid YAML value: {str(exc).split(';')[0]}", where=where,
                           hint="write the number with fewer digits (or quote it as a string)") from None
    _check_node_count(value, where)
    if key is not None:
        _memo_put(key, value)
    return value


def _check_node_count(value: Any, where: str) -> None:
    stack = [(value, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_YAML_NODES:
            raise InvalidInput(f"YAML expands to more than {MAX_YAML_NODES} nodes (alias bomb?)", where=where,
                               hint="remove anchors and aliases")
        if depth > MAX_YAML_DEPTH:
            raise InvalidInput(f"YAML nested more than {MAX_YAML_DEPTH} levels deep", where=where,
                               hint="manifests and config are shallow: flatten the structure")
        if isinstance(node, dict):
            stack.extend((key, depth + 1) for key in node)
            stack.extend((item, depth + 1) for item in node.values())
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)


def load_yaml(path: Path, *, where: str | None = None) -> Any:
    label = where or path.as_posix()
    return parse_yaml(read_capped(path, where=label), where=label)


def dump_yaml(data: Any) -> str:
    """Block-style YAML in the given key order (manifests are reviewed as diffs: keep order stable)."""
    yaml, _, dumper = _yaml()
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=100)


def write_failure(exc: OSError, path: Path | str) -> GitmodelError:
    """An OSError met while writing `path`, as gitmodel's error: a path that cannot be a file (a directory
    is in the way) is invalid input (2); a full disk, read-only or forbidden directory is external (3)."""
    import errno

    from gitmodel.infra.errors import ExternalFailure

    what = f"cannot write: {exc.strerror or type(exc).__name__}"
    if exc.errno in (errno.EISDIR, errno.ENOTDIR, errno.EEXIST):
        return InvalidInput(what, where=str(path), hint="give a writable file path")
    return ExternalFailure(what, where=str(path), hint="free space or fix the directory's permissions, then retry")


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, mode: int = 0o644, durable: bool = True) -> None:
    """Write via a temp file in the same directory, fsync, then os.replace: never a partial file.

    The one way gitmodel writes a file whole (manifests, config, hooks, reports, the caches of
    `gitmodel.infra.cache`). A disk-full, read-only or permission failure is an ExternalFailure (exit 3)
    naming the path, and leaves neither the target changed nor a temp file behind. `durable=False` skips
    the fsync, for caches: a file torn by a power cut reads as corrupt, which only means rebuilding it.
    Standard library only, and no tempfile (~5 ms): the commit hook saves its index through here.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory, name = os.path.split(os.fspath(path))
    try:
        os.makedirs(directory or ".", exist_ok=True)
        tmp, fd = _new_temp(path, lambda name: os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    except OSError as exc:
        raise write_failure(exc, os.fspath(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)  # the mode was given to os.open, which applies the umask
    except BaseException as exc:
        try:  # noqa: SIM105 - contextlib is not loaded on the hook's path
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise write_failure(exc, os.fspath(path)) from None
        raise
    remove_stale_temps(directory or ".", name)


def temp_prefix(name: str) -> str:
    """`.NAME.<pid>.`: the prefix of every temp file or directory built beside NAME (see remove_stale_temps)."""
    return f".{name}.{os.getpid()}."


def _new_temp(target: str | os.PathLike[str], create: Callable[[str], T]) -> tuple[str, T]:
    """A fresh `.NAME.<pid>.<random>.tmp` beside `target`, made by `create` (which fails if it exists).

    The writer's pid is in the name, so one left by a killed writer can be recognised as stale."""
    directory, base = os.path.split(os.fspath(target))
    for _ in range(100):
        name = os.path.join(directory, f"{temp_prefix(base)}{os.urandom(4).hex()}.tmp")
        try:
            return name, create(name)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp name beside {target}")


def temp_beside(target: Path, *, directory: bool = False) -> Path:
    """A temp name beside `target` (`.NAME.<pid>.*.tmp`), after sweeping the ones dead writers left there.

    A directory is created; for a file the name is free and the caller creates it (exclusively if it likes).
    For bytes already in memory, use atomic_write; this is for content built or verified before it is placed.
    """
    from pathlib import Path

    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target.parent, target.name)
    if directory:
        return Path(_new_temp(target, lambda name: os.mkdir(name, 0o700))[0])  # as tempfile.mkdtemp made it

    def free(name: str) -> None:
        if os.path.lexists(name):
            raise FileExistsError(name)

    return Path(_new_temp(target, free)[0])


def remove_stale_temps(directory: str | os.PathLike[str], name: str | None = None) -> None:
    """Delete `.NAME.<pid>.*.tmp` files and directories in `directory` (any NAME when None) whose writer
    is dead: a kill -9 mid-write or mid-placement leaves one, the next writer there sweeps it."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        try:
            _sweep(entry, name)
        except OSError:
            continue


def _sweep(entry: os.DirEntry[str], name: str | None) -> None:
    """Remove `entry` when it is a temp of NAME's (any NAME when None) whose writer is dead."""
    if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
        return
    if name is not None and not entry.name.startswith(f".{name}."):
        return
    head = entry.name[: -len(".tmp")].rsplit(".", 2)  # [".NAME", pid, random]
    if len(head) != 3 or not head[1].isdigit() or int(head[1]) == os.getpid() or _alive(int(head[1])):
        return
    if entry.is_dir(follow_symlinks=False):
        import shutil  # only here: the commit hook writes through atomic_write

        shutil.rmtree(entry.path, ignore_errors=True)
    else:
        os.unlink(entry.path)  # an OSError (already gone) is the caller's to skip


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, owned by someone else
    return True


# ------------------------------------------------------------------------------ paths that come from data


MAX_NAME_BYTES = 255    # NAME_MAX on Linux, macOS and Windows file systems
MAX_PATH_BYTES = 1024   # far below PATH_MAX, and the most a repo-relative path from data may take


def path_clash(paths: list[str]) -> str | None:
    """The first problem in a set of relative paths that must all become files or directories side by side:
    one path given twice, or one that is a directory of another (`x` and `x/y`: one of them cannot exist,
    and placing both leaves only the last). None when they can coexist."""
    seen: set[str] = set()
    for rel in paths:
        if rel in seen:
            return f"path {rel!r} is given twice"
        seen.add(rel)
    for rel in sorted(seen):
        parts = rel.split("/")
        for i in range(1, len(parts)):
            if (parent := "/".join(parts[:i])) in seen:
                return f"path {parent!r} is a file and also the directory of {rel!r}"
    return None


def stored_path_problem(raw: object) -> str | None:
    """Cheap check for a path read from a manifest (no file system access)."""
    if not isinstance(raw, str) or not raw:
        return "path must be a non-empty string"
    if raw.startswith("/") or "\\" in raw or any(ord(ch) < 32 for ch in raw):
        return f"path {raw!r} must be relative, POSIX, without control characters"
    parts = raw.split("/")
    if ".." in parts or "" in parts or "." in parts:
        return f"path {raw!r} must be normalized and stay inside the repository"
    return None



def safe_target(base: Path, rel: str, *, where: str, links: str = "inside") -> Path:
    """`base / rel` for a relative path read from data (a manifest, a `.dir` listing, a pointer), checked
    before anything is written there: relative, normalised, no `..`, no `.git`, no name longer than a file
    system takes, and no existing component below `base` that is a symlink leading out of `base` or into its
    `.git` or `.dvc` (`links="inside"`, the work tree), or any symlink at all (`links="none"`, an export
    directory). Raises InvalidInput (exit 2)."""
    problem = stored_path_problem(rel)
    if problem is None and any(part.lower() == ".git" for part in rel.split("/")):
        problem = f"path {rel!r} names git's own directory"
    if problem is None and (len(rel.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES
                            or any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES
                                   for part in rel.split("/"))):
        problem = f"path {rel[:40]!r}... is longer than a file system allows ({MAX_NAME_BYTES} bytes a name)"
    if problem is not None:
        raise InvalidInput(problem, where=where, hint="a path from data must be relative and stay inside the "
                                                      "work tree; the data is corrupt or hostile: do not use it")
    from pathlib import Path

    real_base = Path(os.path.realpath(base))
    probe = base
    for part in rel.split("/"):
        probe = probe / part
        if not os.path.islink(probe):
            if not os.path.lexists(probe):
                break  # nothing below a missing component can be a link yet
            continue
        if links == "none":
            raise InvalidInput(f"{probe} is a symlink; nothing is written through one", where=where,
                               hint="export into a new or empty directory")
        real = Path(os.path.realpath(probe))
        if real != real_base and real_base not in real.parents:
            raise InvalidInput(f"{rel} passes through the symlink {probe}, which leads out of {base}",
                               where=where, hint="replace the symlink with a directory or file inside the repo")
        inner = real.relative_to(real_base).parts
        if any(p.lower() == ".git" for p in inner) or (inner and inner[0].lower() == ".dvc"):
            # inside, but into git's or DVC's own files: a placed file would be a hook, or DVC's config
            raise InvalidInput(f"{rel} passes through the symlink {probe}, which leads into {inner[0]}/",
                               where=where, hint="replace the symlink with a directory or file of its own")
    return base / rel
