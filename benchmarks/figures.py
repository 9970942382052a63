"""Every figure the issues name: each group builds its fixture, measures gitmodel and its peer
alternately, and fills its rows. A command missing on this commit makes its rows "not available"."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import bench_objects
from benchmarks import generators as gen
from benchmarks.harness import (
    MIB,
    BenchError,
    Figure,
    Run,
    Series,
    alternate,
    fmt_ratio,
    fmt_rss,
    fmt_seconds,
    fmt_series,
    paired_differences,
    speedup,
    time_call,
    time_ratio,
    verdict,
)
from benchmarks.workspace import Workspace, drop_local_copies, make_writable, remove_tree
from gitmodel.model.records import replace

# (key, figure, goal) in the order RESULTS.md lists them.
FIGURES: list[tuple[str, str, str]] = [
    ("status", "`status`, 100 models, nothing changed — vs `dvc status`", "time ≤ 0.25×"),
    ("sha256-hashlib", "sha256 of 1 GiB (`gitmodel.infra.hashing`, own process) — vs bare hashlib loop", "speed ≥ 0.9×"),
    ("sha256-sum", "sha256 of 1 GiB — vs coreutils `sha256sum`", "speed ≥ 3×"),
    ("sha256-rss", "peak RSS hashing 1 GiB — peer: bare hashlib loop", "< 100 MiB"),
    ("recheck", "re-check of an unchanged 1 GiB weights file (HashCache hit, in-process) — peer: full rehash",
     "≤ 5 ms"),
    ("add", "`add` of 1 GiB weights (DVC store + sha256) — vs `dvc add`", "time ≤ 1.2×"),
    ("push", "`push` of 1 GiB to a local remote — vs `dvc push`", "time ≤ 1.2×"),
    ("get", "`get NAME@v0.1.0 --out DIR` of 1 GiB from the remote — vs `dvc pull`", "time ≤ 1.2×"),
    ("get-rss", "peak RSS exporting 1 GiB (`get`) — peer: `dvc pull`", "< 100 MiB"),
    ("versions-10k", "`versions NAME`, 10,000 packed release tags over 100 models — peer: bare "
     "`git for-each-ref` of that model's tags", "≤ 0.3 s"),
    ("versions-1k", "`versions NAME` — vs `gto show NAME`, 1,000 release tags", "speed ≥ 50×"),
    ("hook-unrelated-precommit", "hook cost per commit (hook − `--no-verify`), 100 models, unrelated change — "
     "vs pre-commit framework's no-op hook cost", "time ≤ 0.4×"),
    ("hook-unrelated-dvc", "hook cost per commit, 100 models, unrelated change — vs `dvc status`", "time ≤ 0.15×"),
    ("hook-prompt", "hook cost per commit, one prompt changed (manifest updated with it) — vs pre-commit "
     "framework's no-op hook cost", "time ≤ 0.6×"),
    ("hook-lfs", "hook cost per commit, 100 models with LFS-stored 1 GiB weights — vs the same repo with "
     "git-stored prompts only (unrelated change)", "time ≤ 1.10×"),
    ("diff", "`diff A B --format markdown` over 100 changed manifests — peer: `git diff A B -- models`", "≤ 1 s"),
    ("validate-input", "`validate-input` of 1,000,000 JSONL rows", "≥ 20,000 rows/s"),
    ("validate-input-rss", "peak RSS `validate-input` of 1,000,000 JSONL rows", "< 150 MiB"),
    ("env-capture", "`env capture NAME` with ≥ 300 installed distributions — peer: `pip list`", "≤ 0.5 s"),
    bench_objects.FIGURE,
]


@dataclass
class Context:
    ws: Workspace
    runs: int = 5
    rows: dict[str, Figure] = field(default_factory=dict)
    _fixtures: dict[str, object] = field(default_factory=dict)

    def fixture(self, key: str, build: Callable[[], object]) -> object:
        if key not in self._fixtures:
            self._fixtures[key] = build()
        return self._fixtures[key]

    def repo100(self) -> Path:
        return self.fixture("repo100", lambda: gen.model_repo(self.ws))  # type: ignore[return-value]

    def big(self) -> Path:
        return self.fixture("big", lambda: gen.big_file(self.ws))  # type: ignore[return-value]

    def row(self, key: str) -> Figure:
        return self.rows[key]

    def unavailable(self, keys: list[str], reason: str) -> None:
        for key in keys:
            self.rows[key].verdict = f"not available: {reason}"


def runs_label(*series: Series) -> str:
    return " / ".join(f"{len(s.seconds)}" for s in series) + " + 1 warm-up"


def copy_repo(ws: Workspace, source: Path, name: str) -> Path:
    """A full copy (work tree, DVC cache, .git), then a refreshed index so stat data is current."""
    target = ws.root / name
    if target.exists():
        make_writable(target)
        shutil.rmtree(target)
    shutil.copytree(source, target, symlinks=True)
    ws.git(target, "update-index", "-q", "--refresh")
    if ws.git(target, "status", "--porcelain"):
        raise BenchError(f"copy {name} of {source.name} is not clean")
    return target


# ------------------------------------------------------------------------------------------ status


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


# ----------------------------------------------------------------------------------------- hashing

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


# --------------------------------------------------------------------------------------------- add


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


# ---------------------------------------------------------------------------------------- push/get


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


# ---------------------------------------------------------------------------------------- versions

MODEL = gen.model_name(42)
FOR_EACH_REF = ["git", "for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname) "
                "%(taggerdate:iso-strict) %(taggername) %(subject)", f"refs/tags/{MODEL}@*"]


def versions_figures(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("versions")
    if reason:
        ctx.unavailable(["versions-10k", "versions-1k"], reason)
        return
    repo = gen.tag_repo(ws, "tags10k", tags=10_000)
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
    repo = gen.tag_repo(ws, "tags1k", tags=1_000)
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


# -------------------------------------------------------------------------------------------- hooks


def hook_missing(ws: Workspace) -> str | None:
    if ws.gitmodel_missing("hooks", "install") is None:
        return None
    if ws.module_missing("gitmodel.hook") is None:
        return None
    return "neither `gitmodel hooks install` nor `python -m gitmodel.hook` exists on this commit"


def install_hook(ws: Workspace, root: Path) -> None:
    if ws.gitmodel_missing("hooks", "install") is None:
        ws.sh([*ws.gm, "hooks", "install"], root)
    else:
        hook = root / ".git" / "hooks" / "pre-commit"
        hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gitmodel.hook pre-commit "$@"\n')
        hook.chmod(0o755)
    if not (root / ".git" / "hooks" / "pre-commit").exists():
        raise BenchError(f"no pre-commit hook installed in {root.name}")


def require_blocks(ws: Workspace, root: Path, models: int = 100) -> None:
    """The hook must refuse a prompt edited without its manifest, or its cost means nothing."""
    prompt = root / "prompts" / gen.model_name(7 % models) / "system.txt"
    original = prompt.read_bytes()
    prompt.write_bytes(original + b"unversioned edit\n")
    ws.git(root, "add", prompt.relative_to(root).as_posix())
    import subprocess

    proc = subprocess.run(["git", "commit", "-q", "-m", "should be refused"], cwd=root, env=ws.env,
                          capture_output=True)
    ws.git(root, "reset", "-q")
    prompt.write_bytes(original)
    ws.git(root, "update-index", "-q", "--refresh")
    if proc.returncode == 0:
        ws.git(root, "reset", "-q", "--hard", "HEAD~1")
        raise BenchError("the installed hook let an unversioned prompt change through")


class Changer:
    """Makes the staged change each timed commit needs (untimed)."""

    def __init__(self, ws: Workspace, root: Path, models: int = 100) -> None:
        self.ws, self.root, self.n, self.models = ws, root, 0, models

    def unrelated(self) -> None:
        self.n += 1
        note = self.root / "notes" / "log.txt"
        note.parent.mkdir(exist_ok=True)
        with open(note, "a") as stream:
            stream.write(f"entry {self.n}\n")
        self.ws.git(self.root, "add", "notes/log.txt")

    def prompt(self) -> None:
        """Edit one model's prompt and update its manifest with it (fresh, so the hook lets it in)."""
        from gitmodel.model import manifest as mf

        self.n += 1
        name = gen.model_name((10 + self.n % 80) % self.models)
        rel = f"prompts/{name}/system.txt"
        (self.root / rel).write_text(f"You are model {name}. Revision {self.n}.\n")
        manifest_path = self.root / "models" / f"{name}.yaml"
        current = mf.load(manifest_path)
        data = (self.root / rel).read_bytes()
        import hashlib

        entry = replace(current.prompts[0], sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        mf.save(replace(current, prompts=(entry,)), manifest_path)
        self.ws.git(self.root, "add", rel, f"models/{name}.yaml")


def commit(ws: Workspace, root: Path, *, verify: bool) -> Callable[[], Run]:
    argv = ["git", "commit", "-q", "-m", "bench commit"] + ([] if verify else ["--no-verify"])
    return lambda: ws.run(argv, root)


def precommit_noop_copy(ws: Workspace, source: Path, name: str, pre_commit: str) -> Path:
    """A copy of `source` whose pre-commit framework runs one `repo: local` no-op hook (`entry: 'true'`)."""
    pc_repo = copy_repo(ws, source, name)
    (pc_repo / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: noop\n    name: no-op\n    entry: 'true'\n"
        "    language: system\n    pass_filenames: false\n    always_run: true\n")
    ws.git(pc_repo, "add", ".pre-commit-config.yaml")
    ws.git(pc_repo, "commit", "-q", "-m", "pre-commit config")
    ws.sh([pre_commit, "install"], pc_repo)
    return pc_repo


def hook_figures(ctx: Context) -> None:
    ws = ctx.ws
    keys = ["hook-unrelated-precommit", "hook-unrelated-dvc", "hook-prompt"]
    reason = hook_missing(ws)
    if reason:
        ctx.unavailable(keys, reason)
        return
    dvc, pre_commit = ws.need_tool("dvc"), ws.need_tool("pre-commit")
    gm_repo = copy_repo(ws, ctx.repo100(), "hook-gm")
    install_hook(ws, gm_repo)
    require_blocks(ws, gm_repo)
    pc_repo = precommit_noop_copy(ws, ctx.repo100(), "hook-pc", pre_commit)
    gm_change, pc_change = Changer(ws, gm_repo), Changer(ws, pc_repo)
    sides = {
        "gm unrelated hook": (gm_change.unrelated, commit(ws, gm_repo, verify=True)),
        "gm unrelated no-verify": (gm_change.unrelated, commit(ws, gm_repo, verify=False)),
        "gm prompt hook": (gm_change.prompt, commit(ws, gm_repo, verify=True)),
        "gm prompt no-verify": (gm_change.prompt, commit(ws, gm_repo, verify=False)),
        "pc hook": (pc_change.unrelated, commit(ws, pc_repo, verify=True)),
        "pc no-verify": (pc_change.unrelated, commit(ws, pc_repo, verify=False)),
        "dvc status": (lambda: None, lambda: ws.run([dvc, "status"], gm_repo)),
    }
    series = {label: Series(label) for label in sides}
    runs = max(ctx.runs, 10)  # a commit costs ~0.1 s: more runs for a steadier difference
    alternate([(series[label], action) for label, (_, action) in sides.items()], runs,
              before_each=lambda label: sides[label][0]())
    unrelated = paired_differences(series["gm unrelated hook"], series["gm unrelated no-verify"], "gm unrelated")
    prompt = paired_differences(series["gm prompt hook"], series["gm prompt no-verify"], "gm prompt")
    noop = paired_differences(series["pc hook"], series["pc no-verify"], "pre-commit no-op")
    dvc_status = series["dvc status"]
    for key, mine, peer, goal in (("hook-unrelated-precommit", unrelated, noop, 0.4),
                                  ("hook-unrelated-dvc", unrelated, dvc_status, 0.15),
                                  ("hook-prompt", prompt, noop, 0.6)):
        ratio = time_ratio(mine, peer)
        row = ctx.row(key)
        row.gitmodel, row.peer, row.ratio = fmt_series(mine), fmt_series(peer), f"{fmt_ratio(ratio)}×"
        row.verdict, row.runs = verdict(ratio <= goal), runs_label(mine)
    for root in (gm_repo, pc_repo):
        make_writable(root)
        shutil.rmtree(root)


def lfs_figure(ctx: Context) -> None:
    ws = ctx.ws
    reason = hook_missing(ws)
    if reason:
        ctx.unavailable(["hook-lfs"], reason)
        return
    lfs_repo, prompts_repo = gen.lfs_pair(ws)
    for root in (lfs_repo, prompts_repo):
        install_hook(ws, root)
        require_blocks(ws, root)
    changes = {"lfs": Changer(ws, lfs_repo), "prompts": Changer(ws, prompts_repo)}
    sides = {
        "lfs hook": (changes["lfs"].unrelated, commit(ws, lfs_repo, verify=True)),
        "lfs no-verify": (changes["lfs"].unrelated, commit(ws, lfs_repo, verify=False)),
        "prompts hook": (changes["prompts"].unrelated, commit(ws, prompts_repo, verify=True)),
        "prompts no-verify": (changes["prompts"].unrelated, commit(ws, prompts_repo, verify=False)),
    }
    series = {label: Series(label) for label in sides}
    alternate([(series[label], action) for label, (_, action) in sides.items()], max(ctx.runs, 10),
              before_each=lambda label: sides[label][0]())
    lfs = paired_differences(series["lfs hook"], series["lfs no-verify"], "lfs")
    prompts = paired_differences(series["prompts hook"], series["prompts no-verify"], "prompts")
    ratio = time_ratio(lfs, prompts)
    row = ctx.row("hook-lfs")
    row.gitmodel, row.peer, row.ratio = fmt_series(lfs), fmt_series(prompts), f"{fmt_ratio(ratio)}×"
    row.verdict, row.runs = verdict(ratio <= 1.10), runs_label(lfs)
    for root in (lfs_repo, prompts_repo):
        shutil.rmtree(root)


# --------------------------------------------------------------------------------------------- diff


def diff_figure(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("diff")
    if reason:
        ctx.unavailable(["diff"], reason)
        return
    root = copy_repo(ws, ctx.repo100(), "diff100")
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


# ----------------------------------------------------------------------------------- validate-input


def validate_input_figures(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("validate-input")
    if reason:
        ctx.unavailable(["validate-input", "validate-input-rss"], reason)
        return
    rows = 1_000_000
    root, sample = gen.samples_repo(ws, rows)
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
    site, total = gen.fake_distributions(ws, 300)
    extra = {"PYTHONPATH": ws.env["PYTHONPATH"] + os.pathsep + str(site)}
    seen = int(ws.sh([sys.executable, "-c", "import importlib.metadata as m; print(len(list(m.distributions())))"],
                     ws.root, extra_env=extra).strip())
    if seen < 300:
        raise BenchError(f"only {seen} distributions visible, wanted ≥ 300")
    root, _ = gen.samples_repo(ws, rows=10)
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


# Groups in run order: cheap ones first, so a slow machine still gets most rows.
GROUPS: list[tuple[list[str], Callable[[Context], None]]] = [
    (["status"], status_figures),
    (["sha256-hashlib", "sha256-sum", "sha256-rss", "recheck"], hashing_figures),
    (["versions-10k", "versions-1k"], versions_figures),
    (["hook-unrelated-precommit", "hook-unrelated-dvc", "hook-prompt"], hook_figures),
    (["hook-lfs"], lfs_figure),
    (["diff"], diff_figure),
    (["env-capture"], env_capture_figure),
    (["add"], add_figure),
    (["push", "get", "get-rss"], transfer_figures),
    ([bench_objects.KEY], bench_objects.verify_objects_figure),
    (["validate-input", "validate-input-rss"], validate_input_figures),
]

__all__ = ["FIGURES", "GROUPS", "Context", "fmt_seconds"]
