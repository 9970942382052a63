"""`python -m benchmarks` (`make bench`): build the fixtures, measure every figure, write RESULTS.md.
`--scale` (`make bench-scale`): the scale series instead, written to SCALE.md with its charts."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))  # the checkout under test, before any installed gitmodel

from benchmarks.figures import FIGURES, GROUPS  # noqa: E402
from benchmarks.harness import BenchError, Figure, render_results  # noqa: E402
from benchmarks.scale import Sizes  # noqa: E402
from benchmarks.scale_report import run_scale  # noqa: E402
from benchmarks.session import Context  # noqa: E402
from benchmarks.workspace import Workspace, make_writable  # noqa: E402
from gitmodel.infra.fileio import atomic_write  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", default=[],
                        help="run only figures whose key contains this text (repeatable), e.g. --only hook")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure after one warm-up (min 5)")
    parser.add_argument("--work", type=Path, default=HERE / ".work", help="where fixtures are generated")
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default benchmarks/RESULTS.md; with --only, benchmarks/RESULTS.partial.md, git-ignored)")
    parser.add_argument("--keep", action="store_true", help="keep the generated fixtures afterwards")
    parser.add_argument("--list", action="store_true", help="list the figure keys and exit")
    scale = parser.add_argument_group("scale series (make bench-scale), written to benchmarks/SCALE.md")
    scale.add_argument("--scale", action="store_true", help="run the scale series instead of the figures")
    scale.add_argument("--scale-models", type=sizes_list, default=Sizes.models, metavar="N,N,…",
                       help="model counts (default 100,1000,10000)")
    scale.add_argument("--scale-tags", type=sizes_list, default=Sizes.tags, metavar="N,N,…",
                       help="release-tag counts (default 1000,10000,100000)")
    scale.add_argument("--scale-diff", type=sizes_list, default=Sizes.diff, metavar="N,N,…",
                       help="changed-manifest counts for diff, each one of --scale-models (default 100,1000)")
    scale.add_argument("--gto-timeout", type=float, default=Sizes.gto_timeout,
                       help="seconds one `gto show` may take before it is killed and reported as timed out")
    scale.add_argument("--note", default="", help="a line on the conditions of the run, printed in SCALE.md")
    return parser.parse_args(argv)


def sizes_list(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated counts, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected positive counts, got {text!r}")
    return sizes


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for key, name, goal in FIGURES:
            print(f"{key:26} {goal:16} {name}")
        return 0
    runs = max(5, args.runs)
    work = args.work.resolve()
    if args.scale:
        sizes = Sizes(models=args.scale_models, tags=args.scale_tags, diff=args.scale_diff, runs=runs,
                      hook_runs=max(runs, Sizes.hook_runs), gto_timeout=args.gto_timeout)
        out = args.out or HERE / "SCALE.md"
        try:
            return run_scale(Workspace(work), sizes, out, charts_dir=out.parent / "charts", note=args.note, log=log)
        finally:
            if not args.keep and work.exists():
                make_writable(work)
                shutil.rmtree(work, ignore_errors=True)
    # a subset never overwrites RESULTS.md, and outlives the fixtures in .work/ (deleted below without --keep)
    out = args.out or (HERE / "RESULTS.partial.md" if args.only else HERE / "RESULTS.md")
    ctx = Context(Workspace(work), runs=runs, rows={key: Figure(name, goal) for key, name, goal in FIGURES})
    selected = [k for k, _, _ in FIGURES if not args.only or any(o in k for o in args.only)]
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    start = time.perf_counter()
    machine = ctx.ws.machine_line()
    log(machine)
    failures = 0
    try:
        for keys, group in GROUPS:
            wanted = [k for k in keys if k in selected]
            if not wanted:
                continue
            t0 = time.perf_counter()
            log(f"{', '.join(keys)} …")
            try:
                group(ctx)
            except BenchError as exc:
                failures += 1
                for key in keys:
                    if ctx.rows[key].verdict == "—":
                        ctx.rows[key].verdict = f"error: {exc}"
            except Exception as exc:  # noqa: BLE001 - one broken figure must not lose the others
                failures += 1
                traceback.print_exc()
                for key in keys:
                    if ctx.rows[key].verdict == "—":
                        ctx.rows[key].verdict = f"error: unexpected {type(exc).__name__}: {exc}"
            for key in keys:
                row = ctx.rows[key]
                log(f"  {key}: {row.gitmodel} vs {row.peer} → {row.ratio} [{row.verdict}] "
                    f"({time.perf_counter() - t0:.0f} s)")
    finally:
        rows = [ctx.rows[k] for k in selected]
        elapsed = time.perf_counter() - start
        atomic_write(out, render_results(machine, rows, started=started, elapsed=elapsed))
        log(f"wrote {out} in {elapsed:.0f} s")
        if not args.keep and work.exists():
            make_writable(work)
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
