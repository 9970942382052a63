"""Template repos: built once per module (a DVC init costs about a second) and copied for each test.

conftest's autouse, session-scoped `session_env` already gives module-scoped fixtures an isolated HOME,
git config and this checkout on PYTHONPATH, so a template needs no environment of its own unless its
commands take an explicit `env` (the reliability trials).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.kit.cli import gitmodel, run
from tests.kit.files import write


def template_repo(factory: pytest.TempPathFactory, name: str) -> Path:
    """An empty git repo at a fresh `<name>N/repo` (its sibling folder free for a remote)."""
    root = factory.mktemp(name) / "repo"
    root.mkdir()
    run(root, "git", "init", "-q")
    return root


def template_runner(root: Path) -> Callable[..., None]:
    """`run(*argv)` in a template repo: each step must succeed."""

    def run_step(*argv: str) -> None:
        done = subprocess.run(list(argv), cwd=root, capture_output=True, text=True)
        assert done.returncode == 0, (argv, done.stderr)

    return run_step


def build_template(root: Path, env: dict[str, str], *, models: tuple[str, ...] = ("sentiment",)) -> Path:
    """`gitmodel init` with a local remote, then each model (DVC weights, git prompt), committed.

    Module-scoped fixtures call this, and the autouse isolated HOME is function-scoped: `env` carries
    the HOME to use.
    """
    root.mkdir(parents=True)
    run(root, "git", "init", "-q", env=env)
    (root / "README.md").write_text("reliability template\n")
    run(root, "git", "add", "README.md", env=env)
    run(root, "git", "commit", "-q", "-m", "initial", env=env)
    gitmodel(root, "init", "--no-hooks", "--remote", str(root.parent / "remote"), env=env)
    for name in models:
        write(root, f"artifacts/{name}/model.bin", bytes(range(256)) * 16)
        write(root, f"prompts/{name}/system.txt", f"You are {name}.\n")
        gitmodel(root, "add", name, "--weights", f"artifacts/{name}/model.bin",
                 "--prompt", f"prompts/{name}/system.txt", env=env)
    run(root, "git", "add", "-A", env=env)
    run(root, "git", "commit", "-q", "-m", "models", env=env)
    return root


def copy_repo(template: Path, target: Path) -> Path:
    """A copy of `template` at `target` (links kept as links), with its own copy of the template's DVC
    remote where it has one (`template.parent/remote`), so no test writes to another's."""
    shutil.copytree(template, target, symlinks=True)
    # The copy's remote path is the template's sibling: point it at the copy's own sibling.
    remote = target.parent / "remote"
    if (template.parent / "remote").exists() and not remote.exists():
        shutil.copytree(template.parent / "remote", remote)
    config = target / ".dvc" / "config"
    for candidate in (config, target / ".dvc" / "config.local"):
        if candidate.exists():
            candidate.write_text(candidate.read_text().replace(str(template.parent / "remote"), str(remote)))
    run(target, "git", "update-index", "-q", "--refresh", check=False)
    return target


def copy_template(template: Path, tmp_path: Path) -> Path:
    """This test's own copy of a template repo at `tmp_path/repo` (see copy_repo)."""
    return copy_repo(template, tmp_path / "repo")


def has_command(root: Path, *command: str) -> bool:
    return gitmodel(root, *command, "--help", check=False).returncode == 0
