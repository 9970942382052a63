"""The one place values become HTML: escaping, links between pages, the page shell and the style sheet.

Every value read from the repository (names, versions, tag messages, tagger names, metric names, card text)
goes through `esc`, which first makes control and bidi characters visible (`printable`, as in the terminal)
and then escapes `& < > " '`: a manifest or tag holding `<script>` shows as text, never as markup.
"""

from __future__ import annotations

import html
from typing import Any

from gitmodel.infra.errors import printable

SITE_TITLE = "Model registry"


def esc(value: Any) -> str:
    """Text from the repository, safe in an element's content and in a quoted attribute."""
    return html.escape(printable(str(value), newlines=True), quote=True)


def slug(name: str) -> str:
    """The directory of a model's pages: names hold `/`, never `~`, so `team/ranker` → `team~ranker` (flat,
    and `team` and `team/ranker` can never clash)."""
    return name.replace("/", "~")


def model_href(name: str) -> str:
    return f"models/{slug(name)}/index.html"


def release_href(name: str, version: str) -> str:
    return f"models/{slug(name)}/v{version}.html"


def diff_href(name: str, old: str, new: str) -> str:
    return f"models/{slug(name)}/diff-v{old}-v{new}.html"


def relative(to: str, here: str) -> str:
    """The path of page `to` seen from page `here` (both from the site's root): relative links work from
    file:// and from any folder a host serves the site under. A page in the same folder is named as is,
    any other through the root (posixpath.relpath gives the same, 40 times slower: 12,000 links a site)."""
    folder, _, _name = here.rpartition("/")
    if folder and to.startswith(folder + "/") and "/" not in to[len(folder) + 1 :]:
        return to[len(folder) + 1 :]
    return "../" * here.count("/") + to


def link(to: str, text: str, here: str) -> str:
    """`<a>` from page `here` to page `to` (both paths from the site's root)."""
    return f'<a href="{esc(relative(to, here))}">{esc(text)}</a>'


def when(iso: str | None) -> str:
    """A tag date as `<time>`: `2026-01-15 10:00` shown, the full ISO date machine-readable."""
    if not iso:
        return "—"
    return f'<time datetime="{esc(iso)}">{esc(iso[:16].replace("T", " "))}</time>'


def who(tagger: str) -> str:
    """`Name <mail>` as the name, with the address kept in a title."""
    name, _, mail = tagger.partition(" <")
    if not mail:
        return esc(tagger or "—")
    return f'<span title="{esc(mail.rstrip(">"))}">{esc(name)}</span>'


def table(headers: list[str], rows: list[list[str]], *, caption: str = "", cls: str = "") -> str:
    """A table of cells that are already HTML (escape values with `esc` first)."""
    if not rows:
        return ""
    head = "".join(f"<th>{h}</th>" for h in headers)  # a <th> in <thead> heads its column
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    klass = f' class="{cls}"' if cls else ""
    return f'<div class="scroll"><table{klass}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def dl(pairs: list[tuple[str, str]]) -> str:
    """A description list of (term, HTML) pairs, the empty ones left out."""
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs if v) + "</dl>"


def page(*, title: str, path: str, body: str, crumbs: list[tuple[str, str]], base_url: str | None,
         scripts: str = "") -> str:
    """The whole page at `path` (from the site's root): `crumbs` are (page, label) above the current one."""
    canonical = f'<link rel="canonical" href="{esc(base_url.rstrip("/") + "/" + path)}">' if base_url else ""
    trail = "".join(f"<li>{link(p, label, path)}</li>" for p, label in crumbs)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{esc(title)} · {SITE_TITLE}</title>'
        f'<link rel="stylesheet" href="{relative("style.css", path)}">{canonical}</head>\n'
        '<body><a class="skip" href="#main">Skip to content</a>\n'
        f'<header><nav aria-label="Breadcrumb"><ol class="crumbs"><li>{link("index.html", SITE_TITLE, path)}</li>'
        f"{trail}</ol></nav></header>\n"
        f'<main id="main" tabindex="-1">\n{body}\n</main>\n'
        '<footer><p>Built by <code>gitmodel site</code>.</p></footer>'
        f"{scripts}</body></html>\n"
    )


STYLE = """\
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0b57d0;
--good:#1a7f37;--bad:#cf222e;--chip:#eef2f7;--focus:#f59e0b}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;
--accent:#6cb6ff;--good:#3fb950;--bad:#ff7b72;--chip:#1f2937}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:0 1rem 2rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",
Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
a:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible,main:focus-visible,
[tabindex]:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem}
.skip:focus{left:1rem}
[hidden]{display:none!important}
header{border-bottom:1px solid var(--line);margin-bottom:1rem}
.crumbs{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem;padding:.75rem 0;margin:0}
.crumbs li+li::before{content:"›";margin-right:.5rem;color:var(--muted)}
h1{font-size:1.8rem;margin:.5rem 0}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid var(--line)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--chip);padding:1rem;border-radius:6px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid var(--line)}
caption{text-align:left;color:var(--muted);padding:.25rem 0}
td code.hash{overflow-wrap:anywhere;word-break:break-all}
time,.pinned td:nth-child(4){white-space:nowrap}
.muted,footer{color:var(--muted)}footer{border-top:1px solid var(--line);margin-top:2rem}
.chip{display:inline-block;background:var(--chip);border-radius:1rem;padding:0 .6rem;margin:0 .25rem .25rem 0;
white-space:nowrap}
.ok{color:var(--good)}.bad{color:var(--bad)}.note{white-space:pre-line}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
.filter{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:1rem 0}
.filter input,.filter select{font:inherit;padding:.3rem .5rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:.5rem}
figcaption{font-weight:600}
svg.chart{display:block;width:20rem;max-width:100%;height:auto}
svg.chart .line{fill:none;stroke:var(--accent);stroke-width:2}
svg.chart .point{fill:var(--accent)}
svg.chart .axis{fill:none;stroke:var(--line)}
svg.chart text{fill:var(--muted);font-size:10px}
ol.timeline{list-style:none;padding:0}ol.timeline>li{border-left:3px solid var(--line);padding:.25rem 0 .75rem 1rem}
ol.timeline>li.held{border-left-color:var(--good)}
"""
