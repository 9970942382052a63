"""Real git in a test repo: run it, commit, tag a release, push."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gitmodel.model.manifest import load
from gitmodel.registry.releases import release_message


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run real git in `repo`."""
    return subprocess.run(["git", *args], cwd=repo, text=True, capture_output=True, check=check)


def git_out(repo: Path, *args: str) -> str:
    """What real git prints on stdout; fails on a non-zero exit."""
    return git(repo, *args).stdout


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").stdout.strip()


def commit(root: Path, message: str, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    """`git commit -m MESSAGE ARGS` through the installed hooks, unchecked: the caller asserts the exit code."""
    return subprocess.run(["git", "commit", "-m", message, *args], cwd=root, text=True, capture_output=True,
                          env={**os.environ, **(env or {})})


def commit_all(root: Path, message: str, *, allow_empty: bool = False) -> str:
    """`git add -A` and commit (must succeed); returns the new HEAD."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, *(["--allow-empty"] if allow_empty else []))
    return head(root)


def release(root: Path, name: str, version: str | None = None, *, rev: str = "HEAD",
            commit_staged: bool = False, manifests: str = "models") -> str:
    """Tag `NAME@vVERSION` on `rev` with an annotated tag; returns the tag.

    With a version: a release as a user makes one by hand (a plain message). Without: the committed
    manifest's version, with the message `gitmodel tag` writes (its fingerprint and manifest lines).
    `commit_staged` first commits what is staged, as "NAME VERSION".
    """
    if commit_staged:
        git(root, "commit", "-q", "-m", f"{name} {version}")
    if version is None:
        m = load(root / f"{manifests}/{name}.yaml")
        tag = f"{name}@v{m.version}"
        message = release_message(name, m, f"{manifests}/{name}.yaml", None)
    else:
        tag = f"{name}@v{version}"
        message = f"release {version}"
    git(root, "tag", "-a", tag, "-m", message, rev)
    return tag


def push(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`git push -q origin ARGS` through the installed pre-push hook, unchecked."""
    return subprocess.run(["git", "push", "-q", "origin", *args], cwd=root, text=True, capture_output=True,
                          env={**os.environ, **(env or {})})


def bare_remote(root: Path | None, path: Path) -> Path:
    """A bare repo at `path`, added to `root` (when given) as `origin`."""
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True, capture_output=True)
    if root is not None:
        git(root, "remote", "add", "origin", str(path))
    return path
