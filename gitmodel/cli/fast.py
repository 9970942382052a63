"""A Typer-free parser for the hot commands: `ls`, `status`, `check`, `versions`, `push`.

Only plain forms are taken here (known options, positional names); anything else, `--help` included,
returns None and goes to Typer, which owns usage errors and help. Both paths print through
gitmodel/cli/views.py, so their output is the same.
"""

from __future__ import annotations


def run_fast(argv: list[str]) -> int | None:
    if not argv:
        return None
    command, rest = argv[0], argv[1:]
    if any(a in ("-h", "--help") or a == "--" for a in rest):
        return None
    repo = None
    for i, arg in enumerate(rest):  # `--repo URL` / `--repo=URL` (read commands on a git remote)
        if arg == "--repo" and i + 1 < len(rest) and not rest[i + 1].startswith("-"):
            repo, rest = rest[i + 1], rest[:i] + rest[i + 2:]
            break
        if arg.startswith("--repo="):
            repo, rest = arg.split("=", 1)[1], rest[:i] + rest[i + 1:]
            break
    flags = {a for a in rest if a.startswith("-")}
    positional = [a for a in rest if not a.startswith("-")]
    import gc

    # a read command lives for one answer: the objects it makes are freed at exit, and no collection walks
    # the 10,000 states of a large repository (gitmodel/infra/gcpause.py; paused_gc keeps it off after).
    # Every other command goes to Typer with the collector on.
    gc.disable()
    code = _dispatch(command, flags, positional, repo)
    if code is None:
        gc.enable()
    return code


def _dispatch(command: str, flags: set[str], positional: list[str], repo: str | None) -> int | None:
    from gitmodel.cli import views

    if command == "ls" and flags <= {"--json"} and not positional:
        return views.show_ls("--json" in flags, repo)
    if repo is not None and command not in ("ls", "versions"):
        return None
    if command == "status" and flags <= {"--json"}:
        return views.show_status(positional or None, "--json" in flags)
    if command == "versions" and flags <= {"--json"} and len(positional) == 1:
        return views.show_versions(positional[0], "--json" in flags, repo)
    if command == "push" and flags <= {"--json", "--all-releases"}:
        # a byte mover, but Typer's start-up is ~8% of pushing 1 GiB to a local remote
        return views.show_push(positional or None, "--all-releases" in flags, None, "--json" in flags)
    if command == "check" and flags <= {"--json", "--staged"} and not positional:
        return views.show_check("--staged" in flags, None, "--json" in flags)
    return None
