"""Render review results as Markdown (PR comments), plain/styled text (terminals) — strings only, no I/O.

Styled text uses rich markup; the CLI prints it through rich on a terminal and prints the plain variant
everywhere else, so pipes, CI logs and golden files never see escape codes.
"""

from __future__ import annotations

import json
from typing import Any

from gitmodel.infra.errors import printable
from gitmodel.review.deltas import DiffReport, FileDelta, MetricDelta, ModelDiff, ValueDelta
from gitmodel.review.tables import Cell, Code, markdown_table, md_code, md_text, text_table
from gitmodel.review.trends import MetricsReport, mermaid_chart, sparkline

SHORT = 8


# ------------------------------------------------------------------------------------------ values


def value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return repr(v) if v.is_integer() else f"{v:.12g}"  # 0.27999999999999997 reads as 0.28
    if isinstance(v, dict | list):
        text = json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
        return text if len(text) <= 80 else text[:77] + "..."
    return str(v)


def short(sha: str | None) -> str:
    return sha[:SHORT] if sha else "—"


def human_size(n: int) -> str:
    size = float(abs(n))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            text = f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
            return ("-" if n < 0 else "") + text
        size /= 1024
    return str(n)  # pragma: no cover - the loop always returns


def size_change(f: FileDelta) -> str:
    if f.old_size is None and f.new_size is None:
        return ""
    if f.old_size is None:
        return human_size(f.new_size or 0)
    if f.new_size is None:
        return human_size(f.old_size)
    delta = f.new_size - f.old_size
    sign = "+" if delta > 0 else "±" if delta == 0 else ""
    return f"{human_size(f.old_size)} → {human_size(f.new_size)} ({sign}{human_size(delta)})"


def sha_change(f: FileDelta) -> str:
    if f.kind == "added":
        return f"→ {short(f.new_sha256)}"
    if f.kind == "removed":
        return f"{short(f.old_sha256)} →"
    return f"{short(f.old_sha256)} → {short(f.new_sha256)}"


def signed(x: float) -> str:
    return f"{x:+.6g}"


def percent(x: float | None) -> str:
    return "" if x is None else f"{x * 100:+.1f}%"


def value_line(v: ValueDelta) -> str:
    if v.kind == "added":
        return f"{v.key}: {value(v.new)} (added)"
    if v.kind == "removed":
        return f"{v.key}: {value(v.old)} (removed)"
    return f"{v.key}: {value(v.old)} → {value(v.new)}"


def judgement(m: ModelDiff) -> str:
    if m.ok is None:
        return m.status
    return "ok" if m.ok else "FAIL"


def versions(m: ModelDiff) -> str:
    return f"{m.old_version or '—'} → {m.new_version or '—'}"


# ---------------------------------------------------------------------------------------- markdown


def _md_metric(m: MetricDelta) -> list[Cell]:
    if m.delta is None:
        return [m.name, value(m.old), value(m.new), m.kind, None, None]
    arrow = "▲" if m.delta > 0 else "▼" if m.delta < 0 else "="
    verdict = "" if m.better is None else ("better" if m.better else "worse")
    return [m.name, value(m.old), value(m.new), f"{arrow} {signed(m.delta)}", percent(m.relative), verdict]


def _md_model(m: ModelDiff, *, charts: bool) -> list[str]:
    title = f"### {m.name}: {versions(m)}"
    if m.status in ("added", "removed"):
        title += f" ({m.status})"
    elif m.status == "renamed":
        title += f" (renamed from {m.old_name})"
    lines = [title, ""]
    if m.ok is not None:
        mark = "✅" if m.ok else "❌"
        lines += [f"{mark} required **{m.required}**, given **{m.given}**: {m.reason}", ""]
    if m.stale:
        lines += ["⚠️ **Stale manifest**: these files changed in the working tree since the manifest was written, "
                  "so this diff cannot show them:", ""] + [f"- {md_code(x)}" for x in m.stale] + [""]
    if m.files:
        rows = [[f.component, Code(f.path), f.kind + (f" ({f.note})" if f.note else ""), Code(sha_change(f)),
                 size_change(f)] for f in m.files]
        lines += ["**Components**", "", *markdown_table(["Component", "Path", "Change", "sha256", "Size"], rows), ""]
    if m.params:
        lines += ["**Params**", ""] + [f"- {md_code(value_line(p))}" for p in m.params] + [""]
    if m.metrics:
        lines += ["**Metrics**", "", *markdown_table(["Metric", "Old", "New", "Δ", "Δ %", None],
                                                     [_md_metric(x) for x in m.metrics], right=(1, 2, 3, 4)), ""]
        if charts and m.history:
            lines += ["<details><summary>Metric trends across releases</summary>", ""]
            for metric, points in m.history.items():
                lines += [mermaid_chart(f"{m.name}: {metric}", metric, [(p.label, p.value) for p in points]), ""]
            lines += ["</details>", ""]
    if m.schema:
        lines += ["**Schema**", ""]
        for s in m.schema:
            flag = "⚠️ **breaking**" if s.breaking else "compatible"
            lines.append(f"- {flag}: {md_code(s.key)} {s.kind} — {md_text(s.note)}")
        lines.append("")
    for title_, items in (("Lineage", m.lineage), ("Environment", m.environment), ("Metadata", m.metadata)):
        if items:
            lines += [f"**{title_}**", ""] + [f"- {md_code(value_line(v))}" for v in items] + [""]
    if m.uses:
        lines += ["**Members**", ""]
        lines += [f"- {md_code(u.role)}: {md_code(u.old or '—')} → {md_code(u.new or '—')} ({u.kind}, {u.level})"
                  for u in m.uses] + [""]
        for u in m.uses:
            if u.member is not None:
                lines += [f"<details><summary>{md_text(u.role)}: the member's own diff</summary>", "",
                          *_md_model(u.member, charts=False), "</details>", ""]
    return lines


def diff_markdown(report: DiffReport, *, charts: bool = True) -> str:
    lines = [f"## gitmodel diff: {md_code(report.old_label)} → {md_code(report.new_label)}", ""]
    if not report.models:
        lines += ["No model changed.", ""]
    else:
        rows: list[list[Cell]] = []
        for m in report.models:
            name = m.name if m.status != "renamed" else f"{m.old_name} → {m.name}"
            if m.ok is None:
                required, given = "—", f"— ({m.status})"
            else:
                required, given = str(m.required), f"{m.given} {'✅' if m.ok else '❌'}"
            rows.append([name, versions(m), required, given, m.reason])
        lines += [*markdown_table(["Model", "Version", "Required", "Given", "Reason"], rows), ""]
        for m in report.models:
            lines += _md_model(m, charts=charts)
    if report.unchanged:
        lines += [f"Unchanged: {', '.join(report.unchanged)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# -------------------------------------------------------------------------------------------- text


def _esc(text: str, styled: bool) -> str:
    """A value from data on one line: control characters shown, never sent; rich markup escaped."""
    text = printable(text)
    return text.replace("[", "\\[") if styled else text


def _style(text: str, style: str, styled: bool) -> str:
    return f"[{style}]{_esc(text, True)}[/]" if styled else text


def _text_model(m: ModelDiff, styled: bool) -> list[str]:
    """One model's part of the terminal view; a moved reference shows the member's own part below it."""
    e = lambda t: _esc(t, styled)  # noqa: E731
    lines: list[str] = []
    name = m.name if m.status != "renamed" else f"{m.old_name} → {m.name}"
    head = f"{_style(name, 'bold', styled)}  {e(versions(m))}"
    if m.ok is None:
        head += f"  {e(m.status)}"
    else:
        mark = _style("✓ ok", "green", styled) if m.ok else _style("✗ FAIL", "bold red", styled)
        head += f"  required {m.required}, given {m.given}  {mark}"
    lines.append(head)
    lines.append(f"  {e(m.reason)}")
    if m.stale:
        lines.append("  " + _style("stale:", "bold yellow", styled))
        lines += [f"    {e(x)}" for x in m.stale]
    if m.files:
        lines.append("  components:")
        for f in m.files:
            kind = f.kind + (f" ({f.note})" if f.note else "")
            size = size_change(f)
            lines.append(f"    {f.component:<11} {e(f.path)}  {kind}  {sha_change(f)}" + (f"  {size}" if size else ""))
    if m.params:
        lines.append("  params:")
        lines += [f"    {e(value_line(p))}" for p in m.params]
    if m.metrics:
        lines.append("  metrics:")
        for x in m.metrics:
            if x.delta is None:
                lines.append(f"    {e(x.name)}: {e(value(x.old))} → {e(value(x.new))} ({x.kind})")
                continue
            delta = f"{signed(x.delta)} {percent(x.relative)}".rstrip()
            if x.better is not None:
                delta = _style(f"{delta} {'better' if x.better else 'worse'}", "green" if x.better else "red",
                               styled)
            trend = ""
            if x.name in m.history:
                trend = "  " + sparkline([p.value for p in m.history[x.name]])
            lines.append(f"    {e(x.name)}: {value(x.old)} → {value(x.new)}  {delta}{trend}")
    if m.schema:
        lines.append("  schema:")
        for s in m.schema:
            flag = _style("BREAKING", "bold red", styled) if s.breaking else "compatible"
            lines.append(f"    {flag} {e(s.key)} {s.kind}: {e(s.note)}")
    for title, items in (("lineage", m.lineage), ("environment", m.environment), ("metadata", m.metadata)):
        if items:
            lines.append(f"  {title}:")
            lines += [f"    {e(value_line(v))}" for v in items]
    if m.uses:
        lines.append("  uses:")
        for u in m.uses:
            lines.append(f"    {e(u.role)}: {e(u.old or '—')} → {e(u.new or '—')} ({u.kind}, {u.level})")
            if u.member is not None:
                lines += [f"      {line}" if line else line for line in _text_model(u.member, styled)]
    lines.append("")
    return lines


def diff_text(report: DiffReport, *, styled: bool = False) -> str:
    """A terminal view; `styled` adds rich markup (colour only where the CLI found a terminal)."""
    e = lambda t: _esc(t, styled)  # noqa: E731
    lines = [_style(f"{report.old_label} → {report.new_label}", "bold", styled), ""]
    if not report.models:
        lines.append("no model changed")
    for m in report.models:
        lines += _text_model(m, styled)
    if report.unchanged:
        lines.append(f"unchanged: {e(', '.join(report.unchanged))}")
    return "\n".join(lines).rstrip("\n") + "\n"


# ----------------------------------------------------------------------------------------- metrics


def _metrics_cells(report: MetricsReport) -> tuple[list[str], list[list[str]]]:
    """Raw cells: each table renderer escapes them for its format."""
    headers = ["version", "date", *report.metric_names]
    rows = []
    for r in report.rows:
        rows.append([r.label, (r.date or "")[:10],
                     *(value(r.metrics.get(k)) if k in r.metrics else "" for k in report.metric_names)])
    rows.append(["trend", "", *(sparkline([v for _l, v in report.series(k)]) for k in report.metric_names)])
    return headers, rows


def metrics_text(report: MetricsReport) -> str:
    if not report.metric_names:
        return f"{report.name}: no metrics recorded in any release\n"
    headers, rows = _metrics_cells(report)
    return "\n".join([f"{report.name}: metrics across releases", *text_table([headers, *rows])]) + "\n"


def metrics_markdown(report: MetricsReport) -> str:
    lines = [f"## {report.name}: metrics across releases", ""]
    if not report.metric_names:
        return "\n".join([*lines, "No metrics recorded in any release."]) + "\n"
    headers, rows = _metrics_cells(report)
    lines += [*markdown_table(headers, rows, right=range(2, len(headers))), ""]
    for metric in report.metric_names:
        points = [(label, v) for label, v in report.series(metric) if v is not None]
        if points:
            lines += [mermaid_chart(f"{report.name}: {metric}", metric, points), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
