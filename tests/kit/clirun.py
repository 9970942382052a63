"""Run the real CLI entry point (`gitmodel.cli.main`) inside the test process, as a subprocess would see it.

A `python -m gitmodel` subprocess costs ~0.5-1 s (interpreter start, Typer, DVC imports); in-process it
costs the command's own work. What the process boundary gives for free is rebuilt here and undone after:

- argv, the current directory, os.environ (with the caller's overrides), the umask, signal handlers;
- file descriptors 0/1/2 point at temporary files for the run, and sys.stdin/stdout/stderr are new text
  streams over them, so output of child processes (git, hooks) lands in the same place and order as
  Python's own, as with `subprocess.run(..., capture_output=True)`; none of them is a TTY;
- warnings are shown on stderr under Python's default filters (not collected by pytest);
- gitmodel's module-level state (the parse memo) and logging handlers bound to
  the run's streams.

What it cannot rebuild is a fresh interpreter: tests about import cost, environment variables read at
import time, signals sent to the process, concurrency between processes, or git hooks use
`tests.kit.cli.gm_subprocess` (or `subprocess` directly). `run_in_process` hands those cases to the subprocess
runner itself when the environment overrides name a variable read at start-up (see PROCESS_ENV).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
import tempfile
import traceback
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

from tests.kit.env import REPO_ROOT

# Read once, when Python or gitmodel starts: a different value of these needs a fresh process.
PROCESS_ENV = frozenset({"GITMODEL_LOCK_TIMEOUT", "LC_ALL", "LC_CTYPE", "LANG"})
PROCESS_ENV_PREFIXES = ("PYTHON",)


def needs_process(env: Mapping[str, str] | None) -> bool:
    """True when `env` changes a variable only a new interpreter would see (a whole environment may be
    passed: only values that differ from this process's count). A PYTHONPATH that starts with this
    checkout imports what this process already has."""
    for key, value in (env or {}).items():
        if not (key in PROCESS_ENV or key.startswith(PROCESS_ENV_PREFIXES)) or os.environ.get(key) == value:
            continue
        if key == "PYTHONPATH" and Path(value.split(os.pathsep)[0] or ".").resolve() == REPO_ROOT:
            continue
        return True
    return False


def _universal(data: bytes, errors: str = "strict") -> str:
    """What `subprocess.run(text=True)` makes of the bytes: UTF-8 (the tests' C.UTF-8 locale), \\n newlines."""
    return data.decode("utf-8", errors).replace("\r\n", "\n").replace("\r", "\n")


@contextlib.contextmanager
def _environment(cwd: Path, env: Mapping[str, str] | None) -> Iterator[None]:
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_umask = os.umask(0o022)
    os.umask(saved_umask)
    saved_signals = {}
    for sig in signal.valid_signals():
        with contextlib.suppress(OSError, ValueError):
            saved_signals[sig] = signal.getsignal(sig)
    try:
        os.environ.update(env or {})
        os.chdir(cwd)
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        os.umask(saved_umask)
        for sig, handler in saved_signals.items():
            if handler is not None and signal.getsignal(sig) is not handler:
                with contextlib.suppress(OSError, ValueError, TypeError):
                    signal.signal(sig, handler)


@contextlib.contextmanager
def _gitmodel_state() -> Iterator[None]:
    """gitmodel's module-level state: as a fresh process would have it during the run, as it was after."""
    fileio = sys.modules.get("gitmodel.infra.fileio")
    memo = getattr(fileio, "_memo", None)
    try:
        yield
    finally:
        fileio = sys.modules.get("gitmodel.infra.fileio")
        if fileio is not None:
            fileio.use_parse_memo(memo)


def _drop_handlers_on(streams: tuple[Any, ...]) -> None:
    """Logging handlers created during the run that write to the run's streams would outlive them."""
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    for logger in loggers:
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and handler.stream in streams:
                logger.removeHandler(handler)


@contextlib.contextmanager
def _std_streams(stdin_data: bytes) -> Iterator[tuple[Any, Any]]:
    """fds 0/1/2 and sys.std* on temporary files; yields the (stdout, stderr) files to read afterwards."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        fin.write(stdin_data)
        fin.seek(0)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        saved_fds = {fd: os.dup(fd) for fd in (0, 1, 2)}
        saved_std = (sys.stdin, sys.stdout, sys.stderr)
        opened: list[io.TextIOWrapper] = []
        try:
            for fd, target in ((0, fin), (1, fout), (2, ferr)):
                os.dup2(target.fileno(), fd)
            sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
            sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
            sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                          errors="backslashreplace", write_through=True)
            opened = [sys.stdin, sys.stdout, sys.stderr]
            yield fout, ferr
        finally:
            for stream in opened[1:]:
                with contextlib.suppress(Exception):
                    stream.flush()
            _drop_handlers_on(tuple(opened))
            sys.stdin, sys.stdout, sys.stderr = saved_std
            for fd, saved in saved_fds.items():
                os.dup2(saved, fd)
                os.close(saved)
            for stream in opened:
                with contextlib.suppress(Exception):
                    stream.close()


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                  line: str | None = None) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")  # sys.exit("message"): Python prints it and exits 1
    return 1


def run_in_process(cwd: Path, args: tuple[str, ...], *, input: str | None = None,
                   env: Mapping[str, str] | None = None) -> CompletedProcess[str]:
    """`gitmodel ARGS` through `gitmodel.cli.main`, shaped like `subprocess.run(..., text=True, capture_output=True)`."""
    from gitmodel.cli import main

    argv = ["gitmodel", *args]
    saved_argv = sys.argv
    with _environment(Path(cwd), env), _gitmodel_state(), _std_streams((input or "").encode()) as (fout, ferr):
        sys.argv = argv
        try:
            with warnings.catch_warnings():
                warnings.resetwarnings()  # a fresh interpreter's defaults, not pytest's "collect everything"
                for action, category in (("ignore", DeprecationWarning), ("ignore", PendingDeprecationWarning),
                                         ("ignore", ImportWarning), ("ignore", ResourceWarning)):
                    warnings.simplefilter(action, category)  # type: ignore[arg-type]
                warnings.showwarning = _show_warning
                main(list(args))
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except KeyboardInterrupt:
            traceback.print_exc()
            code = 130
        except Exception:  # noqa: BLE001 - what Python does with an uncaught exception: print it, exit 1
            traceback.print_exc()
            code = 1
        finally:
            sys.argv = saved_argv
            sys.stdout.flush()
            sys.stderr.flush()
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    return CompletedProcess(argv, code, _universal(out, "replace"), _universal(err, "replace"))
