"""Files in a test repo: written, edited by hand, and every byte of a tree read back."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Collection
from pathlib import Path


def write(root: Path, rel: str, data: str | bytes) -> Path:
    """Write `data` at root/rel (text as UTF-8), creating its folders; returns the path."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def replace_in(path: Path, old: str, new: str, count: int = -1) -> None:
    """Edit a file by hand: `old` must be there (the test's premise), and becomes `new`."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}: {text!r}"
    path.write_text(text.replace(old, new, count))


def tree(path: Path) -> dict[str, bytes]:
    """Every file under `path` (relative POSIX path -> bytes); empty when `path` does not exist."""
    if not path.exists():
        return {}
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def snapshot(root: Path, exclude: Collection[str] = ()) -> dict[str, str]:
    """sha256 of every file under `root` (.git included: index, refs, objects), the target of every symlink,
    every directory (as `rel/`), and `git status` with every untracked and ignored file; `exclude` names
    paths (directories with their trailing `/`) to leave out."""
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in [*dirnames, *filenames]:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                if rel not in exclude:
                    state[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                if rel + "/" not in exclude:
                    state[rel + "/"] = "dir"
            elif rel not in exclude:
                state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    if (root / ".git").exists():
        # --no-optional-locks: plain `git status` may refresh the index and so change what is measured
        state["(git status)"] = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--ignored", "--untracked-files=all"],
            cwd=root, capture_output=True, text=True).stdout
    return state
