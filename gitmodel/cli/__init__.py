"""Typer CLI: parse arguments, call ONE domain function, print its result. One error funnel in main()."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

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
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the funnel: anything else is our bug
        if traceback:
            raise
        if type(exc).__name__ == "Abort":  # Click turns Ctrl-C into Abort
            sys.stderr.write("error: interrupted\n")
            sys.exit(int(ExitCode.INTERRUPTED))
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):  # a usage error from Typer's Click
            _usage_error(exc, show)
            sys.exit(int(ExitCode.INVALID_INPUT) if code == 2 else code)
        sys.stderr.write(f"error: unexpected error: {type(exc).__name__}: {exc} — "
                         "rerun with GITMODEL_TRACEBACK=1 and report it\n")
        sys.exit(int(ExitCode.INTERNAL))
    sys.exit(rv if isinstance(rv, int) else 0)


def _usage_error(exc: Exception, show: Callable[[], object]) -> None:
    """Click's usage errors as the one line every other error is: `error: <command>: <what> — <help>`."""
    format_message = getattr(exc, "format_message", None)
    if type(exc).__name__ == "NoArgsIsHelpError" or not callable(format_message):
        show()  # bare `gitmodel`: the help is the answer
        return
    command = getattr(getattr(exc, "ctx", None), "command_path", None) or "gitmodel"
    message = " ".join(str(format_message()).split())
    sys.stderr.write(f"error: {command}: {message} — see `{command} --help`\n")
