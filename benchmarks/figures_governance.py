"""`audit --verify` over signed events (issue #18), against bare `git verify-tag` of the same tags.

Fixture: one model under `require_signatures: true`, 10 releases, each released by one person, approved by
another and promoted to prod: 30 SSH-signed tags (ssh-keygen keys made here). gitmodel reads every tag
in one `for-each-ref`, verifies each signature once, binds approvals and stage events to their release and
judges each promotion's approvals; the peer verifies the same 30 tags with a shell loop of `git verify-tag`
and judges nothing. The goal is ours (the issue sets none): ≤ 1.5×, i.e. the verification itself is the cost.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import generators as gen
from benchmarks.harness import BenchError, Series, alternate, fmt_ratio, fmt_series, time_ratio, verdict
from benchmarks.session import Context, runs_label
from benchmarks.workspace import Workspace

KEY = "audit-verify"
FIGURE = (KEY, "`audit --verify` of 30 SSH-signed events (10 releases, approvals, promotions) — vs a shell "
          "loop of `git verify-tag` over the same tags", "time ≤ 1.5×")
RELEASES = 10
CONFIG = ("stages: [prod]\nsigners: .gitmodel/allowed_signers\nroles: {ml-lead: [alice@example.com]}\n"
          "approvals: {prod: {roles: [ml-lead], distinct: true}}\nrequire_signatures: true\n")


def _person(ws: Workspace, keys: Path, name: str) -> tuple[Path, str]:
    key = keys / name
    ws.sh([ws.need_tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@example.com",
           "-f", str(key)], keys)
    return key, f'{name}@example.com namespaces="git" {key.with_suffix(".pub").read_text().strip()}'


def audit_figure(ctx: Context) -> None:
    ws = ctx.ws
    reason = ws.gitmodel_missing("audit")
    if reason:
        ctx.unavailable([KEY], reason)
        return
    root = gen.init_repo(ws, "governance", dvc=False)
    keys = ws.fresh_dir("governance-keys")
    (bob, bob_line), (alice, alice_line) = _person(ws, keys, "bob"), _person(ws, keys, "alice")
    (root / ".gitmodel").mkdir(exist_ok=True)
    (root / ".gitmodel" / "allowed_signers").write_text(f"{bob_line}\n{alice_line}\n")
    (root / ".gitmodel.yaml").write_text((root / ".gitmodel.yaml").read_text() + CONFIG)
    (root / "model.bin").write_text("weights 0\n")
    ws.sh([*ws.gm, "add", "m", "--weights", "model.bin", "--git", "model.bin"], root)
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", "m")
    ws.git(root, "config", "gpg.format", "ssh")

    def act(key: Path, name: str) -> None:
        ws.git(root, "config", "user.signingkey", str(key))
        ws.git(root, "config", "user.email", f"{name}@example.com")

    for n in range(RELEASES):
        if n:
            (root / "model.bin").write_text(f"weights {n}\n")
            ws.sh([*ws.gm, "bump", "m"], root)
            ws.git(root, "commit", "-q", "-am", f"m {n}")
        act(bob, "bob")
        version = ws.sh([*ws.gm, "tag", "m", "--json"], root).split('"version": "')[1].split('"')[0]
        act(alice, "alice")
        ws.sh([*ws.gm, "approve", f"m@v{version}", "--role", "ml-lead"], root)
        ws.sh([*ws.gm, "promote", f"m@v{version}", "prod"], root)
    tags = ws.git(root, "tag", "-l").split()
    if len(tags) != 3 * RELEASES:
        raise BenchError(f"expected {3 * RELEASES} signed tags, found {len(tags)}")
    signers = root / ".gitmodel" / "allowed_signers"
    loop = ["sh", "-c", f'for t in "$@"; do git -c gpg.ssh.allowedSignersFile={signers} verify-tag "$t" '
            '2>/dev/null || exit 1; done', "loop", *tags]
    gm, peer = Series("gitmodel audit --verify"), Series("git verify-tag loop")
    alternate([(gm, lambda: ws.run([*ws.gm, "audit", "m", "--verify", "--json"], root)),
               (peer, lambda: ws.run(loop, root))], ctx.runs)
    ratio = time_ratio(gm, peer)
    row = ctx.row(KEY)
    row.gitmodel, row.peer, row.ratio = fmt_series(gm), fmt_series(peer), f"{fmt_ratio(ratio)}×"
    row.verdict, row.runs = verdict(ratio <= 1.5), runs_label(gm)
