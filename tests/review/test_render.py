"""gitmodel/review/render.py: values, sizes and hashes as a reviewer reads them, and what hostile or odd data
(pipes, newlines, escape sequences, rich markup, unicode) does to a Markdown table and a terminal view."""

from __future__ import annotations

import pytest

from gitmodel.model.semver import Level
from gitmodel.review import render
from gitmodel.review.deltas import DiffReport, FileDelta, MetricPoint, ModelDiff, ValueDelta, metric_delta
from gitmodel.review.trends import MetricRow, MetricsReport

ESC = "\x1b]0;pwned\x07"  # an OSC title-setting sequence
BIDI = "\u202e"


def changed_model(**kw: object) -> ModelDiff:
    base: dict[str, object] = {"status": "changed", "old_name": None, "required": Level.MINOR,
                               "given": Level.MINOR, "ok": True, "reason": "prompts changed"}
    base.update(kw)
    return ModelDiff(name="sentiment", old_version="0.1.0", new_version="0.2.0", **base)  # type: ignore[arg-type]


def fd(path: str = "artifacts/model.bin", kind: str = "changed", old: int | None = 10, new: int | None = 20,
       note: str = "") -> FileDelta:
    return FileDelta("weights", path, kind, "0123456789abcdef" * 4, "fedcba9876543210" * 4, old, new, note=note)


# ------------------------------------------------------------------------------------------- values


@pytest.mark.parametrize(("v", "text"), [
    (None, "—"), (True, "true"), (False, "false"), ("x", "x"), (3, "3"),
    (1.0, "1.0"), (0.27999999999999997, "0.28"), (1e-20, "1e-20"),
    ({"b": 1, "a": "é"}, '{"a": "é", "b": 1}'),   # sorted keys, unicode as it is
    ([1, 2], "[1, 2]"),
])
def test_value(v: object, text: str) -> None:
    assert render.value(v) == text


def test_a_long_structured_value_is_cut_to_80_characters() -> None:
    text = render.value({"k": "x" * 200})
    assert len(text) == 80
    assert text.endswith("...")


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (1024**2, "1.0 MiB"),
    (-2048, "-2.0 KiB"), (5 * 1024**4, "5120.0 GiB"),   # GiB is the largest unit
])
def test_human_size(n: int, text: str) -> None:
    assert render.human_size(n) == text


@pytest.mark.parametrize(("old", "new", "text"), [
    (None, None, ""), (None, 2048, "2.0 KiB"), (2048, None, "2.0 KiB"),
    (1024, 2048, "1.0 KiB → 2.0 KiB (+1.0 KiB)"), (2048, 1024, "2.0 KiB → 1.0 KiB (-1.0 KiB)"),
    (5, 5, "5 B → 5 B (±0 B)"),
])
def test_size_change(old: int | None, new: int | None, text: str) -> None:
    assert render.size_change(fd(old=old, new=new)) == text


def test_sha_change_by_kind_and_short_of_nothing() -> None:
    assert render.sha_change(fd(kind="added")) == "→ fedcba98"
    assert render.sha_change(fd(kind="removed")) == "01234567 →"
    assert render.sha_change(fd()) == "01234567 → fedcba98"
    assert render.short(None) == render.short("") == "—"


def test_value_line_and_percent() -> None:
    assert render.value_line(ValueDelta("lr", "changed", 0.001, 0.0005)) == "lr: 0.001 → 0.0005"
    assert render.value_line(ValueDelta("epochs", "added", None, 3)) == "epochs: 3 (added)"
    assert render.value_line(ValueDelta("seed", "removed", 7, None)) == "seed: 7 (removed)"
    assert (render.percent(None), render.percent(0.021978), render.percent(-0.5)) == ("", "+2.2%", "-50.0%")


# ----------------------------------------------------------------------------------------- markdown


def test_no_model_changed_markdown_and_text() -> None:
    report = DiffReport("main", "HEAD", [], ["sentiment"])
    md = render.diff_markdown(report)
    assert "No model changed." in md
    assert "Unchanged: sentiment" in md
    assert md.endswith("\n")
    assert not md.endswith("\n\n")
    assert render.diff_text(report) == "main → HEAD\n\nno model changed\nunchanged: sentiment\n"


def test_a_pipe_or_newline_in_data_cannot_break_the_markdown_table() -> None:
    m = changed_model(reason="a | b\nc", files=[fd(path="data/a|b.csv")],
                      metrics=[metric_delta("f1|macro", "changed", "n/a", 0.5)])
    md = render.diff_markdown(DiffReport("main", "HEAD", [m], []))
    summary = next(line for line in md.splitlines() if line.startswith("| sentiment |"))
    assert summary.endswith("| a \\| b\\nc |")  # the newline shown, not folded into a space (tests/review/test_tables.py)
    assert summary.count(" | ") == 4  # still five cells
    assert "`data/a\\|b.csv`" in md
    assert "| f1\\|macro | n/a | 0.5 | changed | | |" in md


def test_escape_sequences_and_bidi_overrides_in_data_are_shown_never_sent() -> None:
    """The terminal view escapes every value from data; Markdown escapes its table cells (the rest of a
    Markdown report reaches a terminal only through the output module's sanitiser)."""
    m = changed_model(reason=f"by {ESC}", stale=[f"prompts/{BIDI}txt.exe"],
                      params=[ValueDelta(f"k{ESC}", "added", None, 1)])
    report = DiffReport("main", "HEAD", [m], [])
    for text in (render.diff_text(report), render.diff_text(report, styled=True)):
        assert "\x1b" not in text
        assert "\x07" not in text
        assert BIDI not in text
        assert "\\x1b" in text
        assert "\\u202e" in text
    markdown = render.diff_markdown(report)
    cells = [line for line in markdown.splitlines() if line.startswith(("|", "- ", "## "))]
    assert not any("\x1b" in line or BIDI in line for line in cells)
    assert "| by \\x1b]0;pwned\\x07 |" in markdown
    assert "- `prompts/\\u202etxt.exe`" in markdown


def test_judgement_rows_for_renamed_added_and_failing_models() -> None:
    renamed = changed_model(status="renamed", old_name="old")
    added = ModelDiff("fresh", "added", None, None, "0.1.0")
    failing = changed_model(ok=False, given=Level.PATCH, reason="prompts changed: minor required")
    md = render.diff_markdown(DiffReport("a", "b", [renamed, added, failing], []))
    assert "| old → sentiment | 0.1.0 → 0.2.0 | minor | minor ✅ |" in md
    assert "| fresh | — → 0.1.0 | — | — (added) |" in md
    assert "| sentiment | 0.1.0 → 0.2.0 | minor | patch ❌ |" in md
    assert "### sentiment: 0.1.0 → 0.2.0 (renamed from old)" in md
    assert "### fresh: — → 0.1.0 (added)" in md
    assert [render.judgement(x) for x in (renamed, added, failing)] == ["ok", "added", "FAIL"]


def test_charts_only_when_asked_and_history_exists() -> None:
    f1 = [metric_delta("f1", "changed", 0.8, 0.9)]
    with_history = changed_model(metrics=f1, history={"f1": [MetricPoint("v0.1.0", 0.8), MetricPoint("v0.2.0", 0.9)]})
    report = DiffReport("a", "b", [with_history], [])
    assert "```mermaid" in render.diff_markdown(report)
    assert "```mermaid" not in render.diff_markdown(report, charts=False)
    assert "<details>" not in render.diff_markdown(DiffReport("a", "b", [changed_model(metrics=f1)], []))


def test_file_note_and_size_in_text_view() -> None:
    m = changed_model(files=[fd(note="storage git → dvc", old=None, new=None)])
    text = render.diff_text(DiffReport("a", "b", [m], []))
    assert "    weights     artifacts/model.bin  changed (storage git → dvc)  01234567 → fedcba98\n" in text


# -------------------------------------------------------------------------------------------- text


def test_styled_text_escapes_rich_markup_from_data_and_plain_text_does_not() -> None:
    m = changed_model(reason="[bold red]not a style[/]", metrics=[metric_delta("loss", "changed", 0.3, 0.2)])
    report = DiffReport("a", "b", [m], [])
    plain, styled = render.diff_text(report), render.diff_text(report, styled=True)
    assert "  [bold red]not a style[/]\n" in plain
    assert "  \\[bold red]not a style\\[/]\n" in styled
    assert "[green]-0.1 -33.3% better[/]" in styled      # style markup only where the renderer put it
    assert "-0.1 -33.3% better" in plain
    assert "[green]" not in plain


def test_non_numeric_metric_in_text_shows_its_kind() -> None:
    m = changed_model(metrics=[metric_delta("label", "changed", "pos", "neg")])
    assert "    label: pos → neg (changed)\n" in render.diff_text(DiffReport("a", "b", [m], []))


# ----------------------------------------------------------------------------------------- metrics


def metrics_report() -> MetricsReport:
    return MetricsReport("sentiment", [
        MetricRow("v0.1.0", "0.1.0", "2026-01-15T10:00:00+00:00", {"accuracy": 0.91}),
        MetricRow("v0.2.0", "0.2.0", None, {"accuracy": 0.93, "note": "a|b"}),
    ], ["accuracy", "note"])


def test_metrics_text_aligns_columns_and_leaves_missing_cells_empty() -> None:
    lines = render.metrics_text(metrics_report()).splitlines()
    assert lines[0] == "sentiment: metrics across releases"
    header, first, second, trend = lines[1:]
    assert header.split() == ["version", "date", "accuracy", "note"]
    assert first.split() == ["v0.1.0", "2026-01-15", "0.91"]          # no note at 0.1.0; the date is the day
    assert second.split() == ["v0.2.0", "0.93", "a|b"]
    assert header.index("accuracy") == first.index("0.91") == second.index("0.93")
    assert trend.startswith("trend")


def test_metrics_markdown_escapes_cells_and_says_when_nothing_was_recorded() -> None:
    md = render.metrics_markdown(metrics_report())
    assert "| version | date | accuracy | note |" in md
    assert "|---|---|---:|---:|" in md
    assert "| v0.1.0 | 2026-01-15 | 0.91 |  |" in md
    assert "| v0.2.0 |  | 0.93 | a\\|b |" in md                   # a cell from data cannot add a column
    empty = MetricsReport("m", [MetricRow("v0.1.0", "0.1.0", None, {})], [])
    assert render.metrics_markdown(empty) == "## m: metrics across releases\n\nNo metrics recorded in any release.\n"
    assert render.metrics_text(empty) == "m: no metrics recorded in any release\n"
