"""Corrections in a real browser (issue 19.4): a curator signs in on /login, corrects a report's
township on /collection, and the search page's 乡镇 facet moves; the same from a report's page
without JavaScript; the sign-in page and the forms in light and dark, checked by axe.
Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.browser.a11y import axe_violations, blocking
from tests.browser.conftest import pages_on, screenshot, serve
from tests.conftest import TANGYANG, ZHAITAN
from tests.test_curators import PASSWORD, Site, wait_for


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("corrections-browser"))
    site.add("alice")
    with serve(site.index_dir, curators_file=site.curators_file) as base_url:
        site.url = base_url
        yield site


@pytest.fixture
def pages(browser, site):
    with pages_on(browser, site.url) as opened:
        yield opened


def sign_in(page, next_path: str = "") -> None:
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="退出（alice）").is_visible()


def township_facet(page) -> list[str]:
    page.goto("/?q=工作")  # every report speaks of 工作
    return page.locator("#facet-township .facet-value").all_inner_texts()


def test_sign_in_correct_a_township_and_see_the_facet_move(pages, site):
    page = pages.new()
    assert "汤垟乡" in township_facet(page) and "仁宫乡" not in township_facet(page)
    assert page.get_by_role("link", name="登录").is_visible()
    sign_in(page, "/collection")
    assert page.url.endswith("/collection")
    item = page.locator(".curation-item", has=page.locator(f"a[href='/documents/{TANGYANG}']"))
    item.get_by_text("更正这份报告的元数据").click()
    township = item.get_by_label("乡镇")
    assert township.input_value() == "汤垟乡"
    # The list of official names: the townships of its county, then what is typed.
    options = item.locator("datalist[id$='-township-names'] option")
    assert "仁宫乡" in [options.nth(i).get_attribute("value") for i in range(options.count())]
    township.fill("仁宫")
    page.wait_for_function(
        "(input) => [...input.list.options].some((o) => o.value === '仁宫乡' && (o.label || '').includes('青田县'))",
        arg=township.element_handle(),
    )
    township.fill("仁宫乡")
    item.get_by_role("button", name="保存更正").click()
    page.wait_for_url("**/corrections")
    row = page.locator(".audit-table tbody tr").first
    assert "alice" in row.inner_text() and "汤垟乡" in row.inner_text() and "仁宫乡" in row.inner_text()
    moved = wait_for(lambda: (found := township_facet(page)) and "仁宫乡" in found and "汤垟乡" not in found)
    assert moved, township_facet(page)
    # The build process ends a little after publishing (it may merge segments then).
    assert wait_for(lambda: page.goto("/corrections") and "已发布" in page.locator(".build-status").inner_text())
    assert page.locator(".audit-table tbody tr").first.locator("td").last.inner_text() == "仁宫乡"  # the index's value now


def test_correct_a_year_on_a_report_page_without_javascript(pages, site):
    page = pages.new(javascript=False)
    sign_in(page)
    page.goto(f"/documents/{ZHAITAN}")
    year = page.locator(".doc-meta div:has(dt:text-is('年份')) dd")
    before = year.inner_text()
    page.get_by_text("更正这份报告的元数据").click()
    page.get_by_label("年份").fill("2019")
    page.get_by_role("button", name="保存更正").click()
    page.wait_for_url("**/corrections")
    assert wait_for(lambda: page.goto(f"/documents/{ZHAITAN}") and year.inner_text().startswith("2019")), (before, year.inner_text())


def test_a_bad_year_is_explained(pages, site):
    page = pages.new(javascript=False)  # the browser's own pattern check would stop it first
    sign_in(page)
    page.goto(f"/documents/{ZHAITAN}")
    page.get_by_text("更正这份报告的元数据").click()
    page.get_by_label("年份").evaluate("(input) => { input.removeAttribute('pattern'); input.value = '19'; }")
    with page.expect_response("**/corrections") as answer:
        page.get_by_role("button", name="保存更正").click()
    assert answer.value.status == 422
    assert "四位数字" in page.locator(".error-message").inner_text()
    pages.errors[:] = [e for e in pages.errors if "422" not in e]  # the browser logs the 422 itself


def test_a_stale_form_is_refused(pages, site):
    page = pages.new()
    sign_in(page)
    page.goto(f"/documents/{ZHAITAN}")
    page.get_by_text("更正这份报告的元数据").click()
    page.locator("input[name=csrf_token]").first.evaluate("(input) => { input.value = 'forged'; }")
    with page.expect_response("**/corrections") as answer:
        page.get_by_role("button", name="保存更正").click()
    assert answer.value.status == 403
    assert "CSRF" in page.locator(".error-message").inner_text()
    pages.errors[:] = [e for e in pages.errors if "403" not in e]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screens_in_light_and_dark_pass_axe(pages, site, scheme):
    page = pages.new(color_scheme=scheme, width=1100, height=760)
    page.goto("/login")
    assert blocking(axe_violations(page)) == [], blocking(axe_violations(page))
    screenshot(page, f"login-{scheme}")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().startswith("用户名或密码错误")
    assert blocking(axe_violations(page)) == []
    pages.errors[:] = [e for e in pages.errors if "401" not in e]  # the browser logs the 401 itself
    sign_in(page)
    page.goto(f"/documents/{TANGYANG}")
    page.get_by_text("更正这份报告的元数据").click()
    assert blocking(axe_violations(page)) == [], blocking(axe_violations(page))
    page.locator(".doc-header").screenshot(path=str(screenshot(page, f"correction-form-{scheme}", full_page=False)))
    page.goto("/collection")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    assert blocking(axe_violations(page)) == [], blocking(axe_violations(page))
    page.goto("/corrections")
    assert blocking(axe_violations(page)) == [], blocking(axe_violations(page))
    screenshot(page, f"corrections-{scheme}")
