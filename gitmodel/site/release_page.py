"""A release's page: what it pins (every component with its sha256), params and metrics, lineage, the stages
it holds and who approved it, when."""

from __future__ import annotations

from gitmodel.model.manifest import Manifest
from gitmodel.model.units import parse_release_ref
from gitmodel.review.render import human_size, value
from gitmodel.site.data import ModelView, ReleaseView
from gitmodel.site.html import diff_href, dl, esc, link, model_href, page, release_href, table, when, who


def _approvals(rel: ReleaseView) -> str:
    if not rel.approvals:
        return '<p class="muted">None recorded.</p>'
    rows = [[esc(a.role), who(a.tagger), when(a.date), f'<span class="note">{esc(a.note)}</span>' if a.note else "—",
             f"<code>{esc(a.tag)}</code>"] for a in rel.approvals]
    return table(["Role", "Approved by", "When", "Note", "Tag"], rows, caption="Who approved this release",
                 cls="approvals")


def _pinned(m: Manifest) -> str:
    rows = [[esc(component if component != "data" else (e.role or "data")), f"<code>{esc(e.path)}</code>",
             esc(e.storage), esc(human_size(e.size)), f'<code class="hash">{esc(e.sha256)}</code>']
            for component, e in m.files()]
    rows += [[esc(component), f"<code>{esc(path)}</code>", "git", "", f'<code class="hash">{esc(sha)}</code>']
             for component, path, sha in m.pinned_extras()]
    if not rows:
        return '<p class="muted">No pinned files.</p>'
    return table(["Component", "Path", "Storage", "Size", "sha256"], rows, caption="Every pinned file and its sha256",
                 cls="pinned")


def _values(title: str, mapping: dict[str, object] | None) -> str:
    if not mapping:
        return ""
    rows = [[f"<code>{esc(k)}</code>", esc(value(v))] for k, v in sorted(mapping.items())]
    return table([esc(title), "Value"], rows)


def _lineage(model: ModelView, rel: ReleaseView, known: set[tuple[str, str]]) -> str:
    here = release_href(model.name, rel.version)
    m = rel.manifest
    lineage = (m.lineage or {}) if m is not None else {}
    parent = lineage.get("parent")
    parent_html = ""
    if parent is not None:
        parsed = parse_release_ref(parent)
        if parsed is not None and (parsed[0], str(parsed[1])) in known:
            parent_html = link(release_href(parsed[0], str(parsed[1])), str(parent), here)
        else:
            parent_html = esc(parent)
    children = ", ".join(link(release_href(*c.split("@v", 1)), c, here) for c in model.children.get(rel.version, []))
    data = ", ".join(f"<code>{esc(e.path)}</code> ({esc(e.role or 'data')})" for e in (m.data if m else ()))
    pairs = [("Parent release", parent_html), ("Base model", esc(lineage.get("base_model") or "")),
             ("Datasets", esc(", ".join(str(d) for d in lineage.get("datasets") or []))),
             ("Data files", data), ("Releases built on it", children)]
    if not any(v for _k, v in pairs):
        return '<p class="muted">No lineage recorded.</p>'
    return dl(pairs)


def release_page(model: ModelView, rel: ReleaseView, known: set[tuple[str, str]], base_url: str | None) -> str:
    here = release_href(model.name, rel.version)
    r = rel.release
    m = rel.manifest
    active = model.active
    pos = next((i for i, a in enumerate(active) if a.version == rel.version), None)
    prev = active[pos - 1] if pos else None
    nxt = active[pos + 1] if pos is not None and pos + 1 < len(active) else None
    nav = []
    if prev is not None:
        nav.append(link(diff_href(model.name, prev.version, rel.version), f"Changes from v{prev.version}", here))
    if nxt is not None:
        nav.append(link(release_href(model.name, nxt.version), f"Next release v{nxt.version}", here))
    held = "".join(f'<span class="chip">{esc(s)}</span>' for s in rel.stages)
    facts = dl([
        ("Released", when(r.date)), ("By", who(r.tagger)), ("Tag", f"<code>{esc(r.tag)}</code>"),
        ("Commit", f'<code class="hash">{esc(r.commit)}</code>'),
        ("Fingerprint", f'<code class="hash">sha256:{esc(r.fingerprint)}</code>' if r.fingerprint else ""),
        ("Stages held now", held),
        ("Message", f'<span class="note">{esc(rel.note)}</span>' if rel.note else ""),
    ])
    parts = [f"<h1>{esc(model.name)} v{esc(rel.version)}</h1>"]
    if rel.deregistered:
        parts.append('<p class="bad">Deregistered: this version is no longer a release.</p>')
    if m is None:
        parts.append('<p class="bad">The manifest of this release cannot be read.</p>')
    elif m.description:
        parts.append(f"<p>{esc(m.description)}</p>")
    parts += [facts, f'<p>{" · ".join(nav)}</p>' if nav else "",
              '<section><h2 id="approvals">Approvals</h2>' + _approvals(rel) + "</section>"]
    if m is not None:
        parts += ['<section><h2 id="pinned">Pinned components</h2>' + _pinned(m)
                  + "</section>",
                  '<section><h2 id="values">Metrics and params</h2>'
                  + (_values("Metric", m.metrics) + _values("Param", m.params) or '<p class="muted">None recorded.</p>')
                  + "</section>"]
    parts.append('<section><h2 id="lineage">Lineage</h2>' + _lineage(model, rel, known)
                 + "</section>")
    return page(title=f"{model.name} v{rel.version}", path=release_href(model.name, rel.version),
                body="\n".join(p for p in parts if p), crumbs=[(model_href(model.name), model.name)],
                base_url=base_url)
