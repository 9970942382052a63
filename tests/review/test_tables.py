"""gitmodel.review.tables: one Markdown table renderer with one escaping rule, one plain-text table renderer."""

from __future__ import annotations

from gitmodel.review import render
from gitmodel.review.deltas import DiffReport, FileDelta, ModelDiff, ValueDelta
from gitmodel.review.tables import Code, markdown_table, md_code, md_text, text_table
from gitmodel.review.trends import MetricRow, MetricsReport


def _columns(line: str) -> int:
    """Columns GitHub sees in a table row: the cells between unescaped pipes."""
    return line.replace("\\|", "").count("|") - 1


def test_a_markdown_table_escapes_every_cell_by_one_rule() -> None:
    lines = markdown_table(["key", None], [["a|b", "x\x1b[2Jy"], [Code("p`q"), None], ["", "line\nbreak"]], right=[1])
    assert lines == [
        "| key | |",
        "|---|---:|",
        "| a\\|b | x\\x1b[2Jy |",
        "| ``p`q`` | |",
        "|  | line\\nbreak |",
    ]
    assert {_columns(line) for line in lines} == {2}


def test_a_code_span_holds_any_backticks() -> None:
    assert md_code("models/a.yaml") == "`models/a.yaml`"
    assert md_code("a``b") == "```a``b```"
    assert md_code("`edge`") == "`` `edge` ``"  # CommonMark strips the padding spaces
    assert md_text("release `v1` notes") == "release `v1` notes"  # text keeps the writer's code spans


def test_text_tables_align_and_show_escapes() -> None:
    assert text_table([["name", "n"], ["a\x1bb", 10], ["long-name", None]]) == [
        "name       n",
        "a\\x1bb     10",
        "long-name",
    ]


def test_a_metric_name_with_a_pipe_keeps_the_metrics_table_whole() -> None:
    """The old metrics renderer escaped the rows but not the header: `a|b` gave the header one column too many."""
    report = MetricsReport("m", [MetricRow("v0.1.0", "0.1.0", "2026-01-15", {"a|b": 0.5})], ["a|b"])
    table = [line for line in render.metrics_markdown(report).splitlines() if line.startswith("|")]
    assert table[0] == "| version | date | a\\|b |"
    assert {_columns(line) for line in table} == {3}


def test_a_newline_in_a_value_is_shown_not_hidden_in_a_review() -> None:
    """The old diff renderer turned a newline into a space: a param changed from `a b` to `a<newline>b` read as
    `a b → a b`, an invisible change; the one rule shows it."""
    model = ModelDiff("m", "changed", None, "0.1.0", "0.1.1", params=[ValueDelta("prompt", "changed", "a b", "a\nb")],
                      files=[FileDelta("prompts", "p|q.txt", "changed", "a" * 64, "b" * 64, 1, 2)])
    text = render.diff_markdown(DiffReport("v0.1.0", "working tree", [model], []))
    assert "- `prompt: a b → a\\nb`" in text
    assert "| prompts | `p\\|q.txt` | changed | `aaaaaaaa → bbbbbbbb` | 1 B → 2 B (+1 B) |" in text


def test_csv_cells_are_one_line_and_never_a_formula() -> None:
    import csv
    import io

    from gitmodel.review.tables import csv_table

    text = csv_table(["who", "what"], [["=HYPERLINK(\"http://x\")", "a,b\nc"], ["+1", None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["who", "what"], ["'=HYPERLINK(\"http://x\")", "a,b\\nc"], ["'+1", ""]]
