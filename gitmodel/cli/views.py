"""Printing of the hot read commands, shared by their Typer commands and the Typer-free fast path."""

from __future__ import annotations

from pathlib import Path

from gitmodel.cli.output import emit_json, err, out, table, warn
from gitmodel.infra.errors import ExitCode
from gitmodel.repo.git import toplevel as _root

TYPE_CHECKING = False  # typing costs the read commands ~6 ms to import; the name alone is enough for mypy
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")


def _memoized(root: Path, fn: Callable[[], T]) -> T:
    """Run `fn` with the parsed-YAML memo the hook keeps (.git/gitmodel/parsed-yaml12.json): 100 manifests gitmodel
    wrote or parsed before need no YAML parse (status on a 100-model repo: about 1 ms each saved)."""
    from gitmodel.gate.hook import ParseMemo
    from gitmodel.infra.fileio import use_parse_memo
    from gitmodel.repo import git

    memo = ParseMemo(git.git_dir(root))
    memo.install()
    try:
        result = fn()
        # only after success (a command that fails leaves the repository as it was, caches included), and
        # before the memo is removed: removing it empties the parses it collected
        memo.save()
    finally:
        use_parse_memo(None)
    return result


def read_root(repo: str | None, *, names: set[str] | None = None, head: bool = False,
              refs: list[str] | None = None) -> Path:
    """The root a read command runs on: this work tree, the one `repo` names, or for a git URL (or a bare
    repository) the per-user cache holding what the command reads of it (warnings on stderr)."""
    if repo is None:
        return _root()
    from gitmodel.repo.remote import is_remote

    if not is_remote(repo):
        return _root(Path(repo))
    from gitmodel.storage.resolve_remote import remote_root

    root, notes = remote_root(repo, names=names, head=head, refs=refs)
    for note in notes:
        warn(note)
    return root


def show_ls(json_out: bool, repo: str | None = None) -> int:
    from gitmodel.review.status import list_models

    root = read_root(repo, head=True)
    rev = None
    if repo is not None:
        from gitmodel.repo.remote import is_remote  # only for --repo: this work tree needs none of it

        rev = "HEAD" if is_remote(repo) else None  # a remote is read at its HEAD commit
    models, warnings = _memoized(root, lambda: list_models(root, rev=rev) if rev else list_models(root))
    for w in warnings:
        warn(w)
    if json_out:
        emit_json([m.to_json() for m in models])
        return ExitCode.OK
    if not models:
        out("no models yet: gitmodel add NAME --weights PATH")
        return ExitCode.OK
    table(["model", "version", "released", "stages", "state"],
          [[m.name, m.version, m.released or "-", ", ".join(f"{s}={v}" for s, v in sorted(m.stages.items())) or "-",
            m.state + (" (deprecated)" if m.deprecated else "")] for m in models])
    return ExitCode.OK


def show_status(names: list[str] | None, json_out: bool) -> int:
    from gitmodel.review.status import model_status

    root = _root()
    reports, warnings = _memoized(root, lambda: model_status(root, names or None))
    for w in warnings:
        warn(w)
    if json_out:
        emit_json([r.to_json() for r in reports])
        return ExitCode.OK
    if not reports:
        out("no models yet: gitmodel add NAME --weights PATH")
    lines = []  # written at once: 10,000 writes cost more than the lines (a large repository)
    for r in reports:
        state = "ok" if r.ok else "needs attention"
        lines.append(f"{r.name} {r.version} (latest release: {r.released or 'none'}) — {state}")
        lines += [f"  {c.level}: {c.describe()}" for c in r.changes]
        if r.changes:
            lines.append(f"  required bump since {r.released}: {r.required}")
        lines += [f"  ✗ {f.line()}" for f in r.findings]
    if lines:
        out("\n".join(lines))
    return ExitCode.OK


def show_check(staged: bool, base: str | None, json_out: bool) -> int:
    from gitmodel.cli.progress import progress_for
    from gitmodel.gate.check import CheckResult, run_check
    from gitmodel.gate.hook_index import check_scope
    from gitmodel.infra.progress import Progress

    root = _root()

    def check(progress: Progress | None) -> CheckResult:
        # --staged and --base judge only the models their change concerns (every model on a config change)
        names = check_scope(root, staged=staged, base=base) if staged or base is not None else None
        return run_check(root, mode="index" if staged else "worktree", base=base, names=names, progress=progress)

    with progress_for(json_out) as progress:
        result = _memoized(root, lambda: check(progress))
    if json_out:
        emit_json(result.to_json())
    else:
        for w in result.warnings:
            warn(w)
        for f in result.findings:
            err(f.line())
        (out if result.ok else err)(result.summary())
    return ExitCode.OK if result.ok else ExitCode.REFUSED


def show_versions(name: str, json_out: bool, repo: str | None = None) -> int:
    from gitmodel.repo.history import versions as list_versions

    result = list_versions(read_root(repo, names={name}), name)
    for w in result.warnings:
        warn(w)
    if json_out:
        emit_json(result.to_json())
        return ExitCode.OK
    if result.deprecated:
        warn(f"{name} is deprecated ({result.deprecated}): it holds no stage; a new release revives it")
    if not result.versions:
        out(f"{name} has no releases yet: gitmodel tag {name}")
        return ExitCode.OK
    table(["version", "date", "tagger", "commit", "stages", "approvals", "message"],
          [[v.version + (" (deregistered)" if v.deregistered else ""), v.date[:19].replace("T", " "),
            v.tagger, v.commit[:12], ", ".join(v.stages) or "-",
            ", ".join(f"{a.role}" for a in v.approvals) or "-", v.note.splitlines()[0] if v.note else v.subject]
           for v in result.versions])
    return ExitCode.OK


def show_push(names: list[str] | None, all_releases: bool, remote: str | None, json_out: bool) -> int:
    from gitmodel.cli.progress import progress_for
    from gitmodel.storage.transfer import push as do_push

    with progress_for(json_out) as progress:
        report = do_push(_root(), names, all_releases=all_releases, remote=remote, progress=progress)
    if json_out:
        emit_json(report.to_json())
        return ExitCode.OK
    out(f"remote {report.remote}: {report.url}")
    for status, path, versions in report.objects:
        out(f"  {status:<10}  {path}  ({', '.join(versions)})")
    if not report.pushed and not report.up_to_date:
        out("  nothing stored through DVC")
    return ExitCode.OK
