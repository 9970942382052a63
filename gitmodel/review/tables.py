"""One renderer per table format, and one escaping rule for Markdown: strings only, no I/O.

- `markdown_table`: GitHub Markdown tables (PR comments from `diff`, `metrics --format markdown`, model cards).
- `text_table`: plain aligned columns (terminals without colour, pipes, CI logs, golden files). The CLI draws
  the same cells as a Rich table on a terminal (`gitmodel.cli.output.table`).

The Markdown rule, for every value that came from data (a cell, a list item): on one line, every control
and format character, a newline included, shown as its escape (`\\n`, `\\x1b`: `gitmodel.infra.errors.printable`,
so `a b` and `a<newline>b` never look alike in a review), and `|` escaped so it cannot open a column.
Backticks are left to the writer in text (release notes use them for code); in a code span (`md_code`) the
fence is made longer than any run of backticks inside, so a path or value holding one cannot end the span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gitmodel.infra.errors import printable


class Code(str):
    """A table cell shown as a code span (`md_code`) instead of as text."""

    __slots__ = ()


Cell = str | None  # None: a blank cell, written `| |` (a column this row has no value for)


def md_text(text: str) -> str:
    """A value from data as Markdown text on one line (the one escaping rule: see the module docstring)."""
    return printable(text).replace("|", "\\|")


def md_code(text: str) -> str:
    """A value from data as a Markdown code span: the text rule, inside a fence no backtick run can close."""
    body = md_text(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    if not longest:
        return f"`{body}`"
    pad = " " if body.startswith("`") or body.endswith("`") else ""  # CommonMark strips one space each side
    fence = "`" * (longest + 1)
    return f"{fence}{pad}{body}{pad}{fence}"


def _md_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    return md_code(cell) if isinstance(cell, Code) else md_text(cell)


def _md_row(cells: Sequence[Cell]) -> str:
    return "|" + "".join(" |" if c is None else f" {_md_cell(c)} |" for c in cells)


def markdown_table(headers: Sequence[Cell], rows: Sequence[Sequence[Cell]], *,
                   right: Sequence[int] = ()) -> list[str]:
    """The lines of a Markdown table; every cell is escaped here (`Code` cells become code spans).

    `right`: indexes of the columns aligned right (numbers)."""
    lines = [_md_row(headers), "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|"]
    lines += [_md_row(row) for row in rows]
    return lines


def text_table(rows: Sequence[Sequence[object]]) -> list[str]:
    """Plain aligned columns, two spaces apart, the first row being the headers; None is an empty cell."""
    if not rows:
        return []
    # printable() only where a cell needs it, and one format per row: `ls` of 10,000 models renders 50,000 cells
    cells = [["" if v is None else t if (t := str(v)).isprintable() else printable(t) for v in row] for row in rows]
    widths = [max(map(len, column)) for column in zip(*cells, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    return [line.format(*row).rstrip() for row in cells]


def csv_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV for compliance tooling and spreadsheets (rows end in a newline, as `out` prints them): each value
    on one line (the printable rule), and one starting with = + - @ gets a leading ' so a spreadsheet never
    runs it as a formula."""
    import csv
    import io

    def cell(value: object) -> str:
        text = "" if value is None else printable(str(value))
        return "'" + text if text[:1] in ("=", "+", "-", "@") else text

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([cell(h) for h in headers])
    writer.writerows([[cell(v) for v in row] for row in rows])
    return buffer.getvalue()
