"""The benchmark harness's arithmetic and formatting on fake samples (no timing is asserted here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.harness import (
    BenchError,
    Figure,
    Run,
    Series,
    alternate,
    fmt_ratio,
    fmt_rss,
    fmt_seconds,
    fmt_series,
    paired_differences,
    render_results,
    run_process,
    speedup,
    time_ratio,
)
from gitmodel.infra.fileio import atomic_write


def series(label: str, seconds: list[float], rss: list[int] | None = None) -> Series:
    s = Series(label)
    s.seconds = list(seconds)
    s.rss = list(rss or [0] * len(seconds))
    return s


def test_median_and_range_of_odd_and_even_sample_counts() -> None:
    odd = series("a", [0.5, 0.1, 0.3, 0.9, 0.2])
    assert odd.median == 0.3
    assert (odd.low, odd.high) == (0.1, 0.9)
    even = series("b", [4.0, 1.0, 3.0, 2.0])
    assert even.median == 2.5


def test_time_ratio_and_speedup_use_medians() -> None:
    gm = series("gm", [0.10, 0.20, 0.30, 5.0, 0.05])  # median 0.2, one outlier ignored
    peer = series("peer", [0.8, 0.8, 0.9, 0.7, 0.8])  # median 0.8
    assert time_ratio(gm, peer) == pytest.approx(0.25)
    assert speedup(gm, peer) == pytest.approx(4.0)


def test_paired_differences_subtract_run_by_run() -> None:
    hooked = series("hook", [0.30, 0.25, 0.40])
    bare = series("no-verify", [0.10, 0.05, 0.15])
    cost = paired_differences(hooked, bare, "cost")
    assert cost.seconds == pytest.approx([0.20, 0.20, 0.25])
    assert cost.median == pytest.approx(0.20)
    with pytest.raises(ValueError, match="shorter|longer"):
        paired_differences(hooked, series("short", [0.1]), "bad")


def test_formatting_picks_units() -> None:
    assert fmt_seconds(0.0123) == "12.3 ms"
    assert fmt_seconds(2.5) == "2.50 s"
    assert fmt_series(series("x", [0.25, 0.2, 1.5])) == "250.0 ms (200.0 ms–1.50 s)"
    assert fmt_rss(series("x", [1, 1, 1], [10 << 20, 30 << 20, 20 << 20])) == "20 MiB (10 MiB–30 MiB)"


def test_ratio_never_rounds_onto_its_goal() -> None:
    assert fmt_ratio(0.89771) == "0.8977"  # would print 0.90 against a ≥ 0.9 goal it fails
    assert fmt_ratio(0.60004) == "0.6"  # the limit of any rounding: the verdict compares raw values
    assert fmt_ratio(1.2449) == "1.245"
    assert fmt_ratio(18.344) == "18.34"
    assert fmt_ratio(1234.5) == "1,234"
    assert fmt_ratio(0.00007) == "1/14,286"


def test_alternate_warms_up_then_alternates_order() -> None:
    calls: list[str] = []
    a, b = Series("a"), Series("b")

    def action(label: str) -> Run:
        calls.append(label)
        return Run(len(calls) / 1000, 0, 0)

    resets: list[str] = []
    alternate([(a, lambda: action("a")), (b, lambda: action("b"))], 3, before_each=resets.append)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then A B, B A, A B
    assert resets == calls  # every run, warm-up included, is preceded by its reset
    assert len(a.seconds) == len(b.seconds) == 3  # the warm-up is not recorded


def test_render_results_has_machine_line_and_one_row_per_figure() -> None:
    rows = [Figure("status | pipes", "time ≤ 0.25×", "1 s", "2 s", "0.50×", "FAIL", "5 + 1 warm-up"),
            Figure("push", "time ≤ 1.2×", verdict="not available: `gitmodel push` does not exist")]
    text = render_results("CPU X, 2 cores", rows, started="2026-01-01 00:00 UTC", elapsed=12.0)
    lines = text.splitlines()
    assert "**Machine:** CPU X, 2 cores" in lines
    table = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert len(table) == 3  # header + two figures
    assert "status \\| pipes" in table[1]  # a pipe in a cell cannot break the table
    assert table[2].count("|") == 8


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "RESULTS.md"
    target.write_text("old\n")
    atomic_write(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]  # no temp file left behind


def test_drop_local_copies_removes_a_read_only_cache_and_the_named_files(tmp_path: Path) -> None:
    from benchmarks.workspace import drop_local_copies

    objects = tmp_path / ".dvc" / "cache" / "files" / "md5" / "ab"
    objects.mkdir(parents=True)
    (objects / "cdef").write_bytes(b"x")
    (objects / "cdef").chmod(0o444)
    objects.chmod(0o555)  # as DVC leaves its cache
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "big.bin").write_bytes(b"y")
    (tmp_path / "artifacts" / "kept.bin").write_bytes(b"z")
    drop_local_copies(tmp_path, "artifacts/big.bin", "artifacts/never-there.bin")
    assert not (tmp_path / ".dvc" / "cache").exists()
    assert sorted(p.name for p in (tmp_path / "artifacts").iterdir()) == ["kept.bin"]
    drop_local_copies(tmp_path)  # nothing left to drop: no error


def test_run_process_reports_exit_code_and_peak_rss(tmp_path: Path) -> None:
    # A child that allocates ~64 MiB must report at least that much peak RSS through wait4.
    run = run_process([sys.executable, "-c", "b = bytearray(64 << 20); b[::4096] = b'x' * (len(b) // 4096)"],
                      cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0
    assert run.maxrss_bytes >= 64 << 20
    with pytest.raises(BenchError, match="exited 3"):
        run_process([sys.executable, "-c", "import sys; sys.exit(3)"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert run_process([sys.executable, "-c", "import sys; sys.exit(1)"], cwd=tmp_path,
                       env={"PATH": "/usr/bin:/bin"}, allowed=(0, 1)).returncode == 1


@pytest.mark.slow
def test_scale_series_runs_at_a_tiny_size_and_writes_its_tables_and_charts(tmp_path: Path) -> None:
    """The scale machinery end to end (real git, DVC, gto, pre-commit) at 3 and 5 models and 10 tags:
    every series gets a point per size, SCALE.md a goal row per goal and a table per series, and an SVG
    is drawn per series. Nothing about the times is asserted."""
    import importlib.util

    from benchmarks.scale import Sizes
    from benchmarks.scale_report import run_scale
    from benchmarks.workspace import Workspace

    sizes = Sizes(models=(3, 5), tags=(10,), diff=(5,), dvc_models=1, runs=1, hook_runs=1, warmup=0,
                  gto_timeout=60)
    out = tmp_path / "out" / "SCALE.md"
    lines: list[str] = []
    code = run_scale(Workspace(tmp_path / "work"), sizes, out, charts_dir=out.parent / "charts",
                     note="smoke test", log=lines.append)
    text = out.read_text()
    assert code == 0, text
    assert "error" not in text
    assert "**Conditions:** smoke test" in text
    goals = [line for line in text.split("## Series")[0].splitlines() if line.startswith("| ") and "---" not in line]
    assert len(goals) == 1 + 8  # header; status, ls, check, status RSS, hook ×2, versions, diff
    assert all(cell in text for cell in ("`status`, 5 models", "`versions NAME`, 10 release tags",
                                         "over 5 changed manifests"))
    keys = ("status", "ls", "check", "hook-unrelated", "hook-prompt", "diff", "versions", "stages")
    if importlib.util.find_spec("matplotlib") is None:  # the `bench` extra is not installed: tables only, said so
        assert "Charts not drawn: matplotlib is not installed" in text
        assert not (out.parent / "charts").exists()
    else:
        for key in keys:
            svg = (out.parent / "charts" / f"{key}.svg").read_text()
            assert svg.lstrip().startswith("<?xml"), key
            assert "<svg" in svg, key
            assert f"](charts/{key}.svg)" in text
    status_table = text.split("### `gitmodel status`")[1].split("###")[0]
    assert [row.split(" | ")[0] for row in status_table.splitlines() if row.startswith("| ") and "---" not in row][1:] \
        == ["| 3", "| 5"]
    assert "MiB" in status_table  # peak RSS beside the time


def test_run_bounded_kills_a_command_past_its_limit_and_reports_one_within_it(tmp_path: Path) -> None:
    from benchmarks.harness import run_bounded

    env = {"PATH": "/usr/bin:/bin"}
    marker = tmp_path / "survived"
    script = f"import time, pathlib; time.sleep(30); pathlib.Path({str(marker)!r}).touch()"
    assert run_bounded([sys.executable, "-c", script], cwd=tmp_path, env=env, timeout=0.5) is None
    done = run_bounded([sys.executable, "-c", "pass"], cwd=tmp_path, env=env, timeout=60)
    assert done is not None
    assert done.returncode == 0
    with pytest.raises(BenchError, match="exited 2"):
        run_bounded([sys.executable, "-c", "import sys; sys.exit(2)"], cwd=tmp_path, env=env, timeout=60)
    import subprocess

    leftover = subprocess.run(["pgrep", "-f", str(marker)], capture_output=True, text=True).stdout.split()
    assert leftover == []  # the killed command is gone, not orphaned behind its launcher
    assert not marker.exists()
