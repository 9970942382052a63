"""The index: every model with its latest release, the version in each stage, freshness and description,
filterable and searchable by a small inline script (without it the whole table is there to read)."""

from __future__ import annotations

from gitmodel.site.data import ModelView, SiteData
from gitmodel.site.html import esc, link, model_href, page, release_href, when

HERE = "index.html"
# Filter rows by the words typed (every word must occur) and by a stage; unhides the form it needs.
SCRIPT = """<script>
(function () {
  var form = document.getElementById("filter"), q = document.getElementById("q"),
      stage = document.getElementById("stage"), count = document.getElementById("count"),
      rows = Array.prototype.slice.call(document.querySelectorAll("#models tbody tr"));
  form.hidden = false;
  function run() {
    var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean), want = stage.value, shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search"), stages = row.getAttribute("data-stages").split(" ");
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) && (!want || stages.indexOf(want) >= 0);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " models shown";
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  q.addEventListener("input", run);
  stage.addEventListener("change", run);
  var given = new URLSearchParams(location.search);
  if (given.get("q")) { q.value = given.get("q"); }
  if (given.get("stage")) { stage.value = given.get("stage"); }
  run();
})();
</script>"""


def _state(model: ModelView) -> str:
    if model.deprecated:
        return '<span class="bad">deprecated</span>'
    if model.summary is None:
        return '<span class="muted">no manifest in the work tree</span>'
    if model.summary.state == "fresh":
        return '<span class="ok">fresh</span>'
    problems = "; ".join(model.summary.problems)
    return f'<span class="bad" title="{esc(problems)}">stale</span>'


def _row(model: ModelView, stages: list[str]) -> str:
    latest = model.latest
    by_stage = {s: h.version for s, h in model.holders.items()}
    cells = [
        f'<th scope="row">{link(model_href(model.name), model.name, HERE)}</th>',
        f"<td>{link(release_href(model.name, latest.version), 'v' + latest.version, HERE)}</td>" if latest
        else '<td class="muted">not released</td>',
    ]
    for stage in stages:
        version = by_stage.get(stage)
        cells.append(f'<td data-stage="{esc(stage)}">'
                     + (link(release_href(model.name, version), "v" + version, HERE) if version else "")
                     + "</td>")
    cells.append(f"<td>{when(latest.release.date) if latest else '—'}</td>")
    cells.append(f"<td>{_state(model)}</td>")
    description = (model.card_manifest.description if model.card_manifest else None) or ""
    cells.append(f"<td>{esc(description)}</td>")
    words = [model.name, description, *(f"{s} v{v}" for s, v in by_stage.items()),
             *(f"v{r.version}" for r in model.active)]
    search = " ".join(words).lower()
    return (f'<tr data-search="{esc(search)}" data-stages="{esc(" ".join(sorted(by_stage)))}">'
            + "".join(cells) + "</tr>")


def index_page(data: SiteData, base_url: str | None) -> str:
    stages = data.stage_order
    releases = sum(len(m.active) for m in data.models)
    head = f" at commit <code>{esc(data.head[:12])}</code>" if data.head else ""
    options = "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in stages)
    headers = ["Model", "Latest release", *(f"In {esc(s)}" for s in stages), "Released", "State", "Description"]
    body = (
        f"<h1>Model registry</h1>\n<p>{len(data.models)} model(s), {releases} release(s){head}.</p>\n"
        '<form id="filter" class="filter" role="search" hidden>'
        '<label for="q">Filter models</label>'
        '<input id="q" type="search" placeholder="name, version, stage…" autocomplete="off">'
        '<label for="stage">In stage</label>'
        f'<select id="stage"><option value="">any</option>{options}</select>'
        '<output id="count" for="q stage" aria-live="polite"></output></form>\n'
        '<div class="scroll"><table id="models"><caption>Every model: its latest release, the version each stage '
        "holds, and whether the work tree's manifest matches its files</caption><thead><tr>"
        + "".join(f"<th>{h}</th>" for h in headers) + "</tr></thead><tbody>\n"
        + "\n".join(_row(m, stages) for m in data.models)
        + "\n</tbody></table></div>"
        + ("".join(f"<p class=\"muted\">warning: {esc(w)}</p>" for w in data.warnings) if data.warnings else "")
    )
    return page(title="Models", path="index.html", body=body, crumbs=[], base_url=base_url,
                scripts=SCRIPT)
