"""The caches under `<git dir>/gitmodel/`, JSON or text: one loader, one saver, one stamp.

JSON (`load`/`save`): `hashcache.json` (sha256 by stat, `gitmodel.infra.hashing`), `parsed-yaml12.json`
(parsed YAML by blob id, `gitmodel.infra.parse_cache`) and `judged.json` (each work-tree model's check, keyed by
the stat of everything it read, `gitmodel.gate.judged`). Text, which the commit hook searches without
parsing it whole (`load_text`/`save_text`/`append_text`): `blobcache` (sha256 by blob id,
`gitmodel.infra.hashing`), `hookpins` (what a manifest pins, by blob id, `gitmodel.infra.pins`), `hookpaths`
(which model each path HEAD's manifests pin concerns), `hooktree` (the manifests tree it describes,
`gitmodel.gate.kept_tree`) and `hookexpect` (the tree the commit the hook let in gives them), the last three
`gitmodel.gate.hook_index`'s. Each is only a cache, so:

- a missing, unreadable, corrupt or foreign file loads as empty and is rebuilt;
- a save that cannot write (read-only `.git`, full disk) is skipped, never an error: the next run rebuilds;
- every file is stamped with its format AND gitmodel's version, and a file stamped otherwise loads as empty:
  what another version computed (its pins, its parses) is never served after an upgrade or a downgrade.

Standard library (json, os) only: the commit hook loads its index through here on every commit.
"""

from __future__ import annotations

import os
import stat  # loaded with os already

from gitmodel.infra.version import __version__

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:      # json and pathlib are imported where used: the hook's fast path reads only text
    from typing import Any

    PathLike = str | os.PathLike[str]


def cache_file(git_dir: PathLike, name: str) -> str:
    """Where cache `name` lives: `<git dir>/gitmodel/<name>`."""
    return os.path.join(git_dir, "gitmodel", name)


def _read(path: PathLike) -> bytes:
    """The file's bytes; OSError unless it is a regular file (a FIFO put there is never waited on)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path}: not a regular file")
        return stream.read()


def load(path: PathLike, fmt: int) -> dict[str, Any]:
    """The cache at `path` when this gitmodel wrote it in format `fmt`; {} when missing, corrupt or foreign."""
    import json

    try:
        data = json.loads(_read(path))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != fmt or data.get("gitmodel") != __version__:
        return {}
    return data


def save(path: PathLike, fmt: int, body: dict[str, Any]) -> bool:
    """Write `body` stamped with `fmt` and gitmodel's version, atomically; False if it could not be written.

    Keys keep their order (the parse cache keeps its most recent entries last)."""
    import json

    return _write(path, json.dumps({**body, "format": fmt, "gitmodel": __version__}, separators=(",", ":")).encode())


def _write(path: PathLike, payload: bytes) -> bool:
    """Replace the cache file atomically (no fsync: it is only a cache); False if it could not be written."""
    from gitmodel.infra.errors import GitmodelError
    from gitmodel.infra.fileio import atomic_write

    try:
        atomic_write(path, payload, durable=False)
    except GitmodelError:
        return False  # a read-only repository must not fail a command (or block a commit) over a cache
    return True


def _text_stamp(fmt: int) -> bytes:
    return f"gitmodel-cache {fmt} {__version__}\n".encode()


def load_text(path: PathLike, fmt: int) -> bytes | None:
    """The body of the text cache at `path` when this gitmodel wrote it in format `fmt`; None otherwise."""
    try:
        data = _read(path)
    except OSError:
        return None
    stamp = _text_stamp(fmt)
    return data[len(stamp) :] if data.startswith(stamp) else None


def append_text(path: PathLike, fmt: int, records: bytes) -> bool:
    """Add `records` to the end of the text cache at `path`; a missing file, or one another version or format
    wrote, is replaced by `records` alone. Never follows a symlink put where the file should be."""
    stamp = _text_stamp(fmt)
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return save_text(path, fmt, records)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or os.read(fd, len(stamp)) != stamp:
            os.close(fd)
            fd = -1
            return save_text(path, fmt, records)
        view = memoryview(records)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        return False
    finally:
        if fd >= 0:
            os.close(fd)
    return True


def save_text(path: PathLike, fmt: int, body: bytes) -> bool:
    """Write `body` under a first line stamping `fmt` and gitmodel's version, atomically; False if it could not."""
    return _write(path, _text_stamp(fmt) + body)
