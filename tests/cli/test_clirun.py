"""The in-process CLI runner (tests/clirun.py) behind `gm()`: it must answer as `python -m gitmodel` does,
and leave nothing of a run behind in the test process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import gitmodel.cli
from tests.kit.cli import gm, gm_subprocess
from tests.kit.clirun import needs_process, run_in_process
from tests.kit.repos import model_repo
from tests.kit.templates import template_repo

CASES = [
    ("ls-json", ["ls", "--json"], None),
    ("status", ["status"], None),
    ("check", ["check"], None),
    ("show", ["show", "sentiment", "--json"], None),
    ("usage-missing-argument", ["add"], None),
    ("usage-unknown-command", ["frobnicate"], None),
    ("help", ["--help"], None),
    ("bad-input-bump", ["bump", "nosuch"], None),
    ("stdin", ["labels", "check", "-"], "{not json"),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model_repo(template_repo(tmp_path_factory, "clirun"))


@pytest.mark.parametrize(("argv", "stdin"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_in_process_answers_as_the_subprocess(template: Path, argv: list[str], stdin: str | None) -> None:
    inside = gm(template, *argv, input=stdin)
    outside = gm_subprocess(template, *argv, input=stdin)
    assert inside.args[0] == "gitmodel"  # really in-process
    assert (inside.returncode, inside.stdout, inside.stderr) == (outside.returncode, outside.stdout, outside.stderr)


def test_outside_a_git_repo_too(tmp_path: Path) -> None:
    inside, outside = gm(tmp_path, "status"), gm_subprocess(tmp_path, "status")
    assert inside.returncode == outside.returncode == 2
    assert inside.stderr == outside.stderr


def test_a_run_leaves_the_test_process_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that changes every piece of process state the runner promises to restore."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def busy_main(argv: list[str]) -> None:
        os.chdir(elsewhere)
        os.environ["GITMODEL_CLIRUN_PROBE"] = "set by the command"
        os.umask(0o077)
        signal.signal(signal.SIGTERM, lambda *_: None)
        logging.getLogger("dvc").addHandler(logging.StreamHandler(sys.stderr))
        sys.stdout.write(f"argv={argv} cwd={Path.cwd().name}\n")
        sys.stdout.write("stdin=" + sys.stdin.read() + "\n")
        os.write(1, b"fd1\n")  # below Python: lands in the same stdout, in order
        subprocess.run(["sh", "-c", "echo child-out; echo child-err >&2"], check=True)  # inherits fds 1 and 2
        sys.stderr.write("last\n")
        sys.exit(3)

    before = (os.getcwd(), dict(os.environ), os.umask(0o022), signal.getsignal(signal.SIGTERM),
              list(logging.getLogger("dvc").handlers), sys.stdout, sys.stderr, sys.stdin,
              os.fstat(1).st_ino)
    os.umask(before[2])
    monkeypatch.setattr(gitmodel.cli, "main", busy_main)
    result = run_in_process(tmp_path, ("one", "two"), input="fed", env={"GITMODEL_CLIRUN_OVERRIDE": "1"})

    assert result.returncode == 3
    assert result.stdout == "argv=['one', 'two'] cwd=elsewhere\nstdin=fed\nfd1\nchild-out\n"
    assert result.stderr == "child-err\nlast\n"
    umask = os.umask(0o022)
    os.umask(umask)
    after = (os.getcwd(), dict(os.environ), umask, signal.getsignal(signal.SIGTERM),
             list(logging.getLogger("dvc").handlers), sys.stdout, sys.stderr, sys.stdin, os.fstat(1).st_ino)
    assert after == before


def test_an_uncaught_exception_is_a_traceback_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_main(argv: list[str]) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(gitmodel.cli, "main", broken_main)
    result = run_in_process(tmp_path, ("x",))
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().endswith("ValueError: boom")


def test_start_up_variables_need_a_new_interpreter(template: Path) -> None:
    assert needs_process({"GITMODEL_LOCK_TIMEOUT": "3"})
    assert needs_process({"LC_ALL": "C"})
    assert not needs_process({"GIT_LFS_SKIP_SMUDGE": "1"})
    assert not needs_process(dict(os.environ))  # a whole environment: only changed values count
    assert not needs_process({"PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    timed = gm(template, "ls", env={"GITMODEL_LOCK_TIMEOUT": "3"})
    assert timed.args[0] == sys.executable  # `python -m gitmodel ls`
    assert timed.returncode == 0, timed.stderr
