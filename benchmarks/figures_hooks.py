"""The commit hook's cost per commit (commit with the hook − `git commit --no-verify`), against the
pre-commit framework's no-op hook and `dvc status` (100 models), and with LFS-stored weights against without.
The repos, changes and sides here are also the scale series' (benchmarks/scale.py)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks import generators as gen
from benchmarks.gen_lfs import lfs_pair
from benchmarks.harness import (
    BenchError,
    Run,
    Series,
    alternate,
    fmt_ratio,
    fmt_series,
    paired_differences,
    time_ratio,
    verdict,
)
from benchmarks.session import Context, runs_label
from benchmarks.workspace import Workspace, make_writable
from gitmodel.model.records import replace


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


Side = tuple[Callable[[], None], Callable[[], Run]]  # (the untimed change before a run, the timed run)


def commit(ws: Workspace, root: Path, *, verify: bool) -> Callable[[], Run]:
    argv = ["git", "commit", "-q", "-m", "bench commit"] + ([] if verify else ["--no-verify"])
    return lambda: ws.run(argv, root)


def commit_pair(ws: Workspace, root: Path, name: str, change: Callable[[], None]) -> dict[str, Side]:
    """`NAME hook` and `NAME no-verify`: a commit of what `change` stages, with the hook and without it."""
    return {f"{name} hook": (change, commit(ws, root, verify=True)),
            f"{name} no-verify": (change, commit(ws, root, verify=False))}


def hook_cost(samples: dict[str, Series], name: str, label: str | None = None) -> Series:
    """The hook's cost per commit: run i of `NAME hook` minus run i of `NAME no-verify`."""
    return paired_differences(samples[f"{name} hook"], samples[f"{name} no-verify"], label or name)


def precommit_noop_copy(ws: Workspace, source: Path, name: str, pre_commit: str) -> Path:
    """A copy of `source` whose pre-commit framework runs one `repo: local` no-op hook (`entry: 'true'`)."""
    pc_repo = gen.copy_repo(ws, source, name)
    (pc_repo / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: noop\n    name: no-op\n    entry: 'true'\n"
        "    language: system\n    pass_filenames: false\n    always_run: true\n")
    ws.git(pc_repo, "add", ".pre-commit-config.yaml")
    ws.git(pc_repo, "commit", "-q", "-m", "pre-commit config")
    ws.sh([pre_commit, "install"], pc_repo)
    return pc_repo


def hook_repos(ws: Workspace, source: Path, name: str, pre_commit: str, models: int = 100) -> tuple[Path, Path]:
    """Two copies of `source`: `NAME-gm` with gitmodel's hook (checked to refuse an unversioned prompt
    change) and `NAME-pc` with the pre-commit framework's no-op hook."""
    gm_repo = gen.copy_repo(ws, source, f"{name}-gm")
    install_hook(ws, gm_repo)
    require_blocks(ws, gm_repo, models)
    return gm_repo, precommit_noop_copy(ws, source, f"{name}-pc", pre_commit)


def commit_sides(ws: Workspace, gm_repo: Path, pc_repo: Path, models: int = 100) -> dict[str, Side]:
    """The sides of the hook-cost figures, in their alternating order: gitmodel's hook on an unrelated change
    (`gm unrelated`) and on one prompt changed with its manifest (`gm prompt`), and the pre-commit framework's
    no-op on an unrelated change (`pc`), each with and without the hook. The 100-model figures and the scale
    series both time these."""
    gm_change, pc_change = Changer(ws, gm_repo, models), Changer(ws, pc_repo, models)
    return {**commit_pair(ws, gm_repo, "gm unrelated", gm_change.unrelated),
            **commit_pair(ws, gm_repo, "gm prompt", gm_change.prompt),
            **commit_pair(ws, pc_repo, "pc", pc_change.unrelated)}


def time_sides(sides: dict[str, Side], runs: int, *, warmup: int = 1) -> dict[str, Series]:
    """Every side's samples, the sides alternating run by run, each run preceded by its (untimed) change."""
    samples = {label: Series(label) for label in sides}
    alternate([(samples[label], action) for label, (_, action) in sides.items()], runs, warmup=warmup,
              before_each=lambda label: sides[label][0]())
    return samples


def hook_figures(ctx: Context) -> None:
    ws = ctx.ws
    keys = ["hook-unrelated-precommit", "hook-unrelated-dvc", "hook-prompt"]
    reason = hook_missing(ws)
    if reason:
        ctx.unavailable(keys, reason)
        return
    dvc, pre_commit = ws.need_tool("dvc"), ws.need_tool("pre-commit")
    gm_repo, pc_repo = hook_repos(ws, ctx.repo100(), "hook", pre_commit)
    sides = {**commit_sides(ws, gm_repo, pc_repo),
             "dvc status": (lambda: None, lambda: ws.run([dvc, "status"], gm_repo))}
    # a commit costs ~0.1 s: more runs for a steadier difference
    series = time_sides(sides, max(ctx.runs, 10))
    unrelated, prompt = hook_cost(series, "gm unrelated"), hook_cost(series, "gm prompt")
    noop = hook_cost(series, "pc", "pre-commit no-op")
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
    lfs_repo, prompts_repo = lfs_pair(ws)
    for root in (lfs_repo, prompts_repo):
        install_hook(ws, root)
        require_blocks(ws, root)
    sides = {**commit_pair(ws, lfs_repo, "lfs", Changer(ws, lfs_repo).unrelated),
             **commit_pair(ws, prompts_repo, "prompts", Changer(ws, prompts_repo).unrelated)}
    series = time_sides(sides, max(ctx.runs, 10))
    lfs, prompts = hook_cost(series, "lfs"), hook_cost(series, "prompts")
    ratio = time_ratio(lfs, prompts)
    row = ctx.row("hook-lfs")
    row.gitmodel, row.peer, row.ratio = fmt_series(lfs), fmt_series(prompts), f"{fmt_ratio(ratio)}×"
    row.verdict, row.runs = verdict(ratio <= 1.10), runs_label(lfs)
    for root in (lfs_repo, prompts_repo):
        shutil.rmtree(root)

