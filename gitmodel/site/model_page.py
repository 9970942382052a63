"""A model's page: the stages now, metric charts across releases, the release timeline with links to the
diff between consecutive releases, the stage history (promotions and rollbacks) and the model card."""

from __future__ import annotations

from gitmodel.review.render import value
from gitmodel.site.charts import line_chart, metric_points
from gitmodel.site.data import DiffView, ModelView
from gitmodel.site.html import diff_href, dl, esc, link, model_href, page, release_href, table, when, who


def _holders(model: ModelView) -> str:
    here = model_href(model.name)
    if model.deprecated:
        return f'<p class="bad">Deprecated ({esc(model.deprecated)}): it holds no stage.</p>'
    if not model.holders:
        return '<p class="muted">In no stage yet.</p>'
    approvals = {r.version: r.approvals for r in model.releases}
    rows = [[f"<strong>{esc(stage)}</strong>", link(release_href(model.name, h.version), "v" + h.version, here),
             when(h.event.date), who(h.event.tagger),
             ", ".join(f"{who(a.tagger)} ({esc(a.role)})" for a in approvals.get(h.version, [])) or "—"]
            for stage, h in sorted(model.holders.items())]
    return table(["Stage", "Version", "Since", "Promoted by", "Approved by"], rows,
                 caption="Which version each stage holds now", cls="holders")


def _metrics(model: ModelView) -> str:
    rows = [(f"v{r.version}", dict(r.manifest.metrics or {})) for r in model.active if r.manifest is not None]
    names: list[str] = []
    for _label, metrics in rows:
        names += [k for k in metrics if k not in names]
    if not names:
        return '<p class="muted">No metrics recorded in any release.</p>'
    charts = [line_chart(m, pts, i) for i, m in enumerate(names) for pts in [metric_points(rows, m)] if pts]
    values = table(["Release", *(esc(n) for n in names)],
                   [[esc(label), *(esc(value(m.get(n))) for n in names)] for label, m in rows],
                   caption="Metric values by release", cls="metric-values")
    return f'<div class="charts">{"".join(charts)}</div>\n{values}'


def _change_summary(d: DiffView) -> str:
    if d.diff is None:
        return "no component changed"
    parts = [f"{f.component} {f.path} {f.kind}" for f in d.diff.files]
    parts += [f"{name} changed" for name, rows in (("params", d.diff.params), ("schema", d.diff.schema),
                                                   ("environment", d.diff.environment),
                                                   ("lineage", d.diff.lineage)) if rows]
    if d.diff.metrics:
        parts.append("metrics " + ", ".join(m.name for m in d.diff.metrics))
    return "; ".join(parts) or "metadata only"


def _timeline(model: ModelView) -> str:
    here = model_href(model.name)
    if not model.releases:
        return '<p class="muted">Not released yet: <code>gitmodel tag NAME</code> makes the first release.</p>'
    diffs = {d.new.version: d for d in model.diffs}
    items = []
    for rel in reversed(model.releases):
        held = "".join(f'<span class="chip">{esc(s)}</span>' for s in rel.stages)
        approved = ", ".join(f"{who(a.tagger)} ({esc(a.role)})" for a in rel.approvals)
        lines = [f'<h3>{link(release_href(model.name, rel.version), "v" + rel.version, here)} {held}</h3>',
                 f"<p>{when(rel.release.date)} by {who(rel.release.tagger)}"
                 + (f" · approved by {approved}" if approved else "") + "</p>"]
        if rel.deregistered:
            lines.append('<p class="bad">Deregistered: no longer a release.</p>')
        if rel.note:
            lines.append(f'<p class="note">{esc(rel.note)}</p>')
        d = diffs.get(rel.version)
        if d is not None:
            changes = link(diff_href(model.name, d.old.version, d.new.version), f"Changes from v{d.old.version}", here)
            lines.append(f"<p>{changes}: {esc(_change_summary(d))}</p>")
        held_class = ' class="held"' if rel.stages else ""
        items.append(f"<li{held_class}>{''.join(lines)}</li>")
    return f'<ol class="timeline">{"".join(items)}</ol>'


def _stage_history(model: ModelView) -> str:
    here = model_href(model.name)
    if not model.stage_history:
        return '<p class="muted">No stage events yet.</p>'
    rows = []
    for row in reversed(model.stage_history):
        version = link(release_href(model.name, row.version), "v" + row.version, here) if row.version else "—"
        rows.append([esc(row.event.counter), when(row.event.date), esc(row.event.stage), esc(row.action), version,
                     who(row.event.tagger), f"<code>{esc(row.event.tag)}</code>"])
    return table(["#", "When", "Stage", "Event", "Version", "By", "Tag"], rows,
                 caption="Every promotion, rollback and unassignment, newest first", cls="stage-history")


def _card(model: ModelView) -> str:
    m = model.card_manifest
    if m is None:
        return '<p class="muted">No readable manifest for a model card.</p>'
    card = m.card or {}
    lineage = m.lineage or {}
    source = f"v{model.latest.version}" if model.latest else "the work tree"
    facts = dl([
        ("Description", esc(m.description or "")),
        ("Intended use", esc(card.get("intended_use") or "")),
        ("Limitations", esc(card.get("limitations") or "")),
        ("Owners", esc(", ".join(str(o) for o in card.get("owners") or []))),
        ("License", esc(card.get("license") or "")),
        ("Base model", esc(lineage.get("base_model") or "")),
    ])
    text = (f"<details><summary>The whole card (Markdown, as <code>gitmodel card</code> writes it)</summary>"
            f"<pre>{esc(model.card)}</pre></details>" if model.card else "")
    problem = f'<p class="bad">The card cannot be rendered: {esc(model.card_error)}</p>' if model.card_error else ""
    return f'<p class="muted">From {esc(source)}.</p>{facts}{problem}{text}'


def model_page(model: ModelView, base_url: str | None) -> str:
    here = model_href(model.name)
    latest = model.latest
    description = model.card_manifest.description if model.card_manifest else None
    intro = f"<h1>{esc(model.name)}</h1>\n" + (f"<p>{esc(description)}</p>" if description else "")
    if latest is not None:
        intro += (f"<p>Latest release: {link(release_href(model.name, latest.version), 'v' + latest.version, here)}"
                  f" ({when(latest.release.date)})</p>")
    body = "\n".join([
        intro,
        '<section><h2 id="stages">Stages now</h2>' + _holders(model) + "</section>",
        '<section><h2 id="metrics">Metrics across releases</h2>' + _metrics(model)
        + "</section>",
        '<section><h2 id="releases">Releases</h2>' + _timeline(model) + "</section>",
        '<section><h2 id="history">Stage history</h2>' + _stage_history(model)
        + "</section>",
        '<section><h2 id="card">Model card</h2>' + _card(model) + "</section>",
    ])
    return page(title=model.name, path=model_href(model.name), body=body, crumbs=[],
                base_url=base_url)
