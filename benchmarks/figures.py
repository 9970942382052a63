"""Every figure the issues name, in the order RESULTS.md lists them, and the groups that measure them: each
group builds its fixture, measures gitmodel and its peer alternately, and fills its rows. A command missing
on this commit makes its rows "not available". The groups are by area: figures_views.py (status, versions,
diff), figures_storage.py (sha256, re-check, add, push/get), figures_hooks.py, figures_context.py
(validate-input, env capture), bench_objects.py (check --verify-objects), figures_remote.py (serving
without a clone: versions --repo, resolve(repo=URL) cold and warm, bytes fetched from a monorepo)."""

from __future__ import annotations

from collections.abc import Callable

from benchmarks import bench_objects, bench_units, figures_governance
from benchmarks.figures_context import env_capture_figure, validate_input_figures
from benchmarks.figures_hooks import hook_figures, lfs_figure
from benchmarks.figures_remote import remote_monorepo_figure, remote_resolve_figures, remote_versions_figure
from benchmarks.figures_site import site_figures
from benchmarks.figures_storage import add_figure, hashing_figures, transfer_figures
from benchmarks.figures_views import diff_figure, status_figures, versions_figures
from benchmarks.session import Context

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
    ("remote-versions-10k", "`versions NAME --repo git://…`, 10,000 release tags, empty cache — vs `gto show NAME "
     "--repo` on the same URL", "≤ 1 s and speed ≥ 20×"),
    ("remote-resolve-cold", "`resolve(\"NAME#prod\", repo=git://…)`, 256 MiB weights, empty cache — vs `dvc "
     "artifacts get URL NAME --stage prod`", "time ≤ 1.3×"),
    ("remote-resolve-warm", "`resolve(\"NAME#prod\", repo=git://…)` again in the serving process, remote unchanged "
     "(`ls-remote` included) — peer: bare `git ls-remote`", "≤ 150 ms"),
    ("remote-monorepo-bytes", "git objects fetched resolving one model of a 1,000-model monorepo (10,000 tags) — "
     "peer: the repository's packed objects", "≤ 5%"),
    figures_governance.FIGURE,
    ("site-build", "`site -o DIR`, 100 models × 10 releases + 200 stage events, from empty — peer: `gto show` "
     "(GTO's view of the same registry)", "≤ 5 s"),
    ("site-size", "what that site weighs: every page and the style sheet", "≤ 5 MB"),
    ("site-rebuild", "`site -o DIR` again, nothing changed (pages written: none; after one new release: its "
     "5 pages) — peer: the build from empty", "only changed pages written"),
    bench_units.FIGURE,
]

# Groups in run order: cheap ones first, so a slow machine still gets most rows.
GROUPS: list[tuple[list[str], Callable[[Context], None]]] = [
    (["status"], status_figures),
    (["sha256-hashlib", "sha256-sum", "sha256-rss", "recheck"], hashing_figures),
    (["versions-10k", "versions-1k"], versions_figures),
    ([bench_units.KEY], bench_units.used_by_figure),
    (["hook-unrelated-precommit", "hook-unrelated-dvc", "hook-prompt"], hook_figures),
    (["hook-lfs"], lfs_figure),
    (["diff"], diff_figure),
    (["env-capture"], env_capture_figure),
    (["add"], add_figure),
    (["push", "get", "get-rss"], transfer_figures),
    ([bench_objects.KEY], bench_objects.verify_objects_figure),
    (["validate-input", "validate-input-rss"], validate_input_figures),
    (["remote-resolve-cold", "remote-resolve-warm"], remote_resolve_figures),
    (["remote-monorepo-bytes"], remote_monorepo_figure),
    (["remote-versions-10k"], remote_versions_figure),
    ([figures_governance.KEY], figures_governance.audit_figure),
    (["site-build", "site-size", "site-rebuild"], site_figures),
]

