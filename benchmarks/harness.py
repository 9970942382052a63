"""Measurement: subprocess runs timed with perf_counter, peak RSS from wait4, A/B alternation, statistics."""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitmodel.review.tables import markdown_table

MIB = 1024 * 1024


class BenchError(RuntimeError):
    """A measured command failed or a generator could not build its fixture: the figure reports it."""


@dataclass(frozen=True)
class Run:
    seconds: float
    maxrss_bytes: int
    returncode: int


@dataclass
class Series:
    """The samples of one side (gitmodel or a peer) of one figure."""

    label: str
    seconds: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.seconds.append(run.seconds)
        self.rss.append(run.maxrss_bytes)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def low(self) -> float:
        return min(self.seconds)

    @property
    def high(self) -> float:
        return max(self.seconds)

    @property
    def rss_median(self) -> float:
        return statistics.median(self.rss) if self.rss else 0.0

    @property
    def rss_max(self) -> int:
        return max(self.rss) if self.rss else 0


SPAWN = Path(__file__).resolve().parent / "_spawn.py"


def run_process(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdin: bytes | None = None,
                allowed: Sequence[int] = (0,)) -> Run:
    """Run argv once: wall time from spawn to reap, and the peak RSS of it and its reaped descendants.

    A small launcher (`_spawn.py`) forks the command and reads `os.wait4`'s rusage: Linux folds the
    maximum RSS of the child's own waited-for children into it, so a `git commit` that runs a hook
    reports the larger of git and the hook. The launcher's own start-up is not in the time.
    """
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        result = Path(scratch) / "result"
        out_path, err_path = Path(scratch) / "stdout", Path(scratch) / "stderr"
        stdin_path = Path(scratch) / "stdin"
        stdin_path.write_bytes(stdin or b"")
        with open(out_path, "wb") as out, open(err_path, "wb") as errf, open(stdin_path, "rb") as inp:
            proc = subprocess.run([sys.executable, "-I", "-S", str(SPAWN), str(result), "--", *argv], cwd=cwd,
                                  env=dict(env), stdout=out, stderr=errf, stdin=inp, check=False)
        if proc.returncode != 0 or not result.exists():
            raise BenchError(f"launcher failed for {argv[0]}: {err_path.read_text(errors='replace')[-300:]}")
        seconds, maxrss_kib, code = result.read_text().split()
        if int(code) not in allowed:
            tail = err_path.read_text(errors="replace").strip() or out_path.read_text(errors="replace").strip()
            last = tail.splitlines()[-1] if tail else ""
            shown = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(argv))
            raise BenchError(f"`{shown[:200]}` exited {code}: {last[:300]}")
        return Run(float(seconds), int(maxrss_kib) * 1024, int(code))


def run_bounded(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float) -> Run | None:
    """`run_process` with a time limit: None when the command ran past `timeout` seconds (then killed).

    The launcher and the command run in their own session, so the kill reaches the command too. A command
    that finishes but fails is a BenchError, as in `run_process`.
    """
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        result = Path(scratch) / "result"
        err_path = Path(scratch) / "stderr"
        with open(err_path, "wb") as errf:
            proc = subprocess.Popen([sys.executable, "-I", "-S", str(SPAWN), str(result), "--", *argv], cwd=cwd,
                                    env=dict(env), stdout=subprocess.DEVNULL, stderr=errf,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return None
        if proc.returncode != 0 or not result.exists():
            raise BenchError(f"launcher failed for {argv[0]}: {err_path.read_text(errors='replace')[-300:]}")
        seconds, maxrss_kib, code = result.read_text().split()
        if int(code) != 0:
            tail = err_path.read_text(errors="replace").strip().splitlines()
            raise BenchError(f"`{Path(argv[0]).name} {' '.join(argv[1:])[:200]}` exited {code}: "
                             f"{tail[-1][:300] if tail else ''}")
        return Run(float(seconds), int(maxrss_kib) * 1024, int(code))


def time_call(fn: Callable[[], object]) -> Run:
    """Wall time of an in-process call (no RSS: the harness's own memory would be counted)."""
    start = time.perf_counter()
    fn()
    return Run(time.perf_counter() - start, 0, 0)


def alternate(sides: Sequence[tuple[Series, Callable[[], Run]]], runs: int, *, warmup: int = 1,
              before_each: Callable[[str], None] | None = None) -> None:
    """Warm up every side, then run them in turn (A B A B …) so drift in load hits all sides alike.

    `before_each(label)` runs untimed before every run, warm-up included (to reset state a run changed).
    Dirty pages are flushed (os.sync, untimed) before every run: neither gitmodel nor its peers fsync
    bulk data, so without this a run would pay for writing back what the run before it wrote.
    """
    for _ in range(warmup):
        for series, action in sides:
            if before_each:
                before_each(series.label)
            os.sync()
            action()
    for i in range(runs):
        # Alternate the order too (A B, B A, …): a side never always goes first after a reset.
        order = sides if i % 2 == 0 else list(reversed(sides))
        for series, action in order:
            if before_each:
                before_each(series.label)
            os.sync()
            series.add(action())


def paired_differences(with_: Series, without: Series, label: str) -> Series:
    """Per-run difference (e.g. commit with the hook minus commit with --no-verify), run i with run i."""
    diff = Series(label)
    diff.seconds = [a - b for a, b in zip(with_.seconds, without.seconds, strict=True)]
    diff.rss = list(with_.rss)
    return diff


# ------------------------------------------------------------------------------------------ reporting


@dataclass
class Figure:
    """One row of RESULTS.md."""

    name: str
    goal: str
    gitmodel: str = "—"
    peer: str = "—"
    ratio: str = "—"
    verdict: str = "—"  # pass | FAIL | not available: <reason> | error: <reason>
    runs: str = ""


def fmt_seconds(seconds: float) -> str:
    if abs(seconds) < 1.0:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_series(series: Series) -> str:
    return f"{fmt_seconds(series.median)} ({fmt_seconds(series.low)}–{fmt_seconds(series.high)})"


def fmt_mib(value: float) -> str:
    return f"{value / MIB:.0f} MiB"


def fmt_rss(series: Series) -> str:
    return f"{fmt_mib(statistics.median(series.rss))} ({fmt_mib(min(series.rss))}–{fmt_mib(max(series.rss))})"


def time_ratio(gitmodel: Series, peer: Series) -> float:
    """gitmodel's median time over the peer's: below 1 means gitmodel is faster."""
    if peer.median <= 0:
        return float("inf")
    return gitmodel.median / peer.median


def speedup(gitmodel: Series, peer: Series) -> float:
    """How many times faster gitmodel is than the peer (peer median time over gitmodel's)."""
    if gitmodel.median <= 0:
        return float("inf")
    return peer.median / gitmodel.median


def fmt_ratio(value: float) -> str:
    """Four significant digits (0.8977×, 1.245×, 18.34×): a near miss must not print as its goal."""
    if value == float("inf"):
        return "∞"
    if 0 < value < 0.001:
        return f"1/{1 / value:,.0f}"
    return f"{value:.4g}" if value < 1000 else f"{value:,.0f}"


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def render_results(machine: str, figures: Sequence[Figure], *, started: str, elapsed: float) -> str:
    lines = [
        "# gitmodel benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks`); do not edit by hand. Medians with min–max over the",
        "timed runs (after one untimed warm-up); each figure's sides alternate run by run in one process.",
        "Ratios: `×` time = gitmodel's median time ÷ the peer's (lower is better); `speed` = the peer's",
        "median time ÷ gitmodel's (higher is better). See benchmarks/README.md for what each figure measures.",
        "",
        f"**Machine:** {machine}",
        "",
        f"Run started {started}, took {elapsed:.0f} s.",
        "",
        *figure_table(figures),
        "",
        "The scale series (100 to 10,000 models, 1,000 to 100,000 tags) is in [SCALE.md](SCALE.md)"
        " (`make bench-scale`).",
    ]
    return "\n".join(lines) + "\n"


def figure_table(figures: Sequence[Figure]) -> list[str]:
    """The goal table RESULTS.md and SCALE.md share: one row per figure, verdict beside its goal."""
    return markdown_table(["figure", "gitmodel median (min–max)", "peer median (min–max)", "ratio", "goal", "result",
                           "runs"], [[f.name, f.gitmodel, f.peer, f.ratio, f.goal, f.verdict, f.runs] for f in figures])
