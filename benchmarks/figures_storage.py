"""Storage and I/O: sha256 of 1 GiB (vs hashlib, `sha256sum`), the HashCache re-check, `add` (vs `dvc add`),
`push` and `get` (vs `dvc push`, `dvc pull`)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from benchmarks import generators as gen
from benchmarks.harness import (
    MIB,
    BenchError,
    Run,
    Series,
    alternate,
    fmt_ratio,
    fmt_rss,
    fmt_series,
    speedup,
    time_call,
    time_ratio,
    verdict,
)
from benchmarks.session import Context, runs_label
from benchmarks.workspace import drop_local_copies, make_writable, remove_tree

GM_SHA = ("import sys\nfrom pathlib import Path\nfrom gitmodel.infra.hashing import sha256_file\n"
          "print(sha256_file(Path(sys.argv[1])))\n")
BARE_SHA = ("import hashlib, sys\nh = hashlib.sha256()\nwith open(sys.argv[1], 'rb') as f:\n"
            "    while b := f.read(1 << 20):\n        h.update(b)\nprint(h.hexdigest())\n")


def hashing_figures(ctx: Context) -> None:
    ws = ctx.ws
    big = ctx.big()
    sha256sum = ws.need_tool("sha256sum")
    commands = {
        "gitmodel": [sys.executable, "-c", GM_SHA, str(big)],
        "hashlib": [sys.executable, "-c", BARE_SHA, str(big)],
        "sha256sum": [sha256sum, str(big)],
    }
    digests = {label: ws.sh(argv, ws.root).split()[0] for label, argv in commands.items()}
    if len(set(digests.values())) != 1:
        raise BenchError(f"the three sha256 disagree: {digests}")
    gm, bare, coreutils = Series("gitmodel"), Series("hashlib"), Series("sha256sum")
    alternate([(s, lambda argv=commands[s.label]: ws.run(argv, ws.root)) for s in (gm, bare, coreutils)],
              ctx.runs)
    row = ctx.row("sha256-hashlib")
    s = speedup(gm, bare)
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(bare), f"speed {fmt_ratio(s)}×"
    row.verdict, row.runs = verdict(s >= 0.9), runs_label(gm)
    row = ctx.row("sha256-sum")
    s = speedup(gm, coreutils)
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(coreutils), f"speed {fmt_ratio(s)}×"
    row.verdict, row.runs = verdict(s >= 3.0), runs_label(gm)
    row = ctx.row("sha256-rss")
    row.gitmodel, row.peer = fmt_rss(gm), fmt_rss(bare)
    row.verdict, row.runs = verdict(gm.rss_max < 100 * MIB), runs_label(gm)
    recheck_figure(ctx, big, gm)


def recheck_figure(ctx: Context, big: Path, full_rehash: Series) -> None:
    from gitmodel.infra.hashing import HashCache

    ws = ctx.ws
    root = ws.fresh_dir("recheck")
    ws.git(root, "init", "-q")
    weights = root / "weights.bin"
    gen.link_or_copy(big, weights)
    gen.age([weights])
    git_dir = root / ".git"
    cold = HashCache(git_dir, root)
    expected = cold.sha256(weights)
    cold.save()
    results: list[str] = []
    hit = Series("cache hit")

    def recheck() -> Run:
        # A fresh cache object each time: the cost includes reading the cache file, as a new process pays.
        return time_call(lambda: results.append(HashCache(git_dir, root).sha256(weights)))

    alternate([(hit, recheck)], max(ctx.runs, 20))
    if set(results) != {expected}:
        raise BenchError("HashCache returned a different digest on re-check")
    row = ctx.row("recheck")
    row.gitmodel = fmt_series(hit)
    row.peer = f"{fmt_series(full_rehash)} (sha256 figure above)"
    row.ratio = f"{fmt_ratio(time_ratio(hit, full_rehash))}×"
    row.verdict, row.runs = verdict(hit.median <= 0.005), runs_label(hit)


def add_figure(ctx: Context) -> None:
    ws = ctx.ws
    big = ctx.big()
    dvc = ws.need_tool("dvc")
    repos = {"gitmodel": gen.init_repo(ws, "add-gm"), "dvc": gen.init_repo(ws, "add-dvc")}
    tick = [0]

    def reset(label: str) -> None:
        root = repos[label]
        ws.git(root, "reset", "-q")
        for rel in ("models/big.yaml", "artifacts/big.bin.dvc", "artifacts/.gitignore", ".git/gitmodel/hashcache.json"):
            (root / rel).unlink(missing_ok=True)
        remove_tree(root / ".dvc" / "cache")
        target = root / "artifacts" / "big.bin"
        gen.link_or_copy(big, target)
        # A new mtime every run: DVC's state db (inode, mtime, size) and gitmodel's HashCache both miss,
        # so every run hashes the whole GiB, as a first add does.
        tick[0] += 1
        gen.age([target], time.time() - 100 + tick[0] * 0.5)

    gm, peer = Series("gitmodel add"), Series("dvc add")

    def check_pointer(label: str, run: Run) -> Run:
        if not (repos[label] / "artifacts" / "big.bin.dvc").exists():
            raise BenchError(f"{label} add left no .dvc pointer")
        return run

    alternate([
        (gm, lambda: check_pointer("gitmodel", ws.run([*ws.gm, "add", "big", "--weights", "artifacts/big.bin"],
                                                      repos["gitmodel"]))),
        (peer, lambda: check_pointer("dvc", ws.run([dvc, "add", "-q", "artifacts/big.bin"], repos["dvc"]))),
    ], ctx.runs, before_each=lambda label: reset("gitmodel" if label == gm.label else "dvc"))
    if big.stat().st_size != gen.GIB:
        raise BenchError("the shared 1 GiB file changed size during `add`")
    ratio = time_ratio(gm, peer)
    row = ctx.row("add")
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(ratio)}×"
    row.verdict, row.runs = verdict(ratio <= 1.2), runs_label(gm)
    for root in repos.values():
        make_writable(root)
        shutil.rmtree(root)


def transfer_figures(ctx: Context) -> None:
    ws = ctx.ws
    missing = [(k, ws.gitmodel_missing(cmd)) for k, cmd in (("push", "push"), ("get", "get"))]
    for key, reason in missing:
        if reason:
            ctx.unavailable([key] + (["get-rss"] if key == "get" else []), reason)
    if all(reason for _, reason in missing):
        return
    big = ctx.big()
    dvc = ws.need_tool("dvc")
    remote = ws.fresh_dir("remote-xfer")
    root = gen.init_repo(ws, "xfer", remote=remote)
    gen.link_or_copy(big, root / "artifacts" / "big.bin")
    ws.sh([*ws.gm, "add", "big", "--weights", "artifacts/big.bin"], root)
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", "big model")
    ws.git(root, "tag", "-a", "big@v0.1.0", "-m", "gitmodel release big v0.1.0")

    def remote_files() -> int:
        return sum(len(files) for _, _, files in os.walk(remote))

    def empty_remote(_: str) -> None:
        make_writable(remote)
        shutil.rmtree(remote)
        remote.mkdir()

    def pushed(run: Run) -> Run:
        if remote_files() == 0:
            raise BenchError("push left the remote empty")
        return run

    if not dict(missing)["push"]:
        gm, peer = Series("gitmodel push"), Series("dvc push")
        alternate([(gm, lambda: pushed(ws.run([*ws.gm, "push", "big"], root))),
                   (peer, lambda: pushed(ws.run([dvc, "push", "-q"], root)))], ctx.runs, before_each=empty_remote)
        ratio = time_ratio(gm, peer)
        row = ctx.row("push")
        row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(ratio)}×"
        row.verdict, row.runs = verdict(ratio <= 1.2), runs_label(gm)
    if dict(missing)["get"]:
        return
    if remote_files() == 0:
        ws.sh([dvc, "push", "-q"], root)
    out = ws.root / "xfer-out"

    def cold(_: str) -> None:
        drop_local_copies(root, "artifacts/big.bin")
        remove_tree(out)

    def fetched(path: Path, run: Run) -> Run:
        if not path.exists() or path.stat().st_size != gen.GIB:
            raise BenchError(f"{path.name} not fetched")
        return run

    gm, peer = Series("gitmodel get"), Series("dvc pull")
    alternate([(gm, lambda: fetched(out / "artifacts" / "big.bin",
                                    ws.run([*ws.gm, "get", "big@v0.1.0", "--out", str(out)], root))),
               (peer, lambda: fetched(root / "artifacts" / "big.bin", ws.run([dvc, "pull", "-q"], root)))],
              ctx.runs, before_each=cold)
    ratio = time_ratio(gm, peer)
    row = ctx.row("get")
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(ratio)}×"
    row.verdict, row.runs = verdict(ratio <= 1.2), runs_label(gm)
    row = ctx.row("get-rss")
    row.gitmodel, row.peer = fmt_rss(gm), fmt_rss(peer)
    row.verdict, row.runs = verdict(gm.rss_max < 100 * MIB), runs_label(gm)

