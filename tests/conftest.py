"""Shared fixtures: an isolated HOME and git config, real temp git repos, and the CLI runners.

`gm()` runs the real CLI entry point in-process (tests/clirun.py: argv, cwd, env, stdin, fds 0-2 as a
subprocess would have them); `gm_subprocess()` runs `python -m gitmodel` for tests where the process
boundary is the point (hooks, kill -9, concurrency, import cost, env read at import).

A skipped test fails here: a tool the suite needs is installed by the project (`pip install -e '.[test]'`,
`make test`'s set-up), so a missing one is a broken set-up, and the report says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import needs_process, run_in_process

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


GITCONFIG = ("[user]\n\tname = Test User\n\temail = test@example.com\n"
             "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n")
_OUTER_PYTHONPATH = os.environ.get("PYTHONPATH", "")
_OUTER_PATH = os.environ.get("PATH", os.defpath)


def _isolate(mp: pytest.MonkeyPatch, home: Path) -> Path:
    """HOME with a .gitconfig, no system git config, pinned terminal and locale, this checkout importable."""
    (home / ".gitconfig").write_text(GITCONFIG)
    mp.setenv("HOME", str(home))
    mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("COLUMNS", "100")
    mp.setenv("NO_COLOR", "1")
    mp.setenv("LC_ALL", "C.UTF-8")
    mp.setenv("DVC_NO_ANALYTICS", "1")
    mp.setenv("DVC_NO_UPDATER", "1")
    for var in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GITMODEL_TRACEBACK", "GIT_AUTHOR_DATE",
                "GIT_COMMITTER_DATE"):
        mp.delenv(var, raising=False)
    # Subprocesses (`python -m gitmodel`, git hooks) import this checkout's package.
    mp.setenv("PYTHONPATH", str(REPO_ROOT) + os.pathsep + _OUTER_PYTHONPATH)
    # Peer tools the test extra installs (gto, pre-commit, ...) sit beside the interpreter running the
    # tests, whether or not that venv is activated.
    mp.setenv("PATH", str(VENV_BIN) + os.pathsep + _OUTER_PATH)
    return home


@pytest.fixture(scope="session", autouse=True)
def session_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same isolation for module- and session-scoped fixtures (templates built once per module): the
    developer's ~/.gitconfig, hooks path or signing settings never reach any git the suite runs."""
    with pytest.MonkeyPatch.context() as mp:
        yield _isolate(mp, tmp_path_factory.mktemp("session-home"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own HOME (see _isolate)."""
    return _isolate(monkeypatch, tmp_path_factory.mktemp("home"))


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run real git in `repo`."""
    return subprocess.run(["git", *args], cwd=repo, text=True, capture_output=True, check=check)


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


# Install commands for the tools tests drive, by a word a skip reason or `need_tool` names.
INSTALL = {
    "git-lfs": "run `make test` as root (scripts/ensure-test-tools.sh installs it), or `apt-get install git-lfs`",
    "ssh-keygen": "run `make test` as root (scripts/ensure-test-tools.sh installs it), or "
                  "`apt-get install openssh-client`",
    "sha256sum": "`apt-get install coreutils`",
}
PIP_INSTALL = "`pip install -e '.[test]'` (or `make test`, which builds .venv with it)"


def install_hint(text: str) -> str:
    for word, how in INSTALL.items():
        if word in text:
            return how
    return PIP_INSTALL


def need_tool(name: str) -> str:
    """The path of an executable a test drives; fails (never skips) with the install command when absent."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: {install_hint(name)}", pytrace=False)
    return found


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A module-level skip (pytest.importorskip, allow_module_level) fails the module's collection."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"this suite does not skip: {reason}\ninstall what is missing: {install_hint(reason)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """No silent skips: a skipped test (skip, skipif, importorskip) is reported as failed, with how to fix it."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"this suite does not skip: {reason}\n"
                           f"install what is missing: {install_hint(reason)}")


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """A fresh git repo with one commit."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "README.md").write_text("test repo\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    return root
