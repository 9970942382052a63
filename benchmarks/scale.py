"""The scale series (`python -m benchmarks --scale`, issue "Scale"): the figures that grow with the repo,
measured at 100, 1,000 and 10,000 models and 1,000, 10,000 and 100,000 release tags, each beside its peer
in one alternating run, then written as SCALE.md with one chart per series (benchmarks/scale_report.py)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import generators as gen
from benchmarks.figures_hooks import commit_sides, hook_cost, hook_repos, time_sides
from benchmarks.figures_views import change_every_model
from benchmarks.gen_tags import tag_repo
from benchmarks.harness import BenchError, Run, Series, alternate, run_bounded
from benchmarks.workspace import Workspace, remove_tree


@dataclass(frozen=True)
class Sizes:
    """What the series measure at; the smoke test passes tiny ones."""

    models: tuple[int, ...] = (100, 1_000, 10_000)
    tags: tuple[int, ...] = (1_000, 10_000, 100_000)
    diff: tuple[int, ...] = (100, 1_000)       # changed manifests, each in the repo of that many models
    dvc_models: int = 20
    runs: int = 5
    hook_runs: int = 25                        # the figure is a difference of two commits whose times each vary
                                               # by ±30 ms on a shared VM: 10 runs left its median ±10 ms
    gto_timeout: float = 120.0                 # one `gto show` run longer than this is killed and reported as such
    warmup: int = 1


@dataclass
class Point:
    """One size of one series: gitmodel's samples and the peer's (None: not measured, see `note`)."""

    size: int
    gitmodel: Series | None = None
    peer: Series | None = None
    peer_timed_out: float | None = None        # the peer ran past this many seconds and was killed
    peer_warmup_only: bool = False             # the peer was too slow to repeat: its warm-up is its one sample
    error: str | None = None


@dataclass
class ScaleSeries:
    key: str                                   # charts/<key>.svg
    title: str
    x_label: str                               # "models", "release tags", "changed manifests"
    gitmodel_label: str
    peer_label: str
    goal_seconds: float | None = None          # the absolute goal at the largest size, drawn on the chart
    points: list[Point] = field(default_factory=list)
    rss: bool = False                          # show peak RSS beside the time

    def point(self, size: int) -> Point:
        for p in self.points:
            if p.size == size:
                return p
        p = Point(size)
        self.points.append(p)
        return p


def new_series() -> dict[str, ScaleSeries]:
    series = [
        ScaleSeries("status", "`gitmodel status`, nothing changed — vs `dvc status`", "models", "gitmodel status",
                    "dvc status", 1.0, rss=True),
        ScaleSeries("ls", "`gitmodel ls` — vs `dvc status`", "models", "gitmodel ls", "dvc status", 1.0),
        ScaleSeries("check", "`gitmodel check` — vs `dvc status`", "models", "gitmodel check", "dvc status", 1.0),
        ScaleSeries("hook-unrelated", "hook cost per commit (hook − `--no-verify`), unrelated change — vs the "
                    "pre-commit framework's no-op hook cost", "models", "gitmodel hook", "pre-commit no-op", 0.05),
        ScaleSeries("hook-prompt", "hook cost per commit, one prompt changed (manifest updated with it) — vs the "
                    "pre-commit framework's no-op hook cost", "models", "gitmodel hook", "pre-commit no-op", 0.08),
        ScaleSeries("diff", "`diff HEAD~1 HEAD --format markdown`, every manifest changed — peer: `git diff` of "
                    "the manifests", "changed manifests", "gitmodel diff", "git diff", 2.0),
        ScaleSeries("versions", "`versions NAME` — vs `gto show NAME`", "release tags", "gitmodel versions",
                    "gto show", 0.5),
        ScaleSeries("stages", "`stages NAME` — vs `gto show NAME`", "release tags", "gitmodel stages", "gto show"),
    ]
    return {s.key: s for s in series}


@dataclass
class ScaleRun:
    ws: Workspace
    sizes: Sizes
    log: Callable[[str], None]
    series: dict[str, ScaleSeries] = field(default_factory=new_series)
    notes: list[str] = field(default_factory=list)  # generator times and anything a reader should know

    def fail(self, keys: list[str], size: int, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, BenchError) else f"unexpected {type(exc).__name__}: {exc}"
        self.log(f"  error at {size:,}: {message}")
        for key in keys:
            self.series[key].point(size).error = message


MODEL_KEYS = ["status", "ls", "check"]
HOOK_KEYS = ["hook-unrelated", "hook-prompt"]


def measure(run: ScaleRun) -> None:
    """Every series at every size; a failure at one size is that size's error, the others still run."""
    for models in run.sizes.models:
        started = time.perf_counter()
        try:
            root = gen.model_repo(run.ws, f"scale{models}", models=models,
                                  dvc_models=min(run.sizes.dvc_models, models), durable=False)
        except Exception as exc:  # noqa: BLE001 - one size must not lose the others
            run.fail(MODEL_KEYS + HOOK_KEYS + (["diff"] if models in run.sizes.diff else []), models, exc)
            continue
        took = time.perf_counter() - started
        run.notes.append(f"{models:,}-model repo generated in {took:.0f} s (with its `gitmodel check`).")
        run.log(f"{models:,} models generated in {took:.0f} s")
        for keys, group in ((MODEL_KEYS, model_commands), (HOOK_KEYS, hooks), (["diff"], diff)):
            if keys == ["diff"] and models not in run.sizes.diff:
                continue
            try:
                group(run, root, models)
            except Exception as exc:  # noqa: BLE001
                run.fail(keys, models, exc)
        remove_tree(root)
    for tags in run.sizes.tags:
        try:
            tag_series(run, tags)
        except Exception as exc:  # noqa: BLE001
            run.fail(["versions", "stages"], tags, exc)


def model_commands(run: ScaleRun, root: Path, models: int) -> None:
    """status, ls and check, and `dvc status` once for all three: four sides alternating in one loop."""
    ws = run.ws
    dvc = ws.need_tool("dvc")
    sides = {key: Series(f"gitmodel {key}") for key in MODEL_KEYS}
    peer = Series("dvc status")
    alternate([*((s, lambda key=key: ws.run([*ws.gm, key], root)) for key, s in sides.items()),
               (peer, lambda: ws.run([dvc, "status"], root))], run.sizes.runs, warmup=run.sizes.warmup)
    for key, s in sides.items():
        point = run.series[key].point(models)
        point.gitmodel, point.peer = s, peer
    run.log(f"  {models:,} models: status {sides['status'].median:.2f} s, ls {sides['ls'].median:.2f} s, "
            f"check {sides['check'].median:.2f} s, dvc status {peer.median:.2f} s")


def hooks(run: ScaleRun, root: Path, models: int) -> None:
    """Hook cost (commit with the hook − `--no-verify`) on an unrelated and a one-prompt change, and the
    pre-commit framework's no-op hook cost, on copies of the same repo, all sides alternating."""
    ws = run.ws
    pre_commit = ws.need_tool("pre-commit")
    gm_repo, pc_repo = hook_repos(ws, root, f"scale{models}-hook", pre_commit, models)
    samples = time_sides(commit_sides(ws, gm_repo, pc_repo, models), run.sizes.hook_runs, warmup=run.sizes.warmup)
    noop = hook_cost(samples, "pc", "pre-commit no-op")
    costs = {}
    for key, kind in (("hook-unrelated", "unrelated"), ("hook-prompt", "prompt")):
        point = run.series[key].point(models)
        point.gitmodel = hook_cost(samples, f"gm {kind}", key)
        point.peer = noop
        costs[kind] = point.gitmodel.median * 1000
    run.log(f"  {models:,} models: hook unrelated {costs['unrelated']:.0f} ms, prompt {costs['prompt']:.0f} ms, "
            f"pre-commit no-op {noop.median * 1000:.0f} ms")
    remove_tree(gm_repo)
    remove_tree(pc_repo)


def diff(run: ScaleRun, root: Path, models: int) -> None:
    ws = run.ws
    copy = gen.copy_repo(ws, root, f"scale{models}-diff")
    argv = change_every_model(ws, copy, models)
    gm, peer = Series("gitmodel diff"), Series("git diff")
    alternate([(gm, lambda: ws.run(argv, copy, allowed=(0, 1))),
               (peer, lambda: ws.run(["git", "diff", "HEAD~1", "HEAD", "--", "models"], copy))], run.sizes.runs,
              warmup=run.sizes.warmup)
    point = run.series["diff"].point(models)
    point.gitmodel, point.peer = gm, peer
    run.log(f"  diff over {models:,} manifests: {gm.median:.2f} s")
    remove_tree(copy)


# --------------------------------------------------------------------------------------------- tags


def tag_models(tags: int) -> int:
    """100 models from 1,000 tags up (as the `versions` figures), fewer for the smoke test's tiny sizes."""
    return 100 if tags >= 1_000 else max(1, tags // 2)


def tag_series(run: ScaleRun, tags: int) -> None:
    """`versions` and `stages` of one model among `tags` release tags, beside `gto show` of it.

    The model gets two stage events (`gitmodel promote`, untimed) so `stages` has something to show. gto is
    bounded: a first run (the warm-up) that passes `gto_timeout` is killed and reported as timed out; one
    slower than 10 s gets 3 timed runs, one slower than a third of the timeout is its own only sample.
    """
    ws = run.ws
    models = tag_models(tags)
    started = time.perf_counter()
    repo = tag_repo(ws, f"scale-tags{tags}", tags=tags, models=models)
    name = gen.model_name(min(42, models - 1))
    last = tags // models - 1
    ws.sh([*ws.gm, "promote", f"{name}@v1.{last}.0", "prod"], repo.root)
    if last:
        ws.sh([*ws.gm, "promote", f"{name}@v1.{last - 1}.0", "staging"], repo.root)
    took = time.perf_counter() - started
    run.notes.append(f"{tags:,} release tags over {models} models generated in {took:.0f} s.")
    run.log(f"{tags:,} tags generated in {took:.0f} s")
    if f"1.{last}.0" not in ws.sh([*ws.gm, "versions", name], repo.root):
        raise BenchError(f"`gitmodel versions {name}` does not list 1.{last}.0")
    if "prod" not in ws.sh([*ws.gm, "stages", name], repo.root):
        raise BenchError(f"`gitmodel stages {name}` does not show prod")
    gto = ws.need_tool("gto")
    versions, stages = Series("gitmodel versions"), Series("gitmodel stages")
    peer = Series("gto show")
    gm_sides: list[tuple[Series, Callable[[], Run]]] = [
        (versions, lambda: ws.run([*ws.gm, "versions", name], repo.root)),
        (stages, lambda: ws.run([*ws.gm, "stages", name], repo.root)),
    ]
    timeout = run.sizes.gto_timeout

    def gto_run() -> Run | None:
        return run_bounded([gto, "show", name], cwd=repo.root, env=ws.env, timeout=timeout)

    timed_out: float | None = None
    probe_is_sample = False
    probe = gto_run()  # gto's warm-up, and the measure of how many runs it can have
    if probe is None:
        timed_out, gto_runs = timeout, 0
    elif probe.seconds > timeout / 3:
        peer.add(probe)  # too slow to repeat: its warm-up is its one sample (said in the runs column)
        gto_runs, probe_is_sample = 0, True
    else:
        gto_runs = run.sizes.runs if probe.seconds <= 10 else min(3, run.sizes.runs)
    for _ in range(run.sizes.warmup):
        for _, action in gm_sides:
            action()
    for i in range(run.sizes.runs):
        order: list[tuple[Series, Callable[[], Run | None]]] = list(gm_sides)
        if i < gto_runs:
            order.append((peer, gto_run))
        for series, action in order if i % 2 == 0 else reversed(order):
            result = action()
            if result is None:  # a later gto run passed the limit: report what was measured, and that
                timed_out, gto_runs = timeout, 0
                continue
            series.add(result)
    for key, mine in (("versions", versions), ("stages", stages)):
        point = run.series[key].point(tags)
        point.gitmodel = mine
        point.peer = peer if peer.seconds else None
        point.peer_timed_out = timed_out
        point.peer_warmup_only = probe_is_sample
    shown = f"> {timeout:.0f} s (timed out)" if timed_out and not peer.seconds else \
        f"{peer.median:.2f} s" if peer.seconds else "—"
    run.log(f"  {tags:,} tags: versions {versions.median * 1000:.0f} ms, stages {stages.median * 1000:.0f} ms, "
            f"gto show {shown}")
    shutil.rmtree(repo.root)
