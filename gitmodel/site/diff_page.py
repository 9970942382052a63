"""The diff between two consecutive releases: the files that changed (a prompt reworded, new weights) with
their hashes and sizes, and the params, metrics, schema, environment and lineage that moved."""

from __future__ import annotations

from gitmodel.review.render import percent, short, signed, size_change, value
from gitmodel.site.data import DiffView, ModelView
from gitmodel.site.html import diff_href, esc, link, model_href, page, release_href, table


def _files(d: DiffView) -> str:
    assert d.diff is not None
    rows = [[esc(f.component), f"<code>{esc(f.path)}</code>", esc(f.kind),
             f'<code title="{esc(f.old_sha256 or "")}">{esc(short(f.old_sha256))}</code> → '
             f'<code title="{esc(f.new_sha256 or "")}">{esc(short(f.new_sha256))}</code>',
             esc(size_change(f)), esc(f.note)] for f in d.diff.files]
    if not rows:
        return '<p class="muted">No pinned file changed.</p>'
    return table(["Component", "Path", "Change", "sha256", "Size", "Note"], rows, caption="Changed files",
                 cls="files")


def _values(title: str, rows: list[list[str]], headers: list[str]) -> str:
    if not rows:
        return ""
    return f'<h2>{esc(title)}</h2>' + table(headers, rows)


def diff_page(model: ModelView, d: DiffView, base_url: str | None) -> str:
    here = diff_href(model.name, d.old.version, d.new.version)
    old, new = d.old.version, d.new.version
    parts = [f"<h1>{esc(model.name)}: v{esc(old)} → v{esc(new)}</h1>",
             f"<p>{link(release_href(model.name, old), 'v' + old, here)} → "
             f"{link(release_href(model.name, new), 'v' + new, here)}</p>"]
    if d.diff is None:
        parts.append('<p>No component changed between these releases.</p>')
    else:
        x = d.diff
        verdict = "ok" if x.ok else "bad"
        parts.append(f'<p>Bump: {esc(x.given)} given, {esc(x.required)} required — '
                     f'<span class="{verdict}">{esc(x.reason)}</span></p>')
        parts.append('<h2>Files</h2>' + _files(d))
        parts.append(_values("Metrics", [[f"<code>{esc(m.name)}</code>", esc(value(m.old)), esc(value(m.new)),
                                          esc(signed(m.delta)) if m.delta is not None else "",
                                          esc(percent(m.relative)),
                                          "" if m.better is None else
                                          ('<span class="ok">better</span>' if m.better else
                                           '<span class="bad">worse</span>')]
                                         for m in x.metrics],
                             ["Metric", f"v{esc(old)}", f"v{esc(new)}", "Change", "Relative", ""]))
        for title, rows in (("Params", x.params), ("Environment", x.environment), ("Lineage", x.lineage),
                            ("Other metadata", x.metadata)):
            parts.append(_values(title, [[f"<code>{esc(v.key)}</code>", esc(v.kind), esc(value(v.old)),
                                          esc(value(v.new))] for v in rows], ["Key", "Change", "Before", "After"]))
        parts.append(_values("Schema", [[f"<code>{esc(s.key)}</code>", esc(s.kind),
                                         '<span class="bad">breaking</span>' if s.breaking else "", esc(s.note)]
                                        for s in x.schema], ["Key", "Change", "", "Note"]))
    return page(title=f"{model.name} v{old} → v{new}", path=diff_href(model.name, old, new),
                body="\n".join(p for p in parts if p), crumbs=[(model_href(model.name), model.name)],
                base_url=base_url)
