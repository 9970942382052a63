"""The built site in a real browser (headless Chromium): what a person sees, clicks and types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitmodel.site.build import build_site
from tests.kit.browser import chromium, file_url, playwright, static_host
from tests.kit.demo import APPROVER, demo_registry
from tests.kit.git import commit_all, git
from tests.kit.manifests import edit


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry") / "repo"
    root.mkdir()
    git(root, "init", "-q")
    with pytest.MonkeyPatch.context() as mp:
        demo_registry(root, mp)
    out = root.parent / "site"
    build_site(root, out)
    return out


@pytest.fixture(scope="module")
def pw() -> Iterator[Any]:
    with playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(pw: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(pw, tmp_path_factory.mktemp("profile")) as context:
        yield context


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    tab = browser.new_page()
    requests: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    yield tab
    tab.close()
    assert requests  # the page and its style sheet at least
    assert all(url.startswith("file://") for url in requests), requests  # no CDN, no font, no fetch


def cell(page: Any, model: str, column: str) -> Any:
    """The cell of `model`'s row under the header `column` of the index's table."""
    headers = [h.strip() for h in page.locator("#models thead th").all_inner_texts()]
    row = page.locator("#models tbody tr").filter(has=page.get_by_role("link", name=model, exact=True))
    return row.locator("th, td").nth(headers.index(column))


def test_index_shows_the_version_in_prod_for_each_model(site: Path, page: Any) -> None:
    page.goto(file_url(site / "index.html"))
    assert page.title() == "Models · Model registry"
    assert cell(page, "sentiment", "In prod").inner_text() == "v0.2.0"  # after the rollback from v0.3.0
    assert cell(page, "sentiment", "Latest release").inner_text() == "v0.3.0"
    assert cell(page, "team/ranker", "In prod").inner_text() == "v0.1.0"
    assert cell(page, "team/ranker", "In staging").inner_text() == "v0.2.0"
    assert cell(page, "churn", "Latest release").inner_text() == "not released"
    assert cell(page, "sentiment", "In prod").is_visible()


def test_model_page_draws_a_metric_chart_with_one_point_per_release(site: Path, page: Any) -> None:
    page.goto(file_url(site / "index.html"))
    page.get_by_role("link", name="sentiment", exact=True).click()
    assert page.url.endswith("/models/sentiment/index.html")
    chart = page.get_by_role("img", name="accuracy across 3 release(s)")
    assert chart.is_visible()
    points = page.locator('figure[data-metric="accuracy"] circle.point')
    assert points.count() == 3  # v0.1.0, v0.2.0, v0.3.0
    boxes = [points.nth(i).bounding_box() for i in range(3)]
    assert all(b is not None and b["width"] > 0 for b in boxes)
    xs = [b["x"] for b in boxes]  # type: ignore[index]
    ys = [b["y"] for b in boxes]  # type: ignore[index]
    assert xs == sorted(xs)  # oldest release on the left
    assert ys[0] > ys[1] > ys[2]  # 0.88 → 0.91 → 0.93: the line climbs on screen
    assert points.first.locator("title").text_content() == "v0.1.0: 0.88"


def test_model_page_says_which_version_holds_prod_and_who_approved_it(site: Path, page: Any) -> None:
    page.goto(file_url(site / "models/sentiment/index.html"))
    holders = page.get_by_role("table", name="Which version each stage holds now")
    rows = {r.split("\t")[0]: r.split("\t") for r in holders.locator("tbody tr").all_inner_texts()}
    assert rows["prod"][1] == "v0.2.0"
    assert rows["prod"][4] == f"{APPROVER} (ml-lead)"
    assert rows["staging"][1] == "v0.2.0"


def test_filter_hides_the_models_that_do_not_match(site: Path, page: Any) -> None:
    page.goto(file_url(site / "index.html"))
    rows = page.locator("#models tbody tr")
    assert rows.count() == 3
    page.get_by_label("Filter models").fill("rank")
    visible = [r.inner_text().split("\t")[0] for r in rows.all() if r.is_visible()]
    assert visible == ["team/ranker"]
    assert page.locator("#count").inner_text() == "1 of 3 models shown"
    page.get_by_label("Filter models").fill("")
    page.get_by_label("In stage").select_option("staging")
    visible = [r.inner_text().split("\t")[0] for r in rows.all() if r.is_visible()]
    assert visible == ["sentiment", "team/ranker"]  # churn holds no stage
    page.get_by_label("Filter models").fill("no such model")
    assert not any(r.is_visible() for r in rows.all())
    assert page.locator("#count").inner_text() == "0 of 3 models shown"


def test_diff_page_names_the_changed_prompt(site: Path, page: Any) -> None:
    page.goto(file_url(site / "models/sentiment/index.html"))
    page.get_by_role("link", name="Changes from v0.1.0").click()
    assert page.url.endswith("/models/sentiment/diff-v0.1.0-v0.2.0.html")
    assert page.get_by_role("heading", level=1).inner_text() == "sentiment: v0.1.0 → v0.2.0"
    files = page.get_by_role("table", name="Changed files")
    assert files.is_visible()
    rows = files.locator("tbody tr").all_inner_texts()
    assert len(rows) == 1
    assert rows[0].startswith("prompts\tprompts/system.txt\tchanged")


def test_release_page_says_who_approved_it(site: Path, page: Any) -> None:
    page.goto(file_url(site / "index.html"))
    cell(page, "sentiment", "In prod").get_by_role("link").click()
    assert page.url.endswith("/models/sentiment/v0.2.0.html")
    approvals = page.get_by_role("table", name="Who approved this release")
    assert approvals.is_visible()
    row = approvals.locator("tbody tr").first.inner_text()
    assert row.startswith(f"ml-lead\t{APPROVER}\t")
    assert "eval report reviewed" in row
    pinned = page.get_by_role("table", name="Every pinned file and its sha256").inner_text()
    assert "prompts/system.txt" in pinned
    assert "artifacts/sentiment.bin" in pinned


def test_keyboard_alone_reaches_a_model(site: Path, page: Any) -> None:
    page.goto(file_url(site / "index.html"))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    assert page.locator(".skip").bounding_box()["x"] >= 0  # shown on screen while it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "team/ranker":
            break
    else:
        pytest.fail("Tab never reached the team/ranker link")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus ring a keyboard user follows
    page.keyboard.press("Enter")
    page.wait_for_url("**/models/team~ranker/index.html")
    assert page.get_by_role("heading", level=1).inner_text() == "team/ranker"


def test_readable_without_javascript(site: Path, pw: Any, tmp_path: Path) -> None:
    with chromium(pw, tmp_path / "profile", javascript=False) as context:
        page = context.new_page()
        page.goto(file_url(site / "index.html"))
        assert not page.locator("#filter").is_visible()  # no dead search box
        assert page.locator("#models tbody tr").count() == 3
        assert all(r.is_visible() for r in page.locator("#models tbody tr").all())
        assert cell(page, "sentiment", "In prod").inner_text() == "v0.2.0"
        page.goto(file_url(site / "models/sentiment/index.html"))
        assert page.locator('figure[data-metric="accuracy"] circle.point').count() == 3
        assert page.get_by_role("img", name="accuracy across 3 release(s)").is_visible()


def test_dark_mode_follows_the_reader(site: Path, pw: Any, tmp_path: Path) -> None:
    colors = {}
    for scheme in ("light", "dark"):
        with chromium(pw, tmp_path / scheme, color_scheme=scheme) as context:
            page = context.new_page()
            page.goto(file_url(site / "models/sentiment/index.html"))
            colors[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert colors == {"light": "rgb(255, 255, 255)", "dark": "rgb(13, 17, 23)"}


def test_hostile_values_show_as_text_and_never_run(repo: Path, monkeypatch: pytest.MonkeyPatch, pw: Any,
                                                   tmp_path: Path) -> None:
    demo_registry(repo, monkeypatch)
    payload = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    edit(repo, "churn", description=payload, metrics={payload: 1.0})
    commit_all(repo, "hostile churn")
    build_site(repo, tmp_path / "site")
    with chromium(pw, tmp_path / "profile") as context:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        for path in ("index.html", "models/churn/index.html"):
            page.goto(file_url(tmp_path / "site" / path))
            assert page.evaluate("window.pwned") is None
            assert payload in page.locator("main").inner_text()
        assert dialogs == []


def test_served_from_a_subfolder_of_a_static_host_every_click_lands(site: Path, pw: Any, tmp_path: Path) -> None:
    with static_host(site.parent) as host, chromium(pw, tmp_path / "profile", offline=False) as context:
        page = context.new_page()
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{host}/{site.name}/index.html")  # the site under /site/, as Pages serve /REPO/
        cell(page, "sentiment", "In prod").get_by_role("link").click()
        assert page.url == f"{host}/{site.name}/models/sentiment/v0.2.0.html"
        page.get_by_role("link", name="Changes from v0.1.0").click()
        page.get_by_role("link", name="sentiment", exact=True).click()
        assert page.get_by_role("heading", level=1).inner_text() == "sentiment"
        page.get_by_role("link", name="Model registry").click()
        assert page.url == f"{host}/{site.name}/index.html"
        assert failed == []
        assert all(url.startswith(f"{host}/{site.name}/") for url in requested), requested
        styled = page.evaluate("getComputedStyle(document.querySelector('table')).borderCollapse")
        assert styled == "collapse"  # the style sheet loaded over HTTP too
