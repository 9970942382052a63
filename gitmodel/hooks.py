"""Install and remove gitmodel's git hooks (pre-commit, pre-push), keeping a foreign hook as `<hook>.legacy`.

The hooks directory is git's own answer (`git rev-parse --git-path hooks`): linked worktrees share the main
repository's hooks, and `core.hooksPath` is honoured (gitmodel never sets it). The installed stub records
the interpreter that installed it, as pre-commit's stubs do, so a commit from an IDE finds gitmodel too.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gitmodel import git
from gitmodel.errors import ExternalFailure, Refused
from gitmodel.fileio import atomic_write
from gitmodel.resources import hooks_dir

HOOK_NAMES = ("pre-commit", "pre-push")
MARKER = "# gitmodel-hook v"  # the line that identifies a stub as ours, whatever its version
PYTHON_PLACEHOLDER = "'__GITMODEL_PYTHON__'"
LEGACY_SUFFIX = ".legacy"


@dataclass
class HooksResult:
    hooks_dir: Path
    installed: list[str] = field(default_factory=list)   # written or rewritten
    unchanged: list[str] = field(default_factory=list)   # already our current stub
    kept: list[str] = field(default_factory=list)        # foreign hooks moved to .legacy (install) or restored
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def hooks_path(root: Path) -> Path:
    """Where git looks for this repository's hooks (worktrees and core.hooksPath included)."""
    return git.git_path(root, "hooks")


def is_ours(path: Path) -> bool:
    try:
        with open(path, "rb") as stream:
            head = stream.read(4096)
    except OSError:
        return False
    return MARKER.encode() in head


def render_stub(hook: str, python: str | None = None) -> str:
    """The stub for `hook` with the interpreter that runs gitmodel substituted in."""
    template = (hooks_dir() / hook).read_text(encoding="utf-8")
    return template.replace(PYTHON_PLACEHOLDER, shlex.quote(python or sys.executable))


def _display(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def install(root: Path, *, force: bool = False, python: str | None = None) -> HooksResult:
    """Write both stubs. A foreign hook moves to `<hook>.legacy` and runs first; `force` replaces it instead."""
    directory = hooks_path(root)
    result = HooksResult(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExternalFailure(f"cannot create the hooks directory: {exc.strerror}", where=str(directory)) from None
    # Check both hooks before touching either: a refusal must leave nothing half-installed.
    for hook in HOOK_NAMES:
        target, legacy = directory / hook, directory / (hook + LEGACY_SUFFIX)
        if target.exists() and not is_ours(target) and legacy.exists() and not force:
            raise Refused(f"a foreign {hook} hook is installed and {legacy.name} already exists",
                          where=_display(root, target),
                          hint=f"merge one into the other by hand, or `gitmodel hooks install --force` to "
                               f"replace {hook} (the existing {legacy.name} still runs)")
    for hook in HOOK_NAMES:
        target, legacy = directory / hook, directory / (hook + LEGACY_SUFFIX)
        stub = render_stub(hook, python)
        shown = _display(root, target)
        if target.exists() and not is_ours(target):  # through a symlink too: a link to our stub is ours
            if force:
                target.unlink()
                result.notes.append(f"replaced the foreign {shown} (--force: not kept)")
            else:
                os.replace(target, legacy)
                result.kept.append(hook)
                result.notes.append(f"kept the existing {hook} hook as {legacy.name}; it runs before gitmodel's")
        elif target.exists() and target.read_text(encoding="utf-8", errors="replace") == stub \
                and os.access(target, os.X_OK):
            result.unchanged.append(hook)
            continue
        try:
            atomic_write(target, stub, mode=0o755)
        except OSError as exc:
            raise ExternalFailure(f"cannot write the hook: {exc.strerror}", where=shown) from None
        result.installed.append(hook)
    if result.installed:
        result.notes.append(f"installed {', '.join(result.installed)} hook(s) in {_display(root, directory)}")
    if result.unchanged and not result.installed:
        result.notes.append(f"hooks already installed in {_display(root, directory)}")
    return result


def uninstall(root: Path) -> HooksResult:
    """Remove gitmodel's stubs and put back the hooks they replaced; a foreign hook is left alone."""
    directory = hooks_path(root)
    result = HooksResult(directory)
    for hook in HOOK_NAMES:
        target, legacy = directory / hook, directory / (hook + LEGACY_SUFFIX)
        if target.exists() and not is_ours(target):
            result.notes.append(f"{_display(root, target)} is not gitmodel's; left as is")
            continue
        if target.exists():
            target.unlink()
            result.removed.append(hook)
        if legacy.exists():
            os.replace(legacy, target)
            result.kept.append(hook)
            result.notes.append(f"restored the previous {hook} hook from {legacy.name}")
    if result.removed:
        result.notes.append(f"removed gitmodel's {', '.join(result.removed)} hook(s)")
    elif not result.kept:
        result.notes.append("gitmodel's hooks were not installed; nothing to do")
    return result
