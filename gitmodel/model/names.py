"""Model names and repository paths: validated before they reach git, DVC or the file system."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.lazy_re import LazyPattern

MAX_NAME = 100
_NAME_RE = re.compile(r"[a-z0-9]([a-z0-9._/-]*[a-z0-9])?")
NAME_HINT = "use lower-case letters, digits and . _ / - (e.g. sentiment or team/ranker)"


def name_problem(name: object) -> str | None:
    """Why `name` is not a valid model name, or None when it is."""
    if not isinstance(name, str) or not name:
        return "a model name must be a non-empty string"
    if len(name) > MAX_NAME:
        return f"model name is longer than {MAX_NAME} characters"
    if not _NAME_RE.fullmatch(name):
        return f"invalid model name {name!r}"
    if ".." in name or "//" in name:
        return f"invalid model name {name!r}: no '..' or '//'"
    for part in name.split("/"):
        # git refuses ref components starting with '.' or ending in '.lock'
        if part.startswith(".") or part.endswith(".lock"):
            return f"invalid model name {name!r}: a '/' part may not start with '.' or end with '.lock'"
    return None


# GTO's artifact name rule (gto/constants.py), which DVC's `artifacts:` names share: no '.'
_GTO_NAME_RE = LazyPattern(r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?")


def gto_name_problem(name: str) -> str | None:
    """Why GTO and DVC cannot see a valid gitmodel name (a '.'), or None.

    Decision (issue 14 item 7): such a name is not mapped to another one — a second name per model would
    make `gto show` and gitmodel disagree about tags. gitmodel works with it; GTO silently ignores its tags
    and dvc.yaml gets no artifact entry, so `add` says so once.
    """
    if _GTO_NAME_RE.fullmatch(name):
        return None
    suggestion = name.replace(".", "-")
    return (f"GTO and DVC cannot represent the model name {name!r} (GTO allows letters, digits, - _ /; "
            f"no '.'): `gto show` will not list its releases and stages, and dvc.yaml gets no artifact "
            f"for it; gitmodel's own commands work. To be seen by them, use a name like {suggestion!r}")


def validate_name(name: object, *, where: str = "NAME") -> str:
    problem = name_problem(name)
    if problem:
        raise InvalidInput(problem, where=where, hint=NAME_HINT)
    assert isinstance(name, str)
    return name


def normalize_repo_path(raw: object, root: Path, *, where: str, must_exist: bool = False) -> str:
    """A POSIX path relative to the repo root that stays inside the repo (symlinks included)."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("path must be a non-empty string", where=where)
    if any(ord(ch) < 32 for ch in raw) or "\\" in raw:
        raise InvalidInput(f"path {raw!r} has control characters or backslashes", where=where,
                           hint="use a POSIX path relative to the repo root")
    candidate = Path(raw)
    if candidate.is_absolute():
        # An absolute path inside the repo is a convenience on the command line; stored paths never are.
        # Made relative lexically: resolving first would record a symlink's target instead of the path the
        # user named (the symlink check below still runs on it).
        lexical = Path(os.path.normpath(candidate))
        for base in dict.fromkeys((Path(os.path.normpath(root.absolute())), root.resolve())):
            if lexical == base or base in lexical.parents:
                candidate = lexical.relative_to(base)
                break
        else:
            raise InvalidInput(f"path {raw!r} is outside the repository", where=where,
                               hint="paths are relative to the repo root")
    posix = PurePosixPath(candidate.as_posix())
    if ".." in posix.parts:
        raise InvalidInput(f"path {raw!r} leaves the repository ('..')", where=where,
                           hint="paths are relative to the repo root")
    text = posix.as_posix()
    if text in ("", ".") or posix.parts[0] == ".git":
        raise InvalidInput(f"path {raw!r} is not a file in the repository", where=where)
    full = root / text
    real_root = root.resolve()
    try:
        resolved = full.resolve()
    except (OSError, RuntimeError):
        raise InvalidInput(f"path {raw!r} cannot be resolved (symlink loop?)", where=where) from None
    if resolved != real_root and real_root not in resolved.parents:
        raise InvalidInput(f"path {raw!r} points outside the repository (symlink)", where=where,
                           hint="keep model files inside the repo")
    if must_exist and not os.path.lexists(full):
        raise InvalidInput(f"file {text} does not exist", where=where)
    return text
