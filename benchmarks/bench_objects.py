"""`check --base REV --verify-objects` (CI) on a change that pins 1 GiB of DVC weights, against `dvc pull`
of the same objects from the same local remote, alternated in one run.

Both sides start cold: gitmodel downloads into its own scratch directory every time (it never uses the
DVC cache), and before each `dvc pull` the cache and the workspace file are removed. gitmodel's side
also runs the gate and hashes each object with sha256 (md5 only to explain a mismatch); `dvc pull`
copies into the cache and again into the workspace and hashes nothing. Reported: seconds per GiB each
side. The issue sets no goal; ≤ 1.5× is ours.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import generators as gen
from benchmarks.harness import BenchError, Run, Series, alternate, fmt_ratio, fmt_series, time_ratio, verdict
from benchmarks.session import Context, runs_label
from benchmarks.workspace import drop_local_copies

KEY = "verify-objects"
FIGURE = (KEY, "`check --base REV --verify-objects` of a change pinning 1 GiB (DVC, local remote) — vs "
          "`dvc pull` of the same objects; time per GiB", "time ≤ 1.5×")


def verify_objects_figure(ctx: Context) -> None:
    ws = ctx.ws
    big = ctx.big()
    dvc = ws.need_tool("dvc")
    remote = ws.fresh_dir("remote-objects")
    root = gen.init_repo(ws, "objects", remote=remote)
    base = ws.git(root, "rev-parse", "HEAD").strip()
    gen.link_or_copy(big, root / "artifacts" / "big.bin")
    ws.sh([*ws.gm, "add", "big", "--weights", "artifacts/big.bin"], root)
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", "big model")
    ws.sh([*ws.gm, "push"], root)
    if "--verify-objects" not in ws.sh([*ws.gm, "check", "--help"], root):
        ctx.unavailable([KEY], "`check --verify-objects` is not on this commit")
        return

    def cold(_: str) -> None:
        drop_local_copies(root, "artifacts/big.bin")

    def pulled(path: Path, run: Run) -> Run:
        if not path.exists() or path.stat().st_size != gen.GIB:
            raise BenchError(f"{path.name} not pulled")
        return run

    gm, peer = Series("gitmodel check --verify-objects"), Series("dvc pull")
    alternate([(gm, lambda: ws.run([*ws.gm, "check", "--base", base, "--verify-objects"], root)),
               (peer, lambda: pulled(root / "artifacts" / "big.bin", ws.run([dvc, "pull", "-q"], root)))],
              ctx.runs, before_each=cold)
    ratio = time_ratio(gm, peer)
    row = ctx.row(KEY)
    row.gitmodel, row.peer = f"{fmt_series(gm)} per GiB", f"{fmt_series(peer)} per GiB"
    row.ratio, row.verdict, row.runs = f"{fmt_ratio(ratio)}×", verdict(ratio <= 1.5), runs_label(gm)
