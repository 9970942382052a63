"""Shared by the kill -9 and concurrency suites: a template repo with one committed model, copied per trial."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.clirun import needs_process, run_in_process

CHECKOUT = Path(__file__).resolve().parent.parent
MANIFEST = "models/sentiment.yaml"


def run(root: Path, *argv: str, env: dict[str, str] | None = None, check: bool = True
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=root, env=env, check=check, capture_output=True, text=True)


def gitmodel_argv(*args: str) -> list[str]:
    """`python -m gitmodel ARGS`: for the command a trial kills or races, where the process is the point."""
    return [sys.executable, "-m", "gitmodel", *args]


def gitmodel(root: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
             ) -> subprocess.CompletedProcess[str]:
    """The CLI in-process (tests/clirun.py), for set-up and for looking at a repo after a trial."""
    if needs_process(env):
        return run(root, *gitmodel_argv(*args), env=env, check=check)
    result = run_in_process(root, args, env=env)
    if check and result.returncode:
        raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout, result.stderr)
    return result


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
        (root / "artifacts" / name).mkdir(parents=True)
        (root / "artifacts" / name / "model.bin").write_bytes(bytes(range(256)) * 16)
        (root / "prompts" / name).mkdir(parents=True)
        (root / "prompts" / name / "system.txt").write_text(f"You are {name}.\n")
        gitmodel(root, "add", name, "--weights", f"artifacts/{name}/model.bin",
                 "--prompt", f"prompts/{name}/system.txt", env=env)
    run(root, "git", "add", "-A", env=env)
    run(root, "git", "commit", "-q", "-m", "models", env=env)
    return root


def copy_repo(template: Path, target: Path) -> Path:
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


def isolated_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("[user]\n\tname = T\n\temail = t@example.com\n[init]\n\tdefaultBranch = main\n"
                                     "[tag]\n\tgpgsign = false\n[commit]\n\tgpgsign = false\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
                "GIT_CONFIG_NOSYSTEM": "1", "DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATER": "1",
                "PYTHONPATH": str(CHECKOUT)})
    return env


def has_command(root: Path, *command: str) -> bool:
    return gitmodel(root, *command, "--help", check=False).returncode == 0
