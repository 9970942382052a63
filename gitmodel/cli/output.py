"""The one place that prints. Commands hand results here; domain code never prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"warning: {text}\n")


def emit_json(data: Any) -> None:
    """stdout is pure JSON for --json."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
    """A rich table on a terminal; plain aligned columns otherwise (stable for pipes and golden tests)."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        tbl = Table(*headers, title=title)
        for row in rows:
            tbl.add_row(*("" if v is None else str(v) for v in row))
        Console().print(tbl)
        return
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if title:
        out(title)
    for row in cells:
        out("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def rich_out(markup: str) -> None:
    """Rich markup on a terminal (rich honours NO_COLOR); callers pass plain text anywhere else."""
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(markup)
