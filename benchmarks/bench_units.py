"""`gitmodel used-by` (issue 19 item 4) over 1,000 release tags of 100 units, against what one writes without
it: a `git show` of each release tag's manifest, one process per tag, then a grep for the pinned path.

gitmodel reads every release's manifest in one `git cat-file --batch`, parses them and walks the references;
the peer only prints them. The issue sets no goal; ≤ 0.5× (twice as fast as the loop) is ours.
"""

from __future__ import annotations

from benchmarks.gen_tags import tag_repo
from benchmarks.generators import model_name
from benchmarks.harness import BenchError, Series, alternate, fmt_ratio, fmt_series, time_ratio, verdict
from benchmarks.session import Context, runs_label

KEY = "used-by"
FIGURE = (KEY, "`used-by --path FILE` over 1,000 release tags of 100 units — vs a `git show` of each tag's "
          "manifest (shell loop) and grep", "time ≤ 0.5×")
# every release tag's manifest, one git process per tag: what a script does without gitmodel
LOOP = ('for t in $(git tag -l "*@v*"); do git show "$t:models/${t%@v*}.yaml"; done '
        '| grep -c "path: PATH"')


def used_by_figure(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("used-by")
    if reason:
        ctx.unavailable([KEY], reason)
        return
    repo = tag_repo(ws, "tags1k-units", tags=1_000)
    path = f"prompts/{model_name(0)}/system.txt"
    listed = ws.sh([*ws.gm, "used-by", "--path", path], repo.root)
    if listed.count(f"{model_name(0)}@v1.") != 10:
        raise BenchError(f"`gitmodel used-by --path {path}` does not list the 10 releases pinning it")
    gm, peer = Series("gitmodel used-by"), Series("git show per tag")
    alternate([(gm, lambda: ws.run([*ws.gm, "used-by", "--path", path], repo.root)),
               (peer, lambda: ws.run(["sh", "-c", LOOP.replace("PATH", path)], repo.root))], ctx.runs)
    ratio = time_ratio(gm, peer)
    row = ctx.row(KEY)
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(ratio)}×"
    row.verdict, row.runs = verdict(ratio <= 0.5), runs_label(gm)
