"""The CLI: parse arguments, call ONE domain function, print its result. One error funnel in main().

Commands are Typer commands (gitmodel/cli/application.py and one module per area); the few read commands that
run on every commit or in tight loops also have a Typer-free parser (gitmodel/cli/fast.py), because
importing Typer costs ~60-80 ms, more than the work they do.
"""

from __future__ import annotations

import errno
import os
import sys

from gitmodel.infra.errors import ExitCode, GitmodelError, printable

TYPE_CHECKING = False  # typing costs the read commands ~6 ms to import; the name alone is enough for mypy
if TYPE_CHECKING:
    from typing import Any


def __getattr__(name: str) -> Any:
    """`app` is built on first use: the hot read commands (gitmodel/cli/fast.py) never import Typer."""
    if name == "app":
        from gitmodel.cli.application import app

        return app
    raise AttributeError(name)


def _usage_line(exc: Exception, message: str) -> str:
    """Click's multi-line usage block as our one error line, naming the command and pointing at --help."""
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None) or "gitmodel"
    text = " ".join(message.split())
    return printable(f"error: {command}: {text} — see `{command} --help`")


# The machine said no (disk full, read-only, permissions, I/O): an external failure, not our bug (exit 3)
_SYSTEM_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EMFILE,
                  errno.ENFILE, errno.EFBIG, errno.ENAMETOOLONG, errno.ETXTBSY}
_ERRNO_HINTS = {errno.ENOSPC: "free some disk space, then retry", errno.EDQUOT: "free space or raise the quota",
                errno.EROFS: "the file system is read-only: work in a writable clone",
                errno.EACCES: "check the permissions of that path", errno.EPERM: "check the permissions of that path",
                errno.EMFILE: "too many open files: raise `ulimit -n`", errno.ENFILE: "too many open files",
                errno.ENAMETOOLONG: "use a shorter path"}


def _os_error_line(exc: OSError) -> str:
    """`error: <file>: <what the system said> — <how to fix>`, one line, for an OSError nobody converted."""
    where = f"{exc.filename}: " if exc.filename else ""
    what = exc.strerror or os.strerror(exc.errno or 0)
    hint = _ERRNO_HINTS.get(exc.errno or 0, "fix the cause, then retry")
    return printable(f"error: {where}{' '.join(what.split())} — {hint}")


def _dispatch(argv: list[str] | None) -> Any:
    from gitmodel.cli.fast import run_fast

    code = run_fast(sys.argv[1:] if argv is None else argv)
    if code is not None:
        return code
    from gitmodel.cli.application import app

    return app(args=argv, prog_name="gitmodel", standalone_mode=False)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every failure leaves as one stderr line and a documented exit code."""
    traceback = os.environ.get("GITMODEL_TRACEBACK") == "1"
    try:
        rv = _dispatch(argv)
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
        if isinstance(exc, OSError) and exc.errno in _SYSTEM_ERRNOS:
            sys.stderr.write(_os_error_line(exc) + "\n")
            sys.exit(int(ExitCode.INVALID_INPUT) if exc.errno == errno.ENAMETOOLONG else int(ExitCode.EXTERNAL))
        code = getattr(exc, "exit_code", None)
        fmt = getattr(exc, "format_message", None)
        if callable(fmt) and isinstance(code, int):  # a usage error from Typer's Click: one line, exit 2
            message = str(fmt())
            if not message.strip():  # bare `gitmodel`: no_args_is_help has printed the help already
                sys.exit(int(ExitCode.OK))
            sys.stderr.write(_usage_line(exc, message) + "\n")
            sys.exit(int(ExitCode.INVALID_INPUT) if code == 2 else code)
        sys.stderr.write(printable(f"error: unexpected error: {type(exc).__name__}: {' '.join(str(exc).split())} — "
                                   "rerun with GITMODEL_TRACEBACK=1 and report it") + "\n")
        sys.exit(int(ExitCode.INTERNAL))
    if rv == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into a silent Exit(130)
        sys.stderr.write("error: interrupted\n")
    sys.exit(rv if isinstance(rv, int) else 0)
