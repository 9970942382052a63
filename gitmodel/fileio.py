"""YAML in and out, safely: size cap, no Python objects, no alias bombs, atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

try:  # the C loader is ~10x faster; fall back where libyaml is missing
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

import contextlib

from gitmodel.errors import InvalidInput

MAX_YAML_BYTES = 1024 * 1024
# Aliases let a few hundred bytes describe billions of nodes ("billion laughs"); count nodes as if
# expanded and stop early.
MAX_YAML_NODES = 200_000


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
    try:
        value = yaml.load(text, Loader=_Loader)  # noqa: S506 - safe loader, never builds Python objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise InvalidInput(f"invalid YAML: {line}{problem}", where=where,
                           hint="fix the YAML syntax") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"invalid YAML: {str(exc).splitlines()[0]}", where=where) from None
    except RecursionError:
        raise InvalidInput("invalid YAML: nested too deeply", where=where) from None
    _check_node_count(value, where)
    return value


def _check_node_count(value: Any, where: str) -> None:
    stack = [value]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_YAML_NODES:
            raise InvalidInput(f"YAML expands to more than {MAX_YAML_NODES} nodes (alias bomb?)", where=where,
                               hint="remove anchors and aliases")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def load_yaml(path: Path, *, where: str | None = None) -> Any:
    label = where or path.as_posix()
    return parse_yaml(read_capped(path, where=label), where=label)


def dump_yaml(data: Any) -> str:
    """Block-style YAML in the given key order (manifests are reviewed as diffs: keep order stable)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=100)


def atomic_write(path: Path, data: bytes | str, *, mode: int = 0o644) -> None:
    """Write via a temp file in the same directory, fsync, then os.replace: never a partial file."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
