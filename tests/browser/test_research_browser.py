"""The comparison and plan follow-through in a real browser (Debian chromium via Playwright), with
and without JavaScript, wide and on a 360 px phone. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from tests.browser.a11y import axe_violations, blocking
from tests.browser.conftest import pages_on, screenshot, serve
from tests.browser.test_ui import CONTRAST_PROBLEMS, search, tick, total


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


@pytest.fixture(scope="session")
def plans_server(plans_index_dir):
    with serve(plans_index_dir) as base_url:
        yield base_url


@pytest.fixture
def plans_pages(browser, plans_server):
    with pages_on(browser, plans_server) as opened:
        yield opened


# ------------------------------------------------------------------------------ comparison


def open_compare_from_ticked_townships(page, javascript: bool) -> None:
    search(page, "产业")
    if javascript:  # every tick applies at once: then the ticked townships offer the comparison
        tick(page, "township", "汤垟乡", javascript)
        tick(page, "township", "斋坛乡", javascript)
        with page.expect_navigation():
            page.get_by_role("link", name="对比所选 2 个乡镇").click()
    else:  # ticked, not applied: the facet's own button sends them to the comparison
        for township in ("汤垟乡", "斋坛乡"):
            option = page.locator("#facet-township .facet-option").filter(has_text=township)
            details = option.locator("xpath=ancestor::details")
            if details.count() and details.get_attribute("open") is None:
                details.locator("summary").click()
            option.locator("input[type=checkbox]").check()
        with page.expect_navigation():
            page.get_by_role("button", name="对比所选乡镇").click()
    assert urlsplit(page.url).path == "/compare"
    values = params(page)["value"]
    assert {**params(page), "value": sorted(values)} == {"q": ["产业"], "by": ["township"], "value": sorted(["汤垟乡", "斋坛乡"])}
    assert page.locator("h1").inner_text() == "对比：" + " · ".join(values)  # columns in the order ticked


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_compare_opens_from_ticked_townships(pages, javascript):
    page = pages.new(width=1280, javascript=javascript)
    open_compare_from_ticked_townships(page, javascript)
    headers = [h.inner_text().split()[0] for h in page.locator(".compare-grid thead .compare-column").all()]
    assert headers == params(page)["value"]
    themes = [t.inner_text() for t in page.locator(".compare-grid tbody .compare-theme").all()]
    assert themes[0] == "最相关" and len(themes) >= 3
    assert page.locator(".compare-grid mark").count() >= 4
    screenshot(page, f"compare-wide{'' if javascript else '-nojs'}")
    # A count of the matrix opens exactly those passages in the search.
    cell = page.locator(".compare-matrix tbody tr").nth(1).locator("td a").first
    count = int(cell.inner_text())
    with page.expect_navigation():
        cell.click()
    assert urlsplit(page.url).path == "/" and total(page) == count
    assert len(params(page)["township"]) == 1 and len(params(page)["theme"]) == 1


def test_compare_page_chooses_values_without_javascript(pages):
    page = pages.new(javascript=False)
    page.goto("/compare?by=year&q=乡村振兴")  # no values yet: 422, and the years to choose from
    assert page.locator("details.compare-pick").get_attribute("open") is not None
    boxes = page.locator(".compare-choices input[name=value]")
    assert boxes.count() >= 2
    boxes.nth(0).check()
    with page.expect_navigation():
        page.get_by_role("button", name="对比").click()
    assert page.locator(".compare-error").inner_text().startswith("value: 请选择 2 到 6 个年份")  # one is not a comparison
    pages.errors.clear()  # the browser logs that 422 itself
    page.locator(".compare-choices input[name=value]").nth(1).check()
    with page.expect_navigation():
        page.get_by_role("button", name="对比").click()
    assert len(params(page)["value"]) == 2 and page.locator(".compare-matrix").count() == 1


@pytest.fixture(scope="module")
def hurried_server(index_dir):
    """The app with a time limit no search meets (a very busy server, made certain)."""
    with serve(index_dir, search_timeout=0.0) as base_url:
        yield base_url


def test_a_comparison_out_of_time_shows_what_it_left_and_where_to_compute_it(browser, hurried_server, pages):
    townships = ("汤垟乡", "斋坛乡", "桂竹帽镇")
    query = urlencode([("q", "产业"), ("by", "township"), *(("value", t) for t in townships)])
    with pages_on(browser, hurried_server) as hurried:
        page = hurried.new(width=1280)
        response = page.goto("/compare?" + query)
        assert response.status == 200
        assert page.locator(".compare-partial").inner_text().startswith("本页时间所限，3 个乡镇（汤垟乡、斋坛乡、桂竹帽镇）未及计算")
        assert page.locator(".compare-grid thead .compare-column.is-uncomputed").count() == 3
        assert page.locator(".compare-matrix .is-total td").all_inner_texts() == ["未及计算"] * 3
        screenshot(page, "compare-out-of-time")
        links = [a.get_attribute("href") for a in page.locator(".compare-grid .compare-compute").all()]
        for scheme in ("light", "dark"):  # what it says instead of counts stays legible
            themed = hurried.new(color_scheme=scheme)
            themed.goto("/compare?" + query)
            assert blocking(axe_violations(themed)) == [], scheme
    assert len(links) == 3
    # On a server with time, each link gives its column: the comparison's count for it.
    page = pages.new(width=1280)
    page.goto("/compare?" + query)
    expected = [int(t) for t in page.locator(".compare-matrix .is-total td").all_inner_texts()]
    for link, count in zip(links, expected):
        page.goto(link)
        assert total(page) == count > 0 and params(page)["township"] == [townships[links.index(link)]]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_compare_on_a_phone_scrolls_columns_sideways(pages, javascript):
    page = pages.new(width=360, height=780, javascript=javascript)
    query = urlencode([("q", "产业"), ("by", "township"), ("value", "汤垟乡"), ("value", "斋坛乡"), ("value", "桂竹帽镇")])
    page.goto("/compare?" + query)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the page itself never scrolls sideways
    grid = page.locator(".compare-scroll")
    assert grid.evaluate("e => e.scrollWidth > e.clientWidth + 100")  # the columns do
    theme = page.locator(".compare-grid tbody .compare-theme").nth(1)
    before = theme.bounding_box()
    grid.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    after = theme.bounding_box()
    assert abs(after["x"] - before["x"]) < 1 and after["width"] >= 60  # the theme stays readable at the left
    first_column = page.locator(".compare-grid tbody tr").nth(1).locator("td").first.bounding_box()
    assert first_column["x"] + first_column["width"] <= after["x"] + 1  # scrolled under it
    grid.evaluate("e => { e.scrollLeft = 0; }")
    screenshot(page, f"phone-360-compare{'' if javascript else '-nojs'}")


# --------------------------------------------------------------------- plan follow-through


def followup_link(page, passage_id: str):
    return page.locator(f'a.followup-link[href*="{urlencode({"passage": passage_id})}"]')


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_follow_a_plan_item_to_its_outcome(plans_pages, plans_located, javascript):
    done = next(item for item in plans_located if item.truth.status == "done" and len(item.truth.plan_text) > 25)
    doc_id = done.plan_id.rsplit("-", 1)[0]
    page = plans_pages.new(width=1280, javascript=javascript)
    page.goto(f"/documents/{quote(doc_id)}")
    link = followup_link(page, done.plan_id)
    assert link.inner_text().startswith("落实情况")  # then, for screen readers, which plan item
    with page.expect_navigation():
        link.click()
    assert params(page)["passage"] == [done.plan_id] and page.url.endswith("#followup")
    box = page.locator("#followup")
    assert box.is_visible() and "段对应内容" in box.locator(".followup-status").inner_text()
    assert page.evaluate(
        "(() => { const r = document.getElementById('followup').getBoundingClientRect(); return r.top < window.innerHeight && r.bottom > 0; })()"
    )
    assert box.locator("mark").count() >= 2  # the words the outcome shares with the plan
    screenshot(page, f"followup-wide{'' if javascript else '-nojs'}", full_page=False)
    with page.expect_navigation():
        box.locator(".followup-text a").first.click()
    target = params(page)["passage"][0]
    assert target in done.outcome_ids
    assert "is-target" in page.locator(f"[id='{target}']").get_attribute("class")
    assert page.locator("h1").inner_text().startswith(f"{done.truth.township}{done.truth.year + 1}年")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_an_unreported_plan_says_so_on_a_phone(plans_pages, plans_located, javascript):
    silent = next(item for item in plans_located if item.truth.status == "none" and item.truth.has_later_report and item.truth.distractor_texts)
    page = plans_pages.new(width=360, height=780, javascript=javascript)
    page.goto(f"/documents/{quote(silent.plan_id.rsplit('-', 1)[0])}?{urlencode({'passage': silent.plan_id})}#followup")
    box = page.locator("#followup")
    assert box.locator(".followup-status").inner_text().endswith("未找到对应总结")
    assert "不作推测" in box.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"phone-360-followup-missing{'' if javascript else '-nojs'}", full_page=False)
    with page.expect_navigation():
        box.get_by_role("link", name=re.compile("历年计划的落实情况")).click()
    assert urlsplit(page.url).path.startswith("/townships/")
    item = page.locator(f"[id='plan-{silent.plan_id}']")
    assert "未找到对应总结" in item.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"phone-360-township{'' if javascript else '-nojs'}")


def test_township_page_wide(plans_pages, plans_corpus):
    page = plans_pages.new(width=1280)
    township = plans_corpus.townships[0].name
    page.goto(f"/townships/{quote(township)}")
    assert page.locator(".township-report").count() == 3
    found = page.locator(".plan-item.is-found")
    assert found.count() >= 5
    screenshot(page, "township-wide")
    with page.expect_navigation():
        page.get_by_role("link", name="按年份对比各主题").click()
    assert params(page)["by"] == ["year"] and params(page)["township"] == [township]
    assert len(page.locator(".compare-grid thead .compare-column").all()) == 3


def test_research_pages_text_contrast_is_aa(plans_pages, plans_located, plans_corpus):
    page = plans_pages.new()
    done = next(item for item in plans_located if item.truth.status == "done")
    township = plans_corpus.townships[0].name
    years = plans_corpus.years
    for url in (
        f"/compare?by=year&value={years[0]}&value={years[1]}&township={quote(township)}&q=村",
        f"/townships/{quote(township)}",
        f"/documents/{quote(done.plan_id.rsplit('-', 1)[0])}?{urlencode({'passage': done.plan_id})}",
        "/compare?by=township&value=x",
    ):
        page.goto(url)
        assert page.evaluate(CONTRAST_PROBLEMS) == [], url
    plans_pages.errors.clear()  # the browser logs the 422 of the last one itself
