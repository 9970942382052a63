"""SCALE.md and its charts: the issue's goals as pass/FAIL rows at the largest size, then each series as a
table and an SVG of time against size (log-log), gitmodel beside its peer."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import (
    Figure,
    Series,
    figure_table,
    fmt_ratio,
    fmt_rss,
    fmt_series,
    speedup,
    time_ratio,
    verdict,
)
from benchmarks.scale import Point, ScaleRun, ScaleSeries, Sizes, measure
from benchmarks.workspace import Workspace
from gitmodel.infra.fileio import atomic_write
from gitmodel.review.tables import markdown_table


def runs_cell(point: Point) -> str:
    parts = [f"{len(point.gitmodel.seconds)}" if point.gitmodel else "0"]
    if point.peer is not None:
        parts.append(f"{len(point.peer.seconds)}")
    text = " / ".join(parts) + " + warm-up"
    if point.peer_warmup_only:
        text += " (peer: 1 run, its warm-up)"
    return text


def peer_cell(point: Point) -> str:
    if point.peer is None and point.peer_timed_out is not None:
        return f"> {point.peer_timed_out:.0f} s (timed out)"
    if point.peer is None:
        return "—"
    shown = fmt_series(point.peer)
    if point.peer_timed_out is not None:
        shown += f"; a later run passed {point.peer_timed_out:.0f} s and was killed"
    return shown


def ratio_cell(point: Point) -> str:
    if point.gitmodel is None:
        return "—"
    if point.peer is None and point.peer_timed_out is not None:
        return f"< {fmt_ratio(point.gitmodel.median / point.peer_timed_out)}×"
    if point.peer is None:
        return "—"
    return f"{fmt_ratio(time_ratio(point.gitmodel, point.peer))}×"


# ------------------------------------------------------------------------------------------- goals


def largest(series: ScaleSeries) -> Point | None:
    return max(series.points, key=lambda p: p.size) if series.points else None


def goal_rows(all_series: dict[str, ScaleSeries]) -> list[Figure]:
    """The issue's goals, judged at the largest size measured (10,000 models, 100,000 tags, 1,000 manifests)."""
    rows: list[Figure] = []

    def row(key: str, name: str, goal: str, limit: float, ratio_limit: float | None = None,
            speed: bool = False) -> None:
        point = largest(all_series[key])
        if point is None:
            rows.append(Figure(name.format(size="—"), goal, verdict="not measured"))
            return
        figure = Figure(name.format(size=f"{point.size:,}"), goal)
        rows.append(figure)
        if point.error or point.gitmodel is None:
            figure.verdict = f"error: {point.error or 'no samples'}"
            return
        mine = point.gitmodel
        figure.gitmodel, figure.peer, figure.runs = fmt_series(mine), peer_cell(point), runs_cell(point)
        ok = mine.median <= limit
        if point.peer is not None:
            figure.ratio = (f"speed {fmt_ratio(speedup(mine, point.peer))}×" if speed
                            else f"{fmt_ratio(time_ratio(mine, point.peer))}×")
            if ratio_limit is not None:
                ok = ok and time_ratio(mine, point.peer) <= ratio_limit
        elif point.peer_timed_out is not None:
            figure.ratio = ratio_cell(point)
        elif ratio_limit is not None:
            ok = False  # a ratio goal without its peer cannot pass
        figure.verdict = verdict(ok)

    for key in ("status", "ls", "check"):
        row(key, f"`{key}`, {{size}} models, nothing changed — vs `dvc status`", "≤ 1 s and time ≤ 0.2×", 1.0, 0.2)
    rows.append(rss_row(all_series["status"]))
    row("hook-unrelated", "hook cost per commit, {size} models, unrelated change — vs pre-commit framework's "
        "no-op hook cost", "≤ 50 ms and time ≤ 0.3×", 0.050, 0.3)
    row("hook-prompt", "hook cost per commit, {size} models, one prompt changed — peer: pre-commit no-op hook "
        "cost", "≤ 80 ms", 0.080)
    row("versions", "`versions NAME`, {size} release tags — peer: `gto show NAME`", "≤ 0.5 s", 0.5, speed=True)
    row("diff", "`diff A B --format markdown` over {size} changed manifests — peer: `git diff`", "≤ 2 s", 2.0)
    return rows


def rss_row(series: ScaleSeries) -> Figure:
    """Peak RSS of `status` at the largest size; the ratio is to its RSS at the smallest ("stays flat")."""
    point = largest(series)
    smallest = min(series.points, key=lambda p: p.size) if series.points else None
    if point is None or point.gitmodel is None or smallest is None or smallest.gitmodel is None:
        return Figure("peak RSS of `status`", "reported", verdict="not measured")
    figure = Figure(f"peak RSS of `status`, {point.size:,} models — peer: `dvc status`'s",
                    "reported beside the time (no numeric goal)", fmt_rss(point.gitmodel),
                    fmt_rss(point.peer) if point.peer else "—", runs=runs_cell(point))
    growth = point.gitmodel.rss_median / smallest.gitmodel.rss_median if smallest.gitmodel.rss_median else 0
    figure.ratio = f"{fmt_ratio(growth)}× its RSS at {smallest.size:,} models"
    figure.verdict = "reported"
    return figure


# ------------------------------------------------------------------------------------------ tables


def series_table(series: ScaleSeries) -> list[str]:
    header = [series.x_label, f"{series.gitmodel_label} median (min–max)", f"{series.peer_label} median (min–max)",
              "ratio (time)"]
    if series.rss:
        header += [f"{series.gitmodel_label} peak RSS", f"{series.peer_label} peak RSS"]
    header.append("runs")
    rows: list[list[str]] = []
    for point in sorted(series.points, key=lambda p: p.size):
        if point.error or point.gitmodel is None:
            rows.append([f"{point.size:,}", f"error: {point.error or 'no samples'}"] + [""] * (len(header) - 2))
            continue
        cells = [f"{point.size:,}", fmt_series(point.gitmodel), peer_cell(point), ratio_cell(point)]
        if series.rss:
            cells += [fmt_rss(point.gitmodel), fmt_rss(point.peer) if point.peer else "—"]
        cells.append(runs_cell(point))
        rows.append(cells)
    return markdown_table(header, rows)


def render_scale(machine: str, all_series: dict[str, ScaleSeries], *, started: str, elapsed: float,
                 note: str, notes: Sequence[str], charts: dict[str, str | None]) -> str:
    """SCALE.md: `charts` maps a series key to its SVG path relative to SCALE.md (None: not drawn, why in notes)."""
    lines = [
        "# gitmodel scale series",
        "",
        "Written by `make bench-scale` (`python -m benchmarks --scale`); do not edit by hand. The figures that",
        "grow with the repository, at each size beside their peer: medians with min–max over the timed runs",
        "(after an untimed warm-up), the sides alternating run by run. Ratio = gitmodel's median time ÷ the",
        "peer's. The goals are the issue's, judged at the largest size. See benchmarks/README.md.",
        "",
        f"**Machine:** {machine}",
        "",
        f"Run started {started}, took {elapsed:.0f} s.",
    ]
    if note:
        lines += ["", f"**Conditions:** {note}"]
    lines += ["", "## Goals", "", *figure_table(goal_rows(all_series)), "", "## Series", ""]
    for series in all_series.values():
        lines += [f"### {series.title}", "", *series_table(series), ""]
        chart = charts.get(series.key)
        if chart:
            lines += [f"![{series.key}: time against {series.x_label}]({chart})", ""]
    if notes:
        lines += ["## Notes", "", *(f"- {n}" for n in notes), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# ------------------------------------------------------------------------------------------ charts


def write_chart(series: ScaleSeries, path: Path) -> bool:
    """One SVG: median time (min–max as error bars) against size, both axes log-scaled, gitmodel beside its
    peer; a timed-out peer is a ▲ at the limit; the issue's goal a dashed line. False: nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = sorted((p for p in series.points if p.gitmodel is not None and not p.error), key=lambda p: p.size)
    if not points:
        return False
    plt.rcParams["svg.hashsalt"] = "gitmodel-bench"  # stable element ids: a rerun diffs only where numbers moved
    plt.rcParams["svg.fonttype"] = "none"  # text stays text (small, searchable), not glyph outlines
    fig, ax = plt.subplots(figsize=(6.4, 4.0))

    def draw(samples: list[tuple[int, Series]], label: str, style: str) -> None:
        if not samples:
            return
        xs = [x for x, _ in samples]
        med = [s.median for _, s in samples]
        err = [[s.median - s.low for _, s in samples], [s.high - s.median for _, s in samples]]
        ax.errorbar(xs, med, yerr=err, fmt=style, capsize=3, label=label)

    draw([(p.size, p.gitmodel) for p in points if p.gitmodel], series.gitmodel_label, "o-")
    draw([(p.size, p.peer) for p in points if p.peer], series.peer_label, "s--")
    timed_out = [(p.size, p.peer_timed_out) for p in points if p.peer is None and p.peer_timed_out]
    if timed_out:
        limits = sorted({f"{t:.0f} s" for _, t in timed_out})
        ax.plot([x for x, _ in timed_out], [t for _, t in timed_out], "^", color="C1",
                label=f"{series.peer_label}: timed out at {', '.join(limits)} (took longer)")
    if series.goal_seconds is not None:
        ax.axhline(series.goal_seconds, color="C2", linestyle=":",
                   label=f"goal ≤ {series.goal_seconds:g} s (at the largest size)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(series.x_label)
    ax.set_ylabel("seconds (median, min–max)")
    ax.set_title(series.title.replace("`", ""), fontsize=9, wrap=True)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return True


def write_charts(all_series: dict[str, ScaleSeries], charts_dir: Path, relative_to: Path,
                 notes: list[str]) -> dict[str, str | None]:
    """Every series' chart; without matplotlib (the `bench` extra) the tables stand alone and a note says so."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        notes.append("Charts not drawn: matplotlib is not installed (`pip install -e '.[bench]'`).")
        return {}
    written: dict[str, str | None] = {}
    for key, series in all_series.items():
        target = charts_dir / f"{key}.svg"
        written[key] = target.relative_to(relative_to).as_posix() if write_chart(series, target) else None
    return written


def run_scale(ws: Workspace, sizes: Sizes, out: Path, *, charts_dir: Path, note: str = "",
              log: Callable[[str], None] = print) -> int:
    """Measure every series, draw the charts, write `out` (SCALE.md). 1 if any size of any series errored."""
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    start = time.perf_counter()
    machine = ws.machine_line()
    log(machine)
    run = ScaleRun(ws, sizes, log)
    try:
        measure(run)
    finally:
        charts = write_charts(run.series, charts_dir, out.parent, run.notes)
        elapsed = time.perf_counter() - start
        atomic_write(out, render_scale(machine, run.series, started=started, elapsed=elapsed, note=note,
                                       notes=run.notes, charts=charts))
        log(f"wrote {out} and {len([c for c in charts.values() if c])} charts in {elapsed:.0f} s")
    return 1 if any(p.error for s in run.series.values() for p in s.points) else 0
