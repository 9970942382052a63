"""The registry and review views: `status` (vs `dvc status`), `versions` among 1,000 and 10,000 release tags
(vs `git for-each-ref`, `gto show`), and `diff` over 100 changed manifests (vs `git diff`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks import generators as gen
from benchmarks.gen_tags import tag_repo
from benchmarks.harness import (
    BenchError,
    Series,
    alternate,
    fmt_ratio,
    fmt_series,
    speedup,
    time_ratio,
    verdict,
)
from benchmarks.session import Context, runs_label
from benchmarks.workspace import Workspace, make_writable
from gitmodel.model.records import replace


def status_figures(ctx: Context) -> None:
    ws = ctx.ws
    repo = ctx.repo100()
    dvc = ws.need_tool("dvc")
    gm, peer = Series("gitmodel status"), Series("dvc status")
    alternate([(gm, lambda: ws.run([*ws.gm, "status"], repo)), (peer, lambda: ws.run([dvc, "status"], repo))],
              ctx.runs)
    ratio = time_ratio(gm, peer)
    row = ctx.row("status")
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(ratio)}×"
    row.verdict, row.runs = verdict(ratio <= 0.25), runs_label(gm)


MODEL = gen.model_name(42)
FOR_EACH_REF = ["git", "for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname) "
                "%(taggerdate:iso-strict) %(taggername) %(subject)", f"refs/tags/{MODEL}@*"]


def versions_figures(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("versions")
    if reason:
        ctx.unavailable(["versions-10k", "versions-1k"], reason)
        return
    repo = tag_repo(ws, "tags10k", tags=10_000)
    listed = ws.sh([*ws.gm, "versions", MODEL], repo.root)
    if "1.99.0" not in listed:
        raise BenchError(f"`gitmodel versions {MODEL}` at 10,000 tags does not list 1.99.0")
    gm, peer = Series("gitmodel versions"), Series("git for-each-ref")
    alternate([(gm, lambda: ws.run([*ws.gm, "versions", MODEL], repo.root)),
               (peer, lambda: ws.run(FOR_EACH_REF, repo.root))], ctx.runs)
    row = ctx.row("versions-10k")
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(time_ratio(gm, peer))}×"
    row.verdict, row.runs = verdict(gm.median <= 0.3), runs_label(gm)
    shutil.rmtree(repo.root)

    gto = ws.need_tool("gto")
    repo = tag_repo(ws, "tags1k", tags=1_000)
    if "v1.9.0" not in ws.sh([gto, "show", MODEL], repo.root):
        raise BenchError(f"`gto show {MODEL}` does not list v1.9.0 on the generated repo")
    gm, peer = Series("gitmodel versions"), Series("gto show")
    # gto takes ~7 s a run at 1,000 tags: exactly 5 timed runs, whatever --runs says.
    alternate([(gm, lambda: ws.run([*ws.gm, "versions", MODEL], repo.root)),
               (peer, lambda: ws.run([gto, "show", MODEL], repo.root))], 5)
    s = speedup(gm, peer)
    row = ctx.row("versions-1k")
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"speed {fmt_ratio(s)}×"
    row.verdict, row.runs = verdict(s >= 50), runs_label(gm)
    shutil.rmtree(repo.root)



def diff_figure(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("diff")
    if reason:
        ctx.unavailable(["diff"], reason)
        return
    root = gen.copy_repo(ws, ctx.repo100(), "diff100")
    argv = change_every_model(ws, root, 100)
    gm, peer = Series("gitmodel diff"), Series("git diff")
    alternate([(gm, lambda: ws.run(argv, root, allowed=(0, 1))),
               (peer, lambda: ws.run(["git", "diff", "HEAD~1", "HEAD", "--", "models"], root))], ctx.runs)
    row = ctx.row("diff")
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(time_ratio(gm, peer))}×"
    row.verdict, row.runs = verdict(gm.median <= 1.0), runs_label(gm)
    make_writable(root)
    shutil.rmtree(root)


def change_every_model(ws: Workspace, root: Path, models: int) -> list[str]:
    """Commit a new prompt, params, metrics and version for each of `models` models; the diff argv to time.

    Checks the fixture: exactly `models` manifests changed, and gitmodel's diff names the last of them."""
    import hashlib

    from gitmodel.model import manifest as mf

    for i in range(models):
        name = gen.model_name(i)
        rel = f"prompts/{name}/system.txt"
        data = f"You are model {name}, second revision: answer in one word.\n".encode()
        (root / rel).write_bytes(data)
        path = root / "models" / f"{name}.yaml"
        current = mf.load(path)
        entry = replace(current.prompts[0], sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        mf.save(replace(current, version="1.1.0", prompts=(entry,), params={"learning_rate": 0.0005, "epochs": 3},
                        metrics={"accuracy": 0.91, "f1": 0.87}), path)
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", f"{models} changed models")
    changed = ws.git(root, "diff", "--name-only", "HEAD~1", "HEAD", "--", "models").split()
    if len(changed) != models:
        raise BenchError(f"diff fixture changed {len(changed)} manifests, wanted {models}")
    argv = [*ws.gm, "diff", "HEAD~1", "HEAD", "--format", "markdown"]
    first = ws.sh(argv, root)
    if gen.model_name(models - 1) not in first:
        raise BenchError("`gitmodel diff HEAD~1 HEAD --format markdown` does not mention every changed model")
    return argv

