"""Fixtures and the suite's rules: an isolated HOME and git config for every test, a real temp git repo,
a fake clock, a second interpreter; a skipped test fails. Helpers live in the test kit (tests/kit/).

A skipped test fails here: a tool the suite needs is installed by the project (`pip install -e '.[test]'`,
`make test`'s set-up), so a missing one is a broken set-up, and the report says how to install it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit.clock import Clock
from tests.kit.env import isolate
from tests.kit.git import git
from tests.kit.tools import bare_venv_python, install_hint

# fixtures kept beside their helpers: `source` and `served` (a model repo behind a real `git daemon`)
pytest_plugins = ("tests.kit.gitserver", "tests.kit.signing")


@pytest.fixture(scope="session", autouse=True)
def session_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same isolation for module- and session-scoped fixtures (templates built once per module): the
    developer's ~/.gitconfig, hooks path or signing settings never reach any git the suite runs."""
    with pytest.MonkeyPatch.context() as mp:
        yield isolate(mp, tmp_path_factory.mktemp("session-home"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own HOME (see tests.kit.env.isolate)."""
    return isolate(monkeypatch, tmp_path_factory.mktemp("home"))


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


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Fake time for git: `clock.tick()` moves every later commit and tag a minute on."""
    return Clock(monkeypatch)


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second interpreter: a fresh venv without pip, so none of this environment's packages."""
    return bare_venv_python(tmp_path_factory.mktemp("venv"))
