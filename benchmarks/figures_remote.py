"""Serving without a clone (issue #17): the registry read from a git remote served by `git daemon` on 127.0.0.1.

- `versions NAME --repo URL` over a remote with 10,000 release tags, empty cache every run — vs `gto show NAME
  --repo URL` (GTO clones the whole repository each time);
- `resolve("NAME#prod", repo=URL)` with an empty cache — vs `dvc artifacts get URL NAME --stage prod`, same bytes;
- warm `resolve` (resolved before, remote unchanged), in the serving process, `ls-remote` included;
- the git objects one model's resolve fetches from a 1,000-model monorepo, against the repository's own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks import generators as gen
from benchmarks.gen_tags import tag_repo
from benchmarks.harness import (
    BenchError,
    Run,
    Series,
    alternate,
    fmt_ratio,
    fmt_series,
    run_process,
    speedup,
    time_ratio,
    verdict,
)
from benchmarks.session import Context, runs_label
from benchmarks.workspace import Workspace, remove_tree

MODEL = gen.model_name(42)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(ws: Workspace, base: Path) -> Iterator[str]:
    """`git daemon` over every bare repository under `base`; yields the URL prefix `git://127.0.0.1:PORT`."""
    port = _free_port()
    proc = subprocess.Popen(["git", "daemon", "--export-all", "--reuseaddr", f"--base-path={base}",
                             "--listen=127.0.0.1", f"--port={port}", str(base)], env=ws.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise BenchError("git daemon did not start")
            time.sleep(0.05)
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bare_copy(ws: Workspace, source: Path, base: Path, name: str) -> Path:
    """A bare, packed copy of `source` as a git host serves it (partial clone allowed)."""
    bare = base / name
    remove_tree(bare)
    base.mkdir(parents=True, exist_ok=True)
    ws.git(base, "clone", "-q", "--bare", str(source), str(bare))
    ws.git(bare, "config", "uploadpack.allowFilter", "true")
    ws.git(bare, "gc", "-q", "--aggressive")
    return bare


def _cold(ws: Workspace, tag: str) -> dict[str, str]:
    """An empty per-user cache for this run."""
    cache = ws.root / "remote-caches" / tag
    remove_tree(cache)
    return {"GITMODEL_CACHE_DIR": str(cache)}


def _pack_bytes(ws: Workspace, git_dir: Path) -> int:
    """Bytes of the objects a repository stores (packs and loose objects)."""
    stats = dict(line.split(": ", 1) for line in ws.git(git_dir, "count-objects", "-v").splitlines())
    return (int(stats["size"]) + int(stats["size-pack"])) * 1024


def _available(ctx: Context, keys: list[str]) -> Path | None:
    """Where the served bare repositories go, or None (rows marked) when this commit has no remote mode."""
    reason = ctx.ws.module_missing("gitmodel.repo.remote")
    if reason:
        ctx.unavailable(keys, reason)
        return None
    return ctx.ws.fresh_dir("served")


def remote_versions_figure(ctx: Context) -> None:
    base = _available(ctx, ["remote-versions-10k"])
    if base is not None:
        _versions_figure(ctx, base)
        remove_tree(base)


def remote_resolve_figures(ctx: Context) -> None:
    base = _available(ctx, ["remote-resolve-cold", "remote-resolve-warm"])
    if base is not None:
        _resolve_figures(ctx, base)
        remove_tree(base)


def remote_monorepo_figure(ctx: Context) -> None:
    base = _available(ctx, ["remote-monorepo-bytes"])
    if base is not None:
        _monorepo_figure(ctx, base)
        remove_tree(base)


def _versions_figure(ctx: Context, base: Path) -> None:
    ws = ctx.ws
    repo = tag_repo(ws, "remote-tags10k", tags=10_000)
    bare_copy(ws, repo.root, base, "tags.git")
    gto = ws.need_tool("gto")
    with served(ws, base) as prefix:
        url = f"{prefix}/tags.git"
        here = ws.fresh_dir("not-a-repo")
        listed = ws.sh([*ws.gm, "versions", MODEL, "--repo", url], here, extra_env=_cold(ws, "check"))
        if "1.99.0" not in listed:
            raise BenchError(f"`gitmodel versions {MODEL} --repo URL` does not list 1.99.0")
        if "v1.99.0" not in ws.sh([gto, "show", MODEL, "--repo", url], here):
            raise BenchError(f"`gto show {MODEL} --repo URL` does not list v1.99.0")
        counter = iter(range(1_000_000))
        gm, peer = Series("gitmodel versions --repo (empty cache)"), Series("gto show --repo")

        def gm_run() -> Run:
            return ws.run([*ws.gm, "versions", MODEL, "--repo", url], here, extra_env=_cold(ws, f"v{next(counter)}"))

        # gto clones the 10,000-tag repository on every call: 3 timed runs, whatever --runs says
        alternate([(gm, gm_run), (peer, lambda: ws.run([gto, "show", MODEL, "--repo", url], here))], 3)
    s = speedup(gm, peer)
    row = ctx.row("remote-versions-10k")
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"speed {fmt_ratio(s)}×"
    row.verdict, row.runs = verdict(gm.median <= 1.0 and s >= 20), runs_label(gm)
    shutil.rmtree(repo.root)


def _serving_repo(ws: Workspace, size: int) -> Path:
    """One model, `size` bytes of DVC-stored weights pushed to a local DVC remote the commit's .dvc/config
    names, released as v0.1.0 and promoted to prod through gitmodel (GTO's tags)."""
    root = ws.fresh_dir("serving-src")
    ws.git(root, "init", "-q")
    remote = ws.fresh_dir("serving-dvc-remote")
    ws.sh([*ws.gm, "init", "--no-hooks", "--remote", str(remote)], root)
    weights = root / "artifacts" / "model.bin"
    weights.parent.mkdir(parents=True)
    with open(weights, "wb") as out:
        for _ in range(size // (1 << 20)):
            out.write(os.urandom(1 << 20))
    ws.sh([*ws.gm, "add", "ranker", "--weights", "artifacts/model.bin"], root)
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", "ranker 0.1.0")
    ws.sh([*ws.gm, "tag", "ranker"], root)
    ws.sh([*ws.gm, "push"], root)
    ws.sh([*ws.gm, "promote", "ranker@v0.1.0", "prod"], root)
    return root


RESOLVE = "import sys, gitmodel; print(gitmodel.resolve(sys.argv[1], repo=sys.argv[2]).weights[0])"
RESOLVE_ANY = "import sys, gitmodel; print(gitmodel.resolve(sys.argv[1], repo=sys.argv[2]).root)"
WARM = """
import sys, time, gitmodel
gitmodel.resolve(sys.argv[1], repo=sys.argv[2])
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    gitmodel.resolve(sys.argv[1], repo=sys.argv[2])
    print(time.perf_counter() - start)
"""


def _resolve_figures(ctx: Context, base: Path) -> None:
    ws = ctx.ws
    size = 256 << 20
    root = _serving_repo(ws, size)
    bare_copy(ws, root, base, "serving.git")
    dvc = ws.need_tool("dvc")
    with served(ws, base) as prefix:
        url = f"{prefix}/serving.git"
        here = ws.fresh_dir("not-a-repo")
        counter = iter(range(1_000_000))
        gm, peer = Series("resolve (empty cache)"), Series("dvc artifacts get")
        out = ws.root / "artifacts-get"

        def gm_run() -> Run:
            return ws.run([ws.gm[0], "-c", RESOLVE, "ranker#prod", url], here,
                          extra_env=_cold(ws, f"r{next(counter)}"))

        def dvc_run() -> Run:
            remove_tree(out) if out.is_dir() else out.unlink(missing_ok=True)
            return ws.run([dvc, "artifacts", "get", url, "ranker", "--stage", "prod", "-o", str(out)], here)

        alternate([(gm, gm_run), (peer, dvc_run)], ctx.runs)
        if not out.is_file() or out.stat().st_size != size:
            raise BenchError("`dvc artifacts get` did not write the weights")
        ratio = time_ratio(gm, peer)
        row = ctx.row("remote-resolve-cold")
        row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(ratio)}×"
        row.verdict, row.runs = verdict(ratio <= 1.3), runs_label(gm)

        warm_env = {**ws.env, **_cold(ws, "warm")}
        proc = subprocess.run([ws.gm[0], "-c", WARM, "ranker#prod", url, str(max(ctx.runs, 10))], cwd=here,
                              env=warm_env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BenchError(f"warm resolve failed: {proc.stderr.strip().splitlines()[-1:]}")
        warm = Series("warm resolve, in-process")
        for line in proc.stdout.split():
            warm.add(Run(float(line), 0, 0))
        ls = Series("git ls-remote")
        for _ in range(max(ctx.runs, 10)):
            ls.add(run_process(["git", "ls-remote", url, "refs/tags/ranker*"], cwd=here, env=ws.env))
        row = ctx.row("remote-resolve-warm")
        row.gitmodel, row.peer, row.ratio = fmt_series(warm), fmt_series(ls), f"{fmt_ratio(time_ratio(warm, ls))}×"
        row.verdict, row.runs = verdict(warm.median <= 0.150), f"{len(warm.seconds)} + 1 warm-up"
    shutil.rmtree(root, ignore_errors=True)


def _monorepo_figure(ctx: Context, base: Path) -> None:
    ws = ctx.ws
    repo = tag_repo(ws, "remote-mono1k", tags=10_000, models=1_000)
    bare = bare_copy(ws, repo.root, base, "mono.git")
    whole = _pack_bytes(ws, bare)
    name = gen.model_name(500)
    with served(ws, base) as prefix:
        url = f"{prefix}/mono.git"
        here = ws.fresh_dir("not-a-repo")
        env = _cold(ws, "mono")
        proc = subprocess.run([ws.gm[0], "-c", RESOLVE_ANY, name, url], cwd=here, env={**ws.env, **env},
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BenchError(f"resolve {name} from the monorepo failed: {proc.stderr.strip().splitlines()[-1:]}")
    fetched = sum(_pack_bytes(ws, path / ".git") for path in (Path(env["GITMODEL_CACHE_DIR"]) / "repos").iterdir())
    share = fetched / whole
    row = ctx.row("remote-monorepo-bytes")
    row.gitmodel = f"{fetched / 1024:.0f} KiB fetched"
    row.peer = f"{whole / 1024:.0f} KiB in the repository"
    row.ratio = f"{share * 100:.2f}%"
    row.verdict, row.runs = verdict(share <= 0.05), "1"
    shutil.rmtree(repo.root)
