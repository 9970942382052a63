"""The Typer-free fast path (gitmodel/cli/fast.py) answers as the Typer commands do, without Typer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.cli.fast import run_fast
from tests.kit.cli import gm
from tests.kit.repos import released_in_git


@pytest.fixture
def released(repo: Path) -> Path:
    released_in_git(repo)
    (repo / "model.txt").write_text("weights v2\n")
    return repo


@pytest.mark.parametrize("argv", [["ls", "--json"], ["status", "--json"], ["check", "--json"],
                                  ["versions", "sentiment", "--json"], ["status", "sentiment", "--json"]])
def test_fast_and_typer_paths_print_the_same(released: Path, argv: list[str]) -> None:
    fast = gm(released, *argv)
    # a `--` makes the fast path decline, so Typer parses the same request
    typer_argv = [argv[0], *[a for a in argv[1:] if a.startswith("-")], "--",
                  *[a for a in argv[1:] if not a.startswith("-")]]
    slow = gm(released, *typer_argv)
    assert (fast.returncode, json.loads(fast.stdout)) == (slow.returncode, json.loads(slow.stdout))
    assert fast.returncode == (1 if argv[0] == "check" else 0)


def test_the_fast_path_imports_no_typer(released: Path) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitmodel", "versions", "sentiment"],
                          cwd=released, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "0.1.0" in proc.stdout
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert "gitmodel.repo.history" in imported
    assert not {m for m in imported if m.split(".")[0] in ("typer", "rich", "dvc", "git", "jsonschema")}


@pytest.mark.parametrize("argv", [["versions"], ["versions", "a", "b"], ["ls", "--help"], ["check", "--base", "x"],
                                  ["status", "--bogus"], ["tag", "x"], []])
def test_anything_unusual_goes_to_typer(argv: list[str]) -> None:
    assert run_fast(argv) is None


@pytest.mark.parametrize("argv", [["push"], ["push", "--json"], ["push", "sentiment", "--all-releases"]])
def test_push_fast_and_typer_paths_agree(released: Path, argv: list[str]) -> None:
    fast = gm(released, *argv)
    slow = gm(released, argv[0], *[a for a in argv[1:] if a.startswith("-")], "--",
              *[a for a in argv[1:] if not a.startswith("-")])
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    assert fast.returncode in (0, 2)
    assert fast.stdout or fast.stderr
