"""WCAG 2.2 AA in the real browser: axe-core on every kind of page (light and dark, with and
without JavaScript), and the things axe cannot judge, walked by keyboard: Tab order, focus after
a facet reloads the page, single-key shortcuts, the suggestions' live region, chart text
alternatives, and the linked passage clear of the sticky match bar."""

from __future__ import annotations

import re

import pytest

from tests.browser.a11y import axe_violations, blocking, by_impact
from tests.browser.conftest import screenshot
from tests.browser.test_ui import QUERY, params, search, total
from tests.conftest import GUIZHUMAO, ZHAITAN

AXE_PAGES = {
    "home": "/",
    "results": "/?q=两违",
    "no-results": "/?q=百香果 汽车&year=2024",
    "filters": "/?q=两违&township=斋坛乡&size=5&sort=year_desc",
    "paged": "/?q=产业&page=2",
    "document": f"/documents/{GUIZHUMAO}?q={QUERY}&passage={GUIZHUMAO}-0010",
    "document-plain": f"/documents/{ZHAITAN}",
    "404": "/documents/no-such-report",
    "compare": "/compare?by=township&value=汤垟乡&value=斋坛乡&q=产业",
    "township": "/townships/斋坛乡",
    "collection": "/collection?sort=year_desc",
}


def open_all_details(page) -> None:
    """Facet values behind 更多 / 无匹配 and the charts' data tables are checked too."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_axe_finds_nothing_serious(pages, scheme, javascript):
    page = pages.new(color_scheme=scheme, app_script=javascript)
    found = {}
    for name, url in AXE_PAGES.items():
        response = page.goto(url)
        assert response.status == (404 if name == "404" else 200), url
        # Without the app's script nothing may have run: the page is the plain HTML one.
        assert page.evaluate("document.documentElement.classList.contains('js')") == javascript
        open_all_details(page)
        violations = axe_violations(page)
        found[name] = by_impact(violations)
        assert blocking(violations) == [], (scheme, javascript, url, blocking(violations))
    print(scheme, "js" if javascript else "nojs", found)  # -s shows the counts by impact
    pages.errors[:] = [e for e in pages.errors if "404" not in e]  # the browser logs the 404 itself


def test_axe_with_suggestions_open_and_shortcuts_off(pages):
    page = pages.new(color_scheme="dark")
    page.goto("/")
    page.get_by_label("检索词").fill("百")
    page.get_by_role("listbox", name="检索建议").wait_for(state="visible")
    page.keyboard.press("ArrowDown")
    assert blocking(axe_violations(page)) == []
    page.get_by_label("启用单键快捷键").uncheck()
    page.goto(AXE_PAGES["document"])
    assert blocking(axe_violations(page)) == []


# WCAG 2.4.11: what has focus is not hidden under something else (the sticky match bar, the
# sticky 应用筛选 bar): the topmost element at its centre is itself, inside it, around it or its label.
OBSCURED = """(el) => {
    const box = el.getBoundingClientRect();
    if (!box.width || el === document.body) return "";
    const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
    const top = document.elementFromPoint(x, y);
    if (!top || el.contains(top) || top.contains(el) || (el.labels && [...el.labels].some((l) => l.contains(top)))) return "";
    return top.className || top.tagName;
}"""


def focused(page) -> dict:
    return page.evaluate(
        """() => { const obscured = """
        + OBSCURED
        + """; const el = document.activeElement;
                   return { tag: el.tagName, id: el.id, cls: el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className,
                            name: el.name || "", value: el.value || "", text: (el.textContent || "").trim().slice(0, 30),
                            href: el.getAttribute("href") || "", checked: !!el.checked,
                            facet: el.closest(".facet") ? el.closest(".facet").id : "",
                            region: el.closest(".pagination") ? "pagination" : el.closest(".hits") ? "hits"
                                  : el.closest(".facets") ? "facets" : el.closest(".site-header") ? "header"
                                  : el.closest(".site-footer") ? "footer" : "",
                            obscured: obscured(el) }; }"""
    )


def tab_walk(page, limit: int = 250) -> list[dict]:
    """Every stop of the Tab key from the top of the page to the last control."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = focused(page)
        if stop["tag"] == "BODY" or (stops and stop == stops[0]):
            break
        stops.append(stop)
    return stops


@pytest.mark.parametrize("width", [1280, 360], ids=["desktop", "phone"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_tab_order_reaches_search_results_pagination_and_facets(pages, javascript, width):
    page = pages.new(javascript=javascript, width=width, height=780)
    page.goto("/?q=产业")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    stops = tab_walk(page)
    assert [s for s in stops if s["obscured"]] == []
    kinds = [s["region"] for s in stops]
    assert stops[0]["cls"] == "skip-link"
    first = {region: kinds.index(region) for region in ("header", "hits", "pagination", "facets")}
    # The box, then the results and their pages, then the filters.
    assert [s["id"] for s in stops].index("q") < first["hits"] < first["pagination"] < first["facets"]
    assert kinds[first["facets"] :].count("hits") == 0
    assert any(s["facet"] == "facet-township" and s["tag"] == "INPUT" for s in stops)
    assert sum(s["region"] == "hits" for s in stops) == 10  # every result's link
    # Only visible things take focus (nothing hidden off-screen but for the skip links).
    assert all(s["tag"] != "LI" for s in stops)
    if javascript:  # the footer's shortcut switch closes the page
        assert stops[-1]["id"] == "shortcuts-enabled" and "应用筛选" not in [s["text"] for s in stops]
    else:  # the facets' apply button does (the switch is for the script's shortcuts only)
        assert stops[-1]["tag"] == "BUTTON" and stops[-1]["text"] == "应用筛选"


@pytest.mark.parametrize("width", [1280, 360], ids=["desktop", "phone"])
def test_focus_is_never_under_the_sticky_match_bar(pages, width):
    page = pages.new(width=width, height=780)
    page.goto(f"/documents/{GUIZHUMAO}?q={QUERY}&passage={GUIZHUMAO}-0010")
    page.keyboard.press("n")  # scrolled into the report: the bar is stuck at the top
    stops = tab_walk(page)
    assert any(s["href"].startswith("/documents/") for s in stops)  # the similar passages
    assert [s for s in stops if s["obscured"]] == []
    # Backwards too (the browser scrolls the other way).
    for _ in range(len(stops)):
        page.keyboard.press("Shift+Tab")
        assert not focused(page)["obscured"], focused(page)


def test_jump_link_to_the_filters_and_back(pages):
    page = pages.new()
    page.goto(f"/?q={QUERY}")
    page.locator("#q").focus()
    page.keyboard.press("Tab")  # 检索 button
    while focused(page)["cls"] != "jump-facets":
        page.keyboard.press("Tab")
    assert page.locator(".jump-facets").is_visible()  # shown while focused (hidden otherwise on desktop)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page)["cls"] == "jump-results"
    page.keyboard.press("Tab")
    assert focused(page)["facet"] == "facet-township"


def test_facet_box_keeps_focus_after_the_page_reloads(pages):
    page = pages.new()
    search(page, QUERY)
    # A township without a hit: it sits behind 无匹配, its box is found there and ticked.
    details = page.locator("#facet-township details.facet-empty")
    details.locator("summary").focus()
    page.keyboard.press("Enter")
    box = details.locator("input[type=checkbox]").first
    value = box.get_attribute("value")
    box.focus()
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert params(page)["township"] == [value]
    page.wait_for_function("(value) => document.activeElement.value === value", arg=value)
    now = focused(page)
    assert now["facet"] == "facet-township" and now["checked"]
    # Untick it with Space again: it goes back behind 无匹配, which opens to give it focus.
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "township" not in params(page)
    page.wait_for_function("(value) => document.activeElement.value === value", arg=value)
    assert not focused(page)["checked"]
    assert page.locator("#facet-township details.facet-empty").evaluate("(d) => d.open")
    # The announcement beforehand (WCAG 3.2.2): the boxes apply at once.
    assert page.locator(".facet-hint").inner_text() == "勾选或取消即更新结果。"


def test_facets_without_javascript_apply_with_the_button_and_come_back_to_the_filters(pages):
    page = pages.new(javascript=False)
    search(page, QUERY)
    assert page.locator(".facet-hint").inner_text() == "勾选后按“应用筛选”更新结果。"
    box = page.locator("#facet-year input[type=checkbox]").first
    box.check()
    assert params(page).get("year") is None  # ticking alone changes nothing
    with page.expect_navigation():
        page.get_by_role("button", name="应用筛选").click()
    assert page.url.endswith("#facets") and params(page)["year"] == [box.get_attribute("value")]
    assert page.evaluate("document.querySelector('#facets').getBoundingClientRect().top") < 100


def test_single_key_shortcuts_only_outside_text_fields_and_can_be_turned_off(pages):
    page = pages.new()
    page.goto(f"/documents/{GUIZHUMAO}?q={QUERY}&passage={GUIZHUMAO}-0010")
    # Listed on the page.
    listed = page.locator("#shortcuts").inner_text()
    for key in ("/", "n", "p"):
        assert re.search(rf"(^|\s){re.escape(key)}\s", listed), key
    assert page.locator("#q").get_attribute("aria-keyshortcuts") == "/"
    assert page.get_by_role("button", name="下一处").get_attribute("aria-keyshortcuts") == "n"

    # Typing in the search box: n, p and / are letters, nothing moves.
    page.locator("#q").fill("")
    page.locator("#q").focus()
    page.keyboard.type("n/p")
    assert page.locator("#q").input_value() == "n/p"
    assert page.locator(".report mark.is-current").count() == 0
    assert page.locator("#match-position").inner_text() == ""

    # Outside a text field they act.
    page.locator("#q").fill("")
    page.locator("h1").click()
    page.keyboard.press("n")
    assert page.locator(".report mark.is-current").count() == 1
    page.keyboard.press("/")
    assert focused(page)["id"] == "q"

    # Turned off: no key acts, the hints go, and it stays off on the next page.
    page.get_by_label("启用单键快捷键").uncheck()
    page.locator("h1").click()
    position = page.locator("#match-position").inner_text()
    page.keyboard.press("n")
    page.keyboard.press("/")
    assert page.locator("#match-position").inner_text() == position
    assert focused(page)["id"] != "q"
    assert page.locator("#q").get_attribute("aria-keyshortcuts") is None
    assert not page.locator(".match-buttons kbd").first.is_visible()
    page.goto(f"/?q={QUERY}")
    assert not page.get_by_label("启用单键快捷键").is_checked()
    assert not page.locator(".kbd-hint").is_visible()
    page.locator("h1").click()
    page.keyboard.press("/")
    assert focused(page)["id"] != "q"
    page.get_by_label("启用单键快捷键").check()
    page.locator("h1").click()
    page.keyboard.press("/")
    assert focused(page)["id"] == "q"


def test_suggestions_announce_how_many_there_are(pages):
    page = pages.new()
    page.goto("/")
    status = page.locator("#q-suggestions-status")
    assert status.get_attribute("role") == "status" and status.inner_text() == ""
    page.get_by_label("检索词").fill("百")
    listbox = page.get_by_role("listbox", name="检索建议")
    listbox.wait_for(state="visible")
    count = listbox.get_by_role("option").count()
    assert count >= 1
    assert status.text_content() == f"{count} 条建议，按上下方向键选择"
    page.keyboard.press("Escape")
    page.locator("h1").click()
    assert status.text_content() == ""


def test_each_chart_has_its_counts_as_a_table(pages):
    page = pages.new(javascript=False)
    page.goto("/?q=两违")
    charts = page.locator(".trends figure.chart")
    assert charts.count() == 2
    for i in range(charts.count()):
        chart = charts.nth(i)
        drawn = {}
        for bar in chart.locator("svg .bar").all():
            label = bar.locator(".chart-label").text_content()
            drawn[label] = int(bar.locator(".chart-count").text_content())
        chart.locator(".chart-data summary").click()
        table = chart.get_by_role("table")
        assert table.is_visible()
        rows = {row.get_by_role("rowheader").inner_text(): int(row.get_by_role("cell").inner_text()) for row in table.locator("tbody tr").all()}
        assert rows == drawn and sum(rows.values()) > 0
    # A bar's name starts with what it shows (WCAG 2.5.3), in the year chart with its count.
    bar = page.locator(".chart-columns a.bar").first
    label = bar.locator(".chart-label").text_content()
    assert re.fullmatch(rf"{label}年：\d+ 条，只看{label}年", bar.locator("title").text_content())


def clear_of_the_bar(page, selector: str) -> dict:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            const bar = document.getElementById("match-bar").getBoundingClientRect();
            return { top: box.top, bottom: box.bottom, bar: bar.bottom, height: window.innerHeight };
        }""",
        selector,
    )


@pytest.mark.parametrize("width, height", [(1280, 900), (360, 780)], ids=["desktop", "phone"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_linked_passage_is_fully_visible_below_the_sticky_bar(pages, javascript, width, height):
    page = pages.new(width=width, height=height, javascript=javascript)
    page.goto(f"/?q={QUERY}")
    links = [a.get_attribute("href") for a in page.locator(".hit-title a").all()]
    assert len(links) == total(page) == 4
    for href in links:
        passage_id = href.rsplit("#", 1)[1]
        page.goto(href)
        selector = f"[id='{passage_id}']"
        page.wait_for_function(
            """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
                               const bar = document.getElementById("match-bar").getBoundingClientRect();
                               return r.top >= bar.bottom && r.bottom <= window.innerHeight; }""",
            arg=selector,
        )
        where = clear_of_the_bar(page, selector)
        assert where["bar"] <= where["top"] and where["bottom"] <= where["height"], (href, where)
    screenshot(page, f"passage-below-bar-{'js' if javascript else 'nojs'}-{width}", full_page=False)
    if javascript:  # each match stepped to with n is below the bar too
        for _ in range(4):
            page.keyboard.press("n")
            where = clear_of_the_bar(page, ".report mark.is-current")
            assert where["bar"] <= where["top"] and where["bottom"] <= where["height"], where
