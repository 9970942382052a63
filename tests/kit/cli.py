"""The real CLI, in-process (fast) or in a subprocess (where the process boundary is the point: hooks,
kill -9, concurrency, import cost, environment read at import)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.kit.clirun import needs_process, run_in_process


def gm(repo: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    """Run the real CLI (`gitmodel.cli.main`) in `repo`, in-process; .returncode/.stdout/.stderr as a subprocess.

    An `env` naming a variable read at interpreter or gitmodel start-up runs in a subprocess instead, and
    so does every call when GITMODEL_TESTS_SUBPROCESS=1 (to tell an in-process artefact from a real bug).
    """
    if needs_process(env) or os.environ.get("GITMODEL_TESTS_SUBPROCESS") == "1":
        return gm_subprocess(repo, *args, input=input, env=env)
    return run_in_process(repo, args, input=input, env=env)


def gm_subprocess(repo: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None
                  ) -> subprocess.CompletedProcess[str]:
    """Run the real CLI as a user would, in a subprocess (`python -m gitmodel`)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "gitmodel", *args], cwd=repo, text=True,
                          capture_output=True, input=input, env=full_env)


def run(root: Path, *argv: str, env: dict[str, str] | None = None, check: bool = True
        ) -> subprocess.CompletedProcess[str]:
    """Any command in `root` with exactly `env` (None: this process's)."""
    return subprocess.run(list(argv), cwd=root, env=env, check=check, capture_output=True, text=True)


def gitmodel_argv(*args: str) -> list[str]:
    """`python -m gitmodel ARGS`: for the command a trial kills or races, where the process is the point."""
    return [sys.executable, "-m", "gitmodel", *args]


def gitmodel(root: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
             ) -> subprocess.CompletedProcess[str]:
    """`gm` for set-up and for looking at a repo after a trial: with `check`, a failure raises."""
    if needs_process(env):
        return run(root, *gitmodel_argv(*args), env=env, check=check)
    result = run_in_process(root, args, env=env)
    if check and result.returncode:
        raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout, result.stderr)
    return result
