"""The search page and the document page in a real browser (Debian chromium via Playwright),
with and without JavaScript. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import GUIZHUMAO

QUERY = "百香果"


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def total(page) -> int:
    return int(page.locator(".summary-title strong").inner_text())


def facet_counts(page, facet: str) -> dict[str, int]:
    """Value → count of every option of a facet, including those behind 更多 / 无匹配."""
    counts = {}
    for option in page.locator(f"#facet-{facet} .facet-option").all():
        value = option.locator(".facet-value").text_content()
        counts[value] = int(option.locator(".facet-count").text_content())
    return counts


def chip_texts(page) -> list[str]:
    return [c.text_content() for c in page.locator(".chips .chip").all()]


def in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


def search(page, query: str) -> None:
    page.goto("/")
    page.get_by_label("检索词").fill(query)
    page.get_by_label("检索词").press("Enter")
    page.wait_for_url(re.compile(r"\?q="))


def tick(page, facet: str, value: str, javascript: bool) -> None:
    """Tick one facet value: with JavaScript it applies at once, without it needs 应用筛选."""
    option = page.locator(f"#facet-{facet} .facet-option").filter(has_text=value)
    details = option.locator("xpath=ancestor::details")
    if details.count():
        details.locator("summary").click()
    checkbox = option.locator("input[type=checkbox]")
    if javascript:
        with page.expect_navigation():
            checkbox.check()
    else:
        checkbox.check()
        with page.expect_navigation():
            page.get_by_role("button", name="应用筛选").click()


def facet_flow(page, javascript: bool, name: str) -> None:
    """Search 百香果, tick one township and then a second: URL, checkboxes and chips follow."""
    search(page, QUERY)
    assert total(page) == 4
    townships = facet_counts(page, "township")
    assert townships["桂竹帽镇"] == 4
    assert chip_texts(page) == []
    others = [t for t, n in townships.items() if n == 0]
    assert others, "the townships without a hit are offered too"

    tick(page, "township", "桂竹帽镇", javascript)
    assert params(page)["township"] == ["桂竹帽镇"]
    assert params(page)["q"] == [QUERY]
    assert total(page) == 4
    assert len(chip_texts(page)) == 1 and "桂竹帽镇" in chip_texts(page)[0]
    assert page.locator("#facet-township input:checked").count() == 1
    screenshot(page, f"{name}-one-township")

    tick(page, "township", others[0], javascript)
    assert sorted(params(page)["township"]) == sorted(["桂竹帽镇", others[0]])
    chips = chip_texts(page)
    assert len(chips) == 2 and any(others[0] in c for c in chips)
    assert page.locator("#facet-township input:checked").count() == 2
    assert facet_counts(page, "township")["桂竹帽镇"] == 4  # a facet's counts ignore its own selection
    assert total(page) == 4
    screenshot(page, f"{name}-two-townships")

    # A chip removes its filter.
    with page.expect_navigation():
        page.locator(".chips .chip").filter(has_text=others[0]).click()
    assert params(page)["township"] == ["桂竹帽镇"]


def open_hit(page, name: str) -> None:
    """From the results, open the first hit: the passage is marked, emphasized and in view."""
    link = page.locator(".hit-title a").first
    href = link.get_attribute("href")
    passage_id = href.rsplit("#", 1)[1]
    with page.expect_navigation():
        link.click()
    assert page.url.endswith("#" + passage_id)
    assert params(page)["passage"] == [passage_id]
    target = page.locator(f"[id='{passage_id}']")
    assert "is-target" in target.get_attribute("class")
    assert target.locator("mark").count() >= 1
    assert QUERY in target.locator("mark").first.inner_text()
    page.wait_for_function(
        """(id) => { const r = document.getElementById(id).getBoundingClientRect();
                     return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        arg=passage_id,
    )
    assert in_viewport(page, f"[id='{passage_id}']")
    assert page.locator(".match-count strong").inner_text().isdigit()
    screenshot(page, f"{name}-document", full_page=False)


def test_facets_apply_on_click_with_javascript(pages):
    page = pages.new()
    facet_flow(page, javascript=True, name="js")
    # The apply button is only for pages without JavaScript.
    assert not page.get_by_role("button", name="应用筛选").is_visible()


def test_facet_counts_change_with_two_townships(pages):
    """A query found in several townships: each ticked township adds its hits, other facets follow."""
    page = pages.new()
    search(page, "两违")
    townships = {t: n for t, n in facet_counts(page, "township").items() if n}
    assert len(townships) >= 2
    first, second = sorted(townships, key=townships.get, reverse=True)[:2]
    years_before = facet_counts(page, "year")

    tick(page, "township", first, javascript=True)
    assert total(page) == townships[first]
    assert facet_counts(page, "year") != years_before
    tick(page, "township", second, javascript=True)
    assert total(page) == townships[first] + townships[second]
    assert len(chip_texts(page)) == 2
    assert sum(facet_counts(page, "year").values()) == townships[first] + townships[second]

    with page.expect_navigation():
        page.get_by_role("link", name="清除全部").first.click()
    assert "township" not in params(page)
    assert params(page)["q"] == ["两违"]


def test_open_hit_highlights_and_scrolls_with_javascript(pages):
    page = pages.new()
    search(page, QUERY)
    open_hit(page, "js")
    previous, following = page.get_by_role("button", name="上一处"), page.get_by_role("button", name="下一处")
    assert previous.is_visible() and following.is_visible()
    following.click()
    assert re.match(r"第 \d+ / \d+ 处", page.locator("#match-position").inner_text())
    assert page.locator(".report mark.is-current").count() == 1
    assert in_viewport(page, ".report mark.is-current")
    first = page.locator("#match-position").inner_text()
    page.keyboard.press("n")
    assert page.locator("#match-position").inner_text() != first
    page.keyboard.press("p")
    assert page.locator("#match-position").inner_text() == first
    # Back to the same search, filters and all (the link follows where the user came from).
    with page.expect_navigation():
        page.locator("#back-link").click()
    assert params(page)["q"] == [QUERY]


def test_whole_flow_without_javascript(pages):
    page = pages.new(javascript=False)
    facet_flow(page, javascript=False, name="nojs")
    assert page.get_by_role("button", name="应用筛选").is_visible()
    open_hit(page, "nojs")
    # Previous/next need JavaScript: without it they are not shown at all.
    assert not page.get_by_role("button", name="下一处").is_visible()
    assert page.locator("#back-link").get_attribute("href").startswith("/?q=")


def test_sort_page_size_and_pagination_without_javascript(pages):
    page = pages.new(javascript=False)
    page.goto("/?q=产业")
    assert total(page) > 10
    with page.expect_navigation():
        page.get_by_role("navigation", name="排序").get_by_role("link", name="年份新→旧").click()
    assert params(page)["sort"] == ["year_desc"]
    years = [int(y.inner_text()[:4]) for y in page.locator(".hit-year").all() if y.inner_text()[:4].isdigit()]
    assert years == sorted(years, reverse=True)
    with page.expect_navigation():
        page.get_by_role("navigation", name="分页").get_by_role("link", name="第 2 页").click()
    assert params(page)["page"] == ["2"] and params(page)["sort"] == ["year_desc"]
    with page.expect_navigation():
        page.get_by_role("navigation", name="每页条数").get_by_role("link", name="20").click()
    assert params(page)["size"] == ["20"] and "page" not in params(page)
    assert page.locator(".hit").count() == min(20, total(page))
    page.go_back()
    assert params(page)["page"] == ["2"]


def test_phone_360px(pages):
    for javascript in (True, False):
        page = pages.new(width=360, height=780, javascript=javascript)
        suffix = "" if javascript else "-nojs"
        page.goto(f"/?q={QUERY}&township=桂竹帽镇")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, f"phone-360-search{suffix}")
        page.goto("/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, f"phone-360-home{suffix}")
        page.goto(f"/?q={QUERY}")
        open_hit(page, f"phone-360{suffix}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_wide_screenshots(pages):
    page = pages.new(width=1440, height=1000)
    page.goto("/")
    screenshot(page, "wide-home")
    page.goto("/?q=两违")
    assert "同时搜索了" in page.locator(".notice-synonyms").inner_text()
    assert page.locator(".trends svg a.bar").count() >= 2
    screenshot(page, "wide-search-synonyms")
    page.goto("/?q=百香果 汽车")
    assert page.get_by_role("link", name="百香果").count() >= 1
    screenshot(page, "wide-no-results")


@pytest.mark.parametrize("width, height", [(1440, 1000), (360, 780)], ids=["wide", "phone"])
def test_dark_screenshots(pages, width, height):
    """The dark theme on every kind of page (the contrast test checks its colours)."""
    page = pages.new(width=width, height=height, color_scheme="dark")
    name = f"dark-{'wide' if width > 400 else 'phone-360'}"
    for suffix, url in (
        ("home", "/"),
        ("search", "/?q=两违&township=斋坛乡&township=汤垟乡"),
        ("no-results", "/?q=百香果 汽车"),
        ("404", "/documents/no-such-report"),
    ):
        page.goto(url)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.evaluate("document.querySelectorAll('.chart-data').forEach((d) => { d.open = true; })")
        screenshot(page, f"{name}-{suffix}")
    page.goto(f"/?q={QUERY}")
    open_hit(page, name)
    page.keyboard.press("n")
    screenshot(page, f"{name}-document-current-match", full_page=False)
    pages.errors[:] = [e for e in pages.errors if "404" not in e]  # the browser logs the 404 itself


def test_trend_bar_filters_by_year(pages):
    page = pages.new()
    page.goto("/?q=两违")
    bar = page.locator(".trends .chart-columns a.bar").first
    year = bar.locator(".chart-label").text_content()
    with page.expect_navigation():
        bar.click()
    assert params(page)["year"] == [year]


def test_synonym_switch(pages):
    page = pages.new()
    page.goto("/?q=两违")
    expanded_total = total(page)
    with page.expect_navigation():
        page.get_by_role("link", name="不搜同义词").click()
    assert params(page)["expand"] == ["false"]
    assert total(page) <= expanded_total
    # The state survives a new search from the box.
    page.get_by_label("检索词").fill("违法建筑")
    with page.expect_navigation():
        page.get_by_label("检索词").press("Enter")
    assert params(page)["expand"] == ["false"]


def test_slash_focuses_search_and_suggestions(pages):
    page = pages.new()
    page.goto(f"/?q={QUERY}")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type("百")
    listbox = page.get_by_role("listbox", name="检索建议")
    listbox.wait_for(state="visible")
    options = [o.inner_text() for o in listbox.get_by_role("option").all()]
    assert "百香果" in options
    assert page.get_by_label("检索词").get_attribute("aria-expanded") == "true"
    for _ in range(options.index("百香果") + 1):
        page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert params(page)["q"] == ["百香果"]


def test_hostile_query_runs_no_script(pages):
    page = pages.new()
    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>{{7*7}}'
    page.goto("/?" + urlencode({"q": hostile, "township": "<b onmouseover=window.pwned=3>x</b>"}))
    assert page.evaluate("window.pwned") is None
    assert page.locator(".summary-title .query").inner_text() == hostile
    assert page.get_by_label("检索词").input_value() == hostile
    assert "<b onmouseover" in page.locator(".chips .chip").first.inner_text()
    assert "<title>" not in page.title() and hostile in page.title()


def test_unknown_document_is_a_friendly_404(pages):
    page = pages.new()
    response = page.goto("/documents/no-such-report")
    assert response.status == 404
    assert "没有这份报告" in page.locator(".error-message").inner_text()
    assert page.get_by_role("link", name="查看收录的全部报告").is_visible()
    pages.errors.clear()  # the browser logs the 404 status itself


# WCAG AA for every visible text node, SVG chart text included: 4.5:1, or 3:1 for large text;
# and 3:1 for the chart bars against what they are drawn on (WCAG 1.4.11).
CONTRAST_PROBLEMS = """() => {
  const parse = (c) => { const p = c.match(/[\\d.]+/g).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lum = ({ r, g, b }) => [r, g, b].map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
      .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (; el; el = el.parentElement) { const c = parse(getComputedStyle(el).backgroundColor); if (c.a > 0.5) return c; }
    return parse(getComputedStyle(document.documentElement).backgroundColor);
  };
  const ratio = (x, y) => { const a = lum(x), b = lum(y); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el.getClientRects().length || el.closest(".visually-hidden")) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    const color = el.closest("svg") ? style.fill : style.color;
    const r = ratio(parse(color), background(el));
    const size = parseFloat(style.fontSize), large = size >= 24 || (parseInt(style.fontWeight) >= 700 && size >= 18.66);
    if (r < (large ? 3 : 4.5)) problems.push(node.textContent.trim().slice(0, 20) + " " + r.toFixed(2));
  }
  for (const rect of document.querySelectorAll(".chart-svg .bar rect")) {
    const r = ratio(parse(getComputedStyle(rect).fill), background(rect.closest("svg")));
    if (r < 3) problems.push("bar " + rect.closest(".bar").textContent.trim().slice(0, 20) + " " + r.toFixed(2));
  }
  return problems;
}"""

CONTRAST_URLS = (
    "/",
    "/?q=两违",
    "/?q=两违&township=斋坛乡&size=5",
    "/?q=百香果 汽车&year=2024",
    f"/documents/{GUIZHUMAO}?q={QUERY}&passage={GUIZHUMAO}-0010",
    "/documents/no-such-report",
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_is_aa(pages, scheme):
    page = pages.new(color_scheme=scheme)
    for url in CONTRAST_URLS:
        page.goto(url)
        # The theme really is the one asked for (a dark test on a light page would prove nothing).
        shade = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (sum(map(int, re.findall(r"\d+", shade)[:3])) < 150) == (scheme == "dark"), (url, shade)
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        if "/documents/" in url and "passage=" in url:
            page.keyboard.press("n")  # the current match has its own colours
            assert page.locator(".report mark.is-current").count() == 1
        assert page.evaluate(CONTRAST_PROBLEMS) == [], (scheme, url)
    pages.errors[:] = [e for e in pages.errors if "404" not in e]  # the browser logs the 404 itself


def test_keyboard_only(pages):
    page = pages.new()
    page.goto(f"/?q={QUERY}")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    assert page.evaluate("document.activeElement.className") == "skip-link" and skip.is_visible()
    # A facet value is a checkbox: focus it, press space, the filter applies.
    page.locator("#facet-township input").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert params(page)["township"] == ["桂竹帽镇"]
    # Every control has an accessible name.
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), button, select, textarea')]
                 .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
                 .map((el) => el.outerHTML)"""
    )
    assert unnamed == []
