"""The registry as a static site (`gitmodel site`) over 100 models × 10 releases with a stage history: the full
build (vs `gto show`, GTO's own view of the whole registry, on the same tags), what the site weighs, and the
incremental rebuild (nothing changed; one new release)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from benchmarks.gen_tags import tag_repo
from benchmarks.generators import OLD, manifest_module, model_name
from benchmarks.harness import BenchError, Series, alternate, fmt_ratio, fmt_series, time_ratio, verdict
from benchmarks.session import Context, runs_label
from benchmarks.workspace import Workspace, make_writable

MODELS, RELEASES = 100, 10
KEYS = ["site-build", "site-size", "site-rebuild"]
LIMIT_BYTES = 5_000_000


def site_repo(ws: Workspace) -> Path:
    """100 models × 10 releases (each release rewords the model's prompt and moves its accuracy), and two
    stage events per model (1.8.0 to prod, 1.9.0 to staging) written by one `git fast-import`."""
    root = tag_repo(ws, "site100x10", tags=MODELS * RELEASES, models=MODELS).root
    commits = {k: ws.git(root, "rev-parse", f"main~{RELEASES - 1 - k}").strip() for k in (8, 9)}
    chunks: list[bytes] = []
    clock = int(OLD)
    for i in range(MODELS):
        name = model_name(i)
        for n, (stage, k) in enumerate((("prod", 8), ("staging", 9)), start=1):
            clock += 1
            message = (f"gitmodel promote {name} v1.{k}.0 to {stage}\n\nversion: v1.{k}.0\n"
                       f"release: {name}@v1.{k}.0\n").encode()
            chunks.append(f"tag {name}#{stage}#{n}\nfrom {commits[k]}\n".encode())
            chunks.append(b"tagger Bench User <bench@example.com> %d +0000\n" % clock)
            chunks.append(b"data %d\n" % len(message) + message + b"\n")
    ws.git(root, "fast-import", "--quiet", input=b"".join(chunks))
    return root


def new_release(ws: Workspace, root: Path, i: int) -> None:
    """Release 1.10.0 of model `i` as `gitmodel tag` does: a reworded prompt, committed, an annotated tag."""
    import hashlib

    mf = manifest_module()
    from gitmodel.model.records import replace
    from gitmodel.registry.releases import release_message

    name = model_name(i)
    prompt = f"You are {name}, revision 10.\n".encode()
    (root / "prompts" / name / "system.txt").write_bytes(prompt)
    path = root / "models" / f"{name}.yaml"
    current = mf.load(path)
    entry = replace(current.prompts[0], sha256=hashlib.sha256(prompt).hexdigest(), size=len(prompt))
    manifest = replace(current, version="1.10.0", prompts=(entry,), metrics={"accuracy": 0.9})
    mf.save(manifest, path)
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", f"{name} 1.10.0")
    ws.git(root, "tag", "-a", f"{name}@v1.10.0", "-m",
           release_message(name, manifest, f"models/{name}.yaml", None))


def site_bytes(out: Path) -> tuple[int, int]:
    files = [p for p in out.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def site_figures(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("site")
    if reason:
        ctx.unavailable(KEYS, reason)
        return
    root = site_repo(ws)
    out = ws.root / "site-out"
    argv = [*ws.gm, "site", "-o", str(out), "--json"]

    def fresh() -> None:
        shutil.rmtree(out, ignore_errors=True)

    first = json.loads(ws.sh(argv, root))
    pages_expected = 2 + MODELS * (1 + RELEASES + RELEASES - 1)  # index, style; model, release, diff pages
    if first["pages"] != pages_expected or first["releases"] != MODELS * RELEASES:
        raise BenchError(f"site of {MODELS}×{RELEASES}: {first['pages']} pages, {first['releases']} releases; "
                         f"wanted {pages_expected} pages")
    index = (out / "index.html").read_text()
    if f'<td data-stage="prod"><a href="models/{model_name(7)}/v1.8.0.html">' not in index:
        raise BenchError("the site's index does not name v1.8.0 in prod")

    gto = ws.need_tool("gto")
    build, peer = Series("gitmodel site"), Series("gto show")
    alternate([(build, lambda: (fresh(), ws.run(argv, root))[1]), (peer, lambda: ws.run([gto, "show"], root))], 5)
    row = ctx.row("site-build")
    row.gitmodel, row.peer = fmt_series(build), fmt_series(peer)
    row.ratio = f"{fmt_ratio(time_ratio(build, peer))}×"
    row.verdict, row.runs = verdict(build.median <= 5.0), runs_label(build, peer)

    size, files = site_bytes(out)
    row = ctx.row("site-size")
    row.gitmodel = f"{size / 1e6:.2f} MB in {files:,} files ({size / files / 1024:.1f} KiB a file)"
    row.verdict, row.runs = verdict(size <= LIMIT_BYTES), "1"

    rebuild, full = Series("gitmodel site, nothing changed"), Series("gitmodel site, from empty")
    # alternated, the full build first: a rebuild always finds the site the build before it wrote
    alternate([(full, lambda: (fresh(), ws.run(argv, root))[1]), (rebuild, lambda: ws.run(argv, root))], ctx.runs)
    again = json.loads(ws.sh(argv, root))
    new_release(ws, root, 7)
    after = json.loads(ws.sh(argv, root))
    name = model_name(7)
    wanted = sorted(["index.html", f"models/{name}/index.html", f"models/{name}/v1.9.0.html",
                     f"models/{name}/v1.10.0.html", f"models/{name}/diff-v1.9.0-v1.10.0.html"])
    row = ctx.row("site-rebuild")
    row.gitmodel = (f"{fmt_series(rebuild)}; 0 of {again['pages']:,} pages written; after one new release "
                    f"{len(after['written'])} of {after['pages']:,}")
    row.peer = fmt_series(full)
    row.ratio = f"{fmt_ratio(time_ratio(rebuild, full))}×"
    row.verdict = verdict(again["written"] == [] and sorted(after["written"]) == wanted)
    row.runs = runs_label(rebuild, full)
    make_writable(root)
    shutil.rmtree(root)
    shutil.rmtree(out, ignore_errors=True)
