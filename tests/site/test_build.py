"""gitmodel site: the pages a person reads, built from the repository alone; escaping, links, incremental
rebuilds and where it refuses to write."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from gitmodel.registry.releases import tag_release
from gitmodel.site.build import RECORD, build_site
from gitmodel.workspace.edit import bump_model
from tests.kit.cli import gm
from tests.kit.demo import APPROVER, PROMPTS, demo_registry
from tests.kit.git import commit_all, git
from tests.kit.manifests import edit


class Links(HTMLParser):
    """Every href/src of a page, and its text (what a person reads, without markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("href", "src") and v]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def text_of(path: Path) -> str:
    return " ".join(" ".join(parsed(path).text).split())


@pytest.fixture
def site(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    demo_registry(repo, monkeypatch)
    out = tmp_path / "site"
    build_site(repo, out)
    return out


def test_index_names_each_model_latest_release_and_stage_holders(site: Path) -> None:
    html = (site / "index.html").read_text()
    rows = {m[1]: m[0] for m in re.finditer(r'<tr data-search="[^"]*"[^>]*>.*?<a href="models/([^/]+)/index.html"'
                                            r".*?</tr>", html)}
    assert set(rows) == {"churn", "sentiment", "team~ranker"}
    sentiment = rows["sentiment"]
    # the rollback gave prod back to v0.2.0; v0.3.0 is the latest release
    assert '<td data-stage="prod"><a href="models/sentiment/v0.2.0.html">v0.2.0</a></td>' in sentiment
    assert '<a href="models/sentiment/v0.3.0.html">v0.3.0</a>' in sentiment
    assert '<td data-stage="prod"><a href="models/team~ranker/v0.1.0.html">v0.1.0</a></td>' in rows["team~ranker"]
    assert "not released" in rows["churn"]
    assert ">fresh<" in sentiment
    # the filter form needs the script: without it the page shows the whole table and no dead form
    assert '<form id="filter" class="filter" role="search" hidden>' in html


def test_every_link_and_asset_resolves_inside_the_site(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 12  # index, 3 model pages, 5 release pages, 3 diff pages
    for page in pages:
        for href in parsed(page).links:
            parts = urlsplit(href)
            assert not parts.scheme, f"{page}: absolute link {href}"
            assert not parts.netloc, f"{page}: absolute link {href}"
            if not parts.path:
                continue  # an anchor on the same page
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(site)} links to missing {href}"
            assert site.resolve() in target.parents


def test_model_page_has_charts_with_one_point_per_release_stage_history_and_card(site: Path) -> None:
    html = (site / "models/sentiment/index.html").read_text()
    charts = re.findall(r'<figure class="metric" data-metric="([^"]+)">(.*?)</figure>', html)
    assert [name for name, _svg in charts] == ["accuracy", "f1"]
    accuracy = charts[0][1]
    assert re.findall(r'data-version="([^"]+)" data-value="([^"]+)"', accuracy) == [
        ("v0.1.0", "0.88"), ("v0.2.0", "0.91"), ("v0.3.0", "0.93")]
    text = text_of(site / "models/sentiment/index.html")
    history = re.search(r'<table class="stage-history">.*?</table>', html, re.S)
    assert history is not None
    events = re.findall(r"<tr><td>(\d+)</td><td>.*?</td><td>([a-z]+)</td><td>([a-z ]+)</td>", history[0])
    assert [(stage, action) for _n, stage, action in events] == [
        ("prod", "rolled back"), ("prod", "promoted"), ("prod", "promoted"), ("staging", "promoted"),
        ("prod", "promoted")]
    assert "Routing English support tickets by sentiment." in text
    assert 'href="diff-v0.1.0-v0.2.0.html"' in html
    assert 'href="diff-v0.2.0-v0.3.0.html"' in html


def test_release_page_shows_hashes_approvals_and_lineage(site: Path, repo: Path) -> None:
    text = text_of(site / "models/sentiment/v0.2.0.html")
    manifest = json.loads(gm(repo, "show", "sentiment@v0.2.0", "--json").stdout)["manifest"]
    for entry in manifest["weights"] + manifest["prompts"]:
        assert entry["path"] in text
        assert entry["sha256"] in text
    approvals = re.search(r'<table class="approvals">.*?</table>', (site / "models/sentiment/v0.2.0.html").read_text())
    assert approvals is not None
    assert APPROVER in approvals[0]
    assert "ml-lead" in approvals[0]
    assert "eval report reviewed" in approvals[0]
    v3 = (site / "models/sentiment/v0.3.0.html").read_text()
    assert '<a href="v0.2.0.html">sentiment@v0.2.0</a>' in v3  # its parent, linked
    assert '<h2 id="approvals">Approvals</h2><p class="muted">None recorded.</p>' in v3
    assert '<a href="v0.3.0.html">sentiment@v0.3.0</a>' in (site / "models/sentiment/v0.2.0.html").read_text()


def test_diff_page_names_the_changed_prompt(site: Path) -> None:
    html = (site / "models/sentiment/diff-v0.1.0-v0.2.0.html").read_text()
    files = re.search(r'<table class="files">.*?</table>', html)
    assert files is not None
    assert "<code>prompts/system.txt</code>" in files[0]
    assert "changed" in files[0]
    assert "sentiment.bin" not in files[0]  # the weights did not change in this step
    assert "<td><code>accuracy</code></td><td>0.88</td><td>0.91</td>" in html
    later = (site / "models/sentiment/diff-v0.2.0-v0.3.0.html").read_text()
    assert "artifacts/sentiment.bin" in later
    assert "prompts/system.txt" not in later


HOSTILE = "<script>alert('x')</script>"


def test_every_value_from_the_repository_is_escaped(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    demo_registry(repo, monkeypatch)
    (repo / "prompts/system.txt").write_text("changed again\n")
    bump_model(repo, "sentiment")
    edit(repo, "sentiment", description=HOSTILE, metrics={HOSTILE: 1.0, "accuracy": 0.95},
         params={"<img src=x onerror=alert(1)>": "\"'><script>"},
         card={"intended_use": f"</pre></details>{HOSTILE}", "owners": [HOSTILE]},
         lineage={"base_model": HOSTILE, "datasets": [HOSTILE]})
    commit_all(repo, "hostile")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Eve \"O'Hara\" & co")  # git itself drops < and > from names
    tag_release(repo, "sentiment", message=f"{HOSTILE} \x1b[31m red")
    out = tmp_path / "site"
    build_site(repo, out)
    for page in out.rglob("*.html"):
        html = page.read_text()
        assert "<script>alert" not in html, page
        assert "<img src=x" not in html, page
        assert "\x1b" not in html, page
        # the only elements are the ones the site writes
        assert set(parsed(page).tags) <= {"html", "head", "meta", "title", "link", "body", "a", "header", "nav",
                                          "ol", "ul", "li", "main", "h1", "h2", "h3", "p", "section", "div",
                                          "table", "caption", "thead", "tbody", "tr", "th", "td", "code", "span",
                                          "time", "dl", "dt", "dd", "details", "summary", "pre", "figure",
                                          "figcaption", "svg", "path", "polyline", "circle", "text",
                                          "strong", "footer", "form", "label", "input", "select", "option",
                                          "output", "script"}, page
    index = (out / "index.html").read_text()
    assert index.count("<script>") == 1  # the site's own filter script, nothing else
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in index
    release = text_of(out / "models/sentiment/v0.4.0.html")
    assert HOSTILE in release
    assert "Eve \"O'Hara\" & co" in release
    assert "\\x1b[31m" in release


def mtimes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def test_rebuild_rewrites_only_the_pages_whose_content_changed(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    demo_registry(repo, monkeypatch)
    out = tmp_path / "site"
    first = build_site(repo, out)
    assert len(first.written) == first.pages == 13
    before = mtimes(out)
    again = build_site(repo, out)
    assert again.written == []
    assert again.unchanged == 13
    assert again.removed == []
    assert mtimes(out) == before
    # a new release of team/ranker: its pages and the index change, nothing of sentiment or churn does
    (repo / "ranker.yaml").write_text("depth: 8\n")
    bump_model(repo, "team/ranker")
    commit_all(repo, "ranker 0.3.0")
    tag_release(repo, "team/ranker")
    third = build_site(repo, out)
    assert sorted(third.written) == ["index.html", "models/team~ranker/diff-v0.2.0-v0.3.0.html",
                                     "models/team~ranker/index.html", "models/team~ranker/v0.2.0.html",
                                     "models/team~ranker/v0.3.0.html"]
    after = mtimes(out)
    untouched = [p for p in before if not p.startswith(("models/team~ranker/", "index.html", RECORD))]
    assert untouched
    assert all(after[p] == before[p] for p in untouched)


def test_pages_of_a_release_that_is_gone_are_removed_and_foreign_files_kept(repo: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    demo_registry(repo, monkeypatch)
    out = tmp_path / "site"
    build_site(repo, out)
    (out / "CNAME").write_text("registry.example.org\n")
    outside = tmp_path / "outside.html"
    outside.write_text("keep me")
    record = json.loads((out / RECORD).read_text())
    record["pages"] += ["../outside.html"]
    (out / RECORD).write_text(json.dumps(record))
    for tag in git(repo, "tag", "-l", "team/ranker*").stdout.split():
        git(repo, "tag", "-d", tag)
    result = build_site(repo, out)
    assert "models/team~ranker/v0.2.0.html" in result.removed
    assert not (out / "models/team~ranker/v0.2.0.html").exists()
    assert (out / "models/team~ranker/index.html").exists()  # the model is still in the work tree
    assert outside.read_text() == "keep me"  # a record edited by hand never reaches outside DIR
    assert (out / "CNAME").read_text() == "registry.example.org\n"  # not the site's: never removed


def test_base_url_gives_canonical_links_and_keeps_navigation_relative(site: Path, repo: Path, tmp_path: Path
                                                                      ) -> None:
    out = tmp_path / "published"
    done = gm(repo, "site", "-o", str(out), "--base-url", "https://team.example.org/registry")
    assert done.returncode == 0, done.stderr
    page = (out / "models/sentiment/v0.2.0.html").read_text()
    assert '<link rel="canonical" href="https://team.example.org/registry/models/sentiment/v0.2.0.html">' in page
    assert '<a href="../../index.html">' in page


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "team.example.org", "https://x.org/\"><script>"])
def test_base_url_that_is_not_http_is_refused(repo: Path, tmp_path: Path, bad: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    demo_registry(repo, monkeypatch)
    done = gm(repo, "site", "-o", str(tmp_path / "s"), "--base-url", bad)
    assert done.returncode == 2
    assert "--base-url" in done.stderr
    assert not (tmp_path / "s").exists()


def test_output_inside_git_a_file_or_the_work_tree_root_is_refused(repo: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    demo_registry(repo, monkeypatch)
    before = git(repo, "status", "--porcelain", "--ignored").stdout
    (tmp_path / "a-file").write_text("x")
    for target, why in ((repo / ".git" / "site", ".git"), (repo / ".git", ".git"), (tmp_path / "a-file", "file"),
                        (repo, "work tree"), (repo / "." , "work tree")):
        done = gm(repo, "site", "-o", str(target))
        assert done.returncode == 2, (target, done.stdout)
        assert why in done.stderr, done.stderr
    assert not (repo / ".git" / "site").exists()
    assert (tmp_path / "a-file").read_text() == "x"
    assert git(repo, "status", "--porcelain", "--ignored").stdout == before


def test_cli_reports_what_it_wrote(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_registry(repo, monkeypatch)
    done = gm(repo, "site", "-o", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    assert "3 model(s), 5 release(s), 13 page(s)" in done.stdout
    assert "13 written, 0 unchanged, 0 removed" in done.stdout
    again = json.loads(gm(repo, "site", "-o", str(tmp_path / "s"), "--json").stdout)
    assert again["written"] == []
    assert again["unchanged"] == 13
    assert PROMPTS[1].strip() not in done.stdout


def test_a_symlink_inside_the_output_is_never_written_through(repo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    demo_registry(repo, monkeypatch)
    out = tmp_path / "site"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "models").symlink_to(elsewhere, target_is_directory=True)
    done = gm(repo, "site", "-o", str(out))
    assert done.returncode == 2
    assert "symlink" in done.stderr
    assert list(elsewhere.iterdir()) == []
    assert [p.name for p in out.iterdir()] == ["models"]  # refused before anything was written
    (out / "models").unlink()
    (out / "index.html").symlink_to(elsewhere / "index.html")
    done = gm(repo, "site", "-o", str(out))
    assert done.returncode == 2
    assert "symlink" in done.stderr
    assert list(elsewhere.iterdir()) == []


def test_deregistered_releases_deprecated_models_and_unreadable_releases_are_shown_as_such(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_registry(repo, monkeypatch)
    git(repo, "tag", "-a", "sentiment@v0.3.0!", "-m", "deregistered: wrong eval set", "sentiment@v0.3.0")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1900000000 +0000")  # after every other event: GTO's rule
    git(repo, "tag", "-a", "team/ranker@deprecated", "-m", "replaced")
    # a hand-made release tag on a commit without that model's manifest
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").stdout.split()[0]
    git(repo, "tag", "-a", "churn@v0.0.1", "-m", "by hand", first)
    out = tmp_path / "site"
    result = build_site(repo, out)
    v3 = text_of(out / "models/sentiment/v0.3.0.html")
    assert "Deregistered" in v3
    model = (out / "models/sentiment/index.html").read_text()
    accuracy = re.search(r'<figure class="metric" data-metric="accuracy">.*?</figure>', model)
    assert accuracy is not None
    assert re.findall(r'data-version="([^"]+)"', accuracy[0]) == ["v0.1.0", "v0.2.0"]  # active releases only
    assert not (out / "models/sentiment/diff-v0.2.0-v0.3.0.html").exists()
    index = (out / "index.html").read_text()
    # v0.2.0 is the latest release again, and still in prod
    assert ('<td><a href="models/sentiment/v0.2.0.html">v0.2.0</a></td><td data-stage="prod"><a '
            'href="models/sentiment/v0.2.0.html">v0.2.0</a></td>') in index
    ranker = re.search(r'<tr data-search="team/ranker.*?</tr>', index)
    assert ranker is not None
    assert ">deprecated<" in ranker[0]
    assert 'data-stages=""' in ranker[0]
    assert "Deprecated (team/ranker@deprecated): it holds no stage." in text_of(out / "models/team~ranker/index.html")
    assert "cannot be read" in text_of(out / "models/churn/v0.0.1.html")
    assert result.pages == len(list(out.rglob("*.html"))) + 1  # and the style sheet


def test_a_registry_with_no_model_yet_gets_an_index(repo: Path, tmp_path: Path) -> None:
    from gitmodel.workspace.init_repo import init_repo

    init_repo(repo, hooks=False, dvc=False)
    commit_all(repo, "gitmodel init")
    build_site(repo, tmp_path / "site")
    assert "0 model(s), 0 release(s)" in text_of(tmp_path / "site" / "index.html")


def test_a_file_the_site_did_not_write_is_never_replaced(repo: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    demo_registry(repo, monkeypatch)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.html").write_text("<h1>our project docs</h1>\n")
    done = gm(repo, "site", "-o", str(docs))
    assert done.returncode == 2
    assert "would replace index.html, which gitmodel site did not write" in done.stderr
    assert (docs / "index.html").read_text() == "<h1>our project docs</h1>\n"
    assert sorted(p.name for p in docs.iterdir()) == ["index.html"]
    # a site whose record was lost but whose pages are as they would be written again is simply adopted
    out = tmp_path / "site"
    build_site(repo, out)
    (out / RECORD).unlink()
    again = build_site(repo, out)
    assert again.written == []
    assert (out / RECORD).exists()
