"""Typer CLI: parse arguments, call ONE domain function, print its result. One error funnel in main()."""

from __future__ import annotations

import os
import sys

import typer

from gitmodel.errors import ExitCode, GitmodelError

app = typer.Typer(
    name="gitmodel",
    help="Git-native model versioning: manifests pinned by sha256, semver release tags, hooks that block "
    "unversioned changes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module registers its commands on `app` (one module per area keeps merges and reviews small).
from gitmodel.cli import core as _core  # noqa: E402,F401
from gitmodel.cli import env_cmds as _env  # noqa: E402,F401
from gitmodel.cli import hooks_cmds as _hooks  # noqa: E402,F401
from gitmodel.cli import integrations_cmds as _integrations  # noqa: E402,F401
from gitmodel.cli import release_cmds as _release  # noqa: E402,F401
from gitmodel.cli import review_cmds as _review  # noqa: E402,F401
from gitmodel.cli import storage_cmds as _storage  # noqa: E402,F401


def _usage_line(exc: Exception, message: str) -> str:
    """Click's multi-line usage block as our one error line, naming the command and pointing at --help."""
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None) or "gitmodel"
    text = " ".join(message.split())
    return f"error: {command}: {text} — see `{command} --help`"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every failure leaves as one stderr line and a documented exit code."""
    traceback = os.environ.get("GITMODEL_TRACEBACK") == "1"
    try:
        rv = app(args=argv, prog_name="gitmodel", standalone_mode=False)
    except GitmodelError as exc:
        if traceback:
            raise
        sys.stderr.write(exc.line() + "\n")
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except BrokenPipeError:
        # `gitmodel ls --json | head`: the reader left; say nothing, and keep Python's flush at exit quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)  # as the Python docs advise for SIGPIPE
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the funnel: anything else is our bug
        if traceback:
            raise
        if type(exc).__name__ == "Abort":  # Click turns Ctrl-C into Abort
            sys.stderr.write("error: interrupted\n")
            sys.exit(int(ExitCode.INTERRUPTED))
        code = getattr(exc, "exit_code", None)
        fmt = getattr(exc, "format_message", None)
        if callable(fmt) and isinstance(code, int):  # a usage error from Typer's Click: one line, exit 2
            message = str(fmt())
            if not message.strip():  # bare `gitmodel`: no_args_is_help has printed the help already
                sys.exit(int(ExitCode.OK))
            sys.stderr.write(_usage_line(exc, message) + "\n")
            sys.exit(int(ExitCode.INVALID_INPUT) if code == 2 else code)
        sys.stderr.write(f"error: unexpected error: {type(exc).__name__}: {exc} — "
                         "rerun with GITMODEL_TRACEBACK=1 and report it\n")
        sys.exit(int(ExitCode.INTERNAL))
    if rv == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into a silent Exit(130)
        sys.stderr.write("error: interrupted\n")
    sys.exit(rv if isinstance(rv, int) else 0)
