"""The one progress display: Rich bars on stderr, built for the domain's `progress` callbacks
(gitmodel/infra/progress.py) when a person is watching."""

from __future__ import annotations

import contextlib
import sys

TYPE_CHECKING = False  # `check`'s Typer-free fast path imports this module: typing costs it ~4 ms
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from gitmodel.infra.progress import Progress


class TerminalBars:
    """A transient bar per label on stderr: started by a label's first report, removed when done reaches total."""

    def __init__(self) -> None:
        self._bars: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if self._bars is None:
            # rich costs tens of milliseconds to import: only a long operation on a terminal pays for it
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TimeRemainingColumn

            self._bars = Progress(SpinnerColumn(), "[progress.description]{task.description}", BarColumn(),
                                  DownloadColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                                  transient=True)
            self._bars.start()
        task = self._tasks.get(label)
        if task is None:
            task = self._tasks[label] = self._bars.add_task(label, total=total)
        self._bars.update(task, completed=done)
        if done >= total:
            self._bars.remove_task(task)
            del self._tasks[label]
            if not self._tasks:
                self._bars.stop()
                self._bars = None


    def close(self) -> None:
        """Take every bar off the terminal (an operation that failed half-way reports no end)."""
        if self._bars is not None:
            self._bars.stop()
            self._bars, self._tasks = None, {}


@contextlib.contextmanager
def progress_for(json_out: bool) -> Iterator[Progress | None]:
    """Bars only for a person watching: stderr is a terminal and stdout is not JSON; None otherwise."""
    if not sys.stderr.isatty() or json_out:
        yield None
        return
    bars = TerminalBars()
    try:
        yield bars
    finally:
        bars.close()
