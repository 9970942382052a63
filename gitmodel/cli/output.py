"""The one place that prints. Commands hand results here; domain code never prints.

Everything printed for a person goes through gitmodel.infra.errors.printable (the one sanitiser): a tag, a
tagger name, a manifest field or a metric key can never send an escape sequence to the reader's terminal.
JSON is strict (RFC 8259: no NaN or Infinity) and carries no raw C1 or bidi characters either.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence

from gitmodel.infra.errors import InvalidInput, printable

TYPE_CHECKING = False  # typing costs the read commands ~6 ms to import; the name alone is enough for mypy
if TYPE_CHECKING:
    from typing import Any


def out(text: str = "") -> None:
    sys.stdout.write(printable(text, newlines=True) + "\n")


def err(text: str) -> None:
    sys.stderr.write(printable(text, newlines=True) + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"warning: {printable(text)}\n")


def _finite(data: Any, path: str, found: list[str]) -> Any:
    """`data` with every NaN/Infinity replaced by None; `found` collects where they were."""
    if isinstance(data, float) and not math.isfinite(data):
        found.append(path or "(top)")
        return None
    if isinstance(data, dict):
        return {k: _finite(v, f"{path}.{k}" if path else str(k), found) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v, f"{path}[{i}]", found) for i, v in enumerate(data)]
    return data


def _json_safe(text: str) -> str:
    """JSON already escapes C0 controls; escape the other non-printables (C1, bidi) the same way, so a
    terminal showing the JSON is as safe as one showing text. Only string contents can hold them."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n " else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000
                   else "".join(f"\\u{u:04x}" for u in _surrogates(ord(ch))) for ch in text)


def _surrogates(code: int) -> tuple[int, int]:
    code -= 0x10000
    return 0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)


def dumps_json(data: Any) -> str:
    """Strict JSON text for `--json`: a non-finite number becomes null with a warning, never `NaN`."""
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        found: list[str] = []
        data = _finite(data, "", found)
        for where in found:
            warn(f"{where}: not a finite number; written as null in the JSON output")
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    except RecursionError:
        raise InvalidInput("the data is nested too deeply to print as JSON", where="--json",
                           hint="fix the manifest (nesting of a few levels is all a manifest needs)") from None
    return _json_safe(text)


def emit_json(data: Any) -> None:
    """stdout is pure JSON for --json."""
    sys.stdout.write(dumps_json(data) + "\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
    """A rich table on a terminal; plain aligned columns otherwise (stable for pipes and golden tests)."""
    from gitmodel.review.tables import text_table

    if sys.stdout.isatty():
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        tbl = Table(*(printable(str(h)) for h in headers), title=printable(title) if title else None)
        for row in rows:
            tbl.add_row(*(escape("" if v is None else printable(str(v))) for v in row))
        Console().print(tbl)
        return
    if title:
        out(title)
    lines = text_table([list(headers), *rows])
    if lines:
        out("\n".join(lines))  # one write: 10,000 rows of `ls` cost more written one by one


def rich_out(markup: str) -> None:
    """Rich markup on a terminal (rich honours NO_COLOR); callers pass plain text anywhere else."""
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(printable(markup, newlines=True))
