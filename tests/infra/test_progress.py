"""Progress as a callback: the domain reports (label, done, total); only gitmodel/cli/progress.py draws."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gitmodel.cli.progress import TerminalBars, progress_for
from gitmodel.storage import placement


def test_copying_reports_from_start_to_end_and_the_bar_goes_away(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"x" * (placement.CHUNK * 2 + 5)
    (tmp_path / "obj").write_bytes(data)
    monkeypatch.setattr(placement, "PROGRESS_THRESHOLD", 0)
    reports: list[tuple[str, int, int]] = []
    bars = TerminalBars()

    def both(label: str, done: int, total: int) -> None:
        reports.append((label, done, total))
        bars(label, done, total)

    assert placement.copy_hashing(tmp_path / "obj", tmp_path / "out", both) == hashlib.sha256(data).hexdigest()
    assert reports[0] == ("copying out", 0, len(data))
    assert reports[-1] == ("copying out", len(data), len(data))
    assert bars._bars is None  # the last report took the bar off the terminal


def test_small_files_and_no_watcher_report_nothing(tmp_path: Path) -> None:
    (tmp_path / "obj").write_bytes(b"small")
    reports: list[tuple[str, int, int]] = []
    placement.copy_hashing(tmp_path / "obj", tmp_path / "out", lambda *r: reports.append(r))
    assert reports == []  # under PROGRESS_THRESHOLD: a bar that flashes helps nobody
    with progress_for(json_out=True) as progress:
        assert progress is None  # stdout is JSON: nothing drawn
    with progress_for(json_out=False) as progress:
        assert progress is None  # pytest's stderr is not a terminal


def test_a_failed_operation_leaves_no_bar_behind() -> None:
    bars = TerminalBars()
    bars("fetching", 10, 100)
    assert bars._bars is not None
    bars.close()  # what progress_for does when the command raises half-way
    assert bars._bars is None


def test_check_and_bump_report_rehashing_to_the_callback(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The domain's long hashes reach the CLI's bars: check and bump pass their callback down to the hash cache
    that rehashes a changed file (over PROGRESS_THRESHOLD; the threshold is lowered so the file stays small).
    `add` takes the callback too; DVC-tracked files are hashed while DVC copies them, a pass with no report."""
    from gitmodel.gate.check import run_check
    from gitmodel.infra import hashing
    from gitmodel.workspace.edit import add_model, bump_model
    from gitmodel.workspace.init_repo import init_repo
    from tests.kit.files import write
    from tests.kit.git import git

    monkeypatch.setattr(hashing, "PROGRESS_THRESHOLD", 0)
    init_repo(repo, hooks=False, dvc=True)
    write(repo, "artifacts/model.bin", b"\x00weights" * 1000)
    seen: list[tuple[str, int, int]] = []

    def report(label: str, done: int, total: int) -> None:
        seen.append((label, done, total))

    add_model(repo, "sentiment", weights=["artifacts/model.bin"], progress=report)  # weights: stored by DVC
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add")
    write(repo, "artifacts/model.bin", b"\x01weights" * 1000)
    seen.clear()
    assert not run_check(repo, progress=report).ok  # the changed file is hashed (and refused) with a report
    assert ("hashing model.bin", 8000, 8000) in seen, seen
    seen.clear()
    bump_model(repo, "sentiment", progress=report)
    assert ("hashing model.bin", 8000, 8000) in seen, seen
