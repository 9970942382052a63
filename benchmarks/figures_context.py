"""The context commands: `validate-input` of 1,000,000 JSONL rows (rows/s, peak RSS) and `env capture`
with ≥ 300 installed distributions (vs `pip list`)."""

from __future__ import annotations

import os
import shutil
import sys

from benchmarks.gen_samples import fake_distributions, samples_repo
from benchmarks.harness import (
    MIB,
    BenchError,
    Series,
    alternate,
    fmt_ratio,
    fmt_rss,
    fmt_series,
    time_ratio,
    verdict,
)
from benchmarks.session import Context, runs_label


def validate_input_figures(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("validate-input")
    if reason:
        ctx.unavailable(["validate-input", "validate-input-rss"], reason)
        return
    rows = 1_000_000
    root, sample = samples_repo(ws, rows)
    gm = Series("gitmodel validate-input")
    alternate([(gm, lambda: ws.run([*ws.gm, "validate-input", "scorer", sample], root))], ctx.runs)
    rate = rows / gm.median
    row = ctx.row("validate-input")
    row.gitmodel = f"{fmt_series(gm)} = {rate:,.0f} rows/s"
    row.verdict, row.runs = verdict(rate >= 20_000), runs_label(gm)
    row = ctx.row("validate-input-rss")
    row.gitmodel = fmt_rss(gm)
    row.verdict, row.runs = verdict(gm.rss_max < 150 * MIB), runs_label(gm)
    shutil.rmtree(root)


# -------------------------------------------------------------------------------------- env capture


def env_capture_figure(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("env", "capture")
    if reason:
        ctx.unavailable(["env-capture"], reason)
        return
    site, total = fake_distributions(ws, 300)
    extra = {"PYTHONPATH": ws.env["PYTHONPATH"] + os.pathsep + str(site)}
    seen = int(ws.sh([sys.executable, "-c", "import importlib.metadata as m; print(len(list(m.distributions())))"],
                     ws.root, extra_env=extra).strip())
    if seen < 300:
        raise BenchError(f"only {seen} distributions visible, wanted ≥ 300")
    root, _ = samples_repo(ws, rows=10)
    gm, peer = Series("gitmodel env capture"), Series("pip list")
    alternate([(gm, lambda: ws.run([*ws.gm, "env", "capture", "scorer"], root, extra_env=extra)),
               (peer, lambda: ws.run([sys.executable, "-m", "pip", "list", "--format=freeze",
                                      "--disable-pip-version-check"], root, extra_env=extra))], ctx.runs)
    row = ctx.row("env-capture")
    row.name = row.name.replace("≥ 300", f"{seen}")
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(time_ratio(gm, peer))}×"
    row.verdict, row.runs = verdict(gm.median <= 0.5), runs_label(gm)
    shutil.rmtree(root)
    shutil.rmtree(site)

