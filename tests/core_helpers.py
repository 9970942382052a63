"""Helpers for the core tests: a repo with one model, and a snapshot of everything on disk."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from gitmodel.workspace.edit import add_model
from gitmodel.workspace.init_repo import init_repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, text=True, capture_output=True, check=True).stdout


def write(repo: Path, rel: str, data: str | bytes) -> Path:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def model_repo(repo: Path, *, dvc: bool = True, commit: bool = True, name: str = "sentiment") -> Path:
    """`gitmodel init` plus `gitmodel add NAME` over weights, data and a prompt, optionally committed.

    Without DVC the weights are stored in git (fast tests of the rules that do not involve pointers).
    """
    init_repo(repo, hooks=False, dvc=dvc)
    write(repo, "artifacts/model.bin", b"\x00weights\x01" * 10)
    write(repo, "data/train.csv", "text,label\ngood,pos\n")
    write(repo, "prompts/system.txt", "You are a sentiment classifier.\n")
    add_model(repo, name, weights=["artifacts/model.bin"], data=["data/train.csv"],
              prompts=["prompts/system.txt"], force_git=[] if dvc else ["artifacts/model.bin"])
    if commit:
        git(repo, "commit", "-q", "-m", f"add {name}")
    return repo


def release(repo: Path, name: str, version: str) -> None:
    """A release as a user makes one by hand: an annotated tag."""
    git(repo, "tag", "-a", f"{name}@v{version}", "-m", f"release {version}")


def set_version(repo: Path, name: str, version: str) -> None:
    path = repo / "models" / f"{name}.yaml"
    lines = [f"version: {version}" if line.startswith("version: ") else line
             for line in path.read_text().splitlines()]
    path.write_text("\n".join(lines) + "\n")


def snapshot(repo: Path) -> dict[str, str]:
    """sha256 of every file under the repo (.git included: index, refs, objects) plus `git status`."""
    state = {}
    for path in sorted(repo.rglob("*")):
        if path.is_symlink():
            state[path.relative_to(repo).as_posix()] = "link:" + str(path.readlink())
        elif path.is_file():
            state[path.relative_to(repo).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            state[path.relative_to(repo).as_posix() + "/"] = "dir"
    if (repo / ".git").exists():
        # --no-optional-locks: plain `git status` may refresh the index and so change what we measure
        state["<git status>"] = git(repo, "--no-optional-locks", "status", "--porcelain", "--ignored")
    return state
