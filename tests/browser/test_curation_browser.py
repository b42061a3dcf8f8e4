"""The curation view (/collection) in a real browser: reached from the header, warnings and
skipped files first, sortable by links (no JavaScript needed), each report opening its page,
readable on a 360 px phone. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import shutil

import pytest

from indexer.build import build
from tests.browser.a11y import axe_violations, blocking
from tests.browser.conftest import pages_on, screenshot, serve
from tests.conftest import DATA_DIR, TEMPLATE


@pytest.fixture(scope="module")
def curation_pages(browser, tmp_path_factory):
    """The bundled reports plus two files a build skips, served on their own index."""
    data = tmp_path_factory.mktemp("curation-data")
    for report in DATA_DIR.iterdir():
        shutil.copy(report, data / report.name)
    (data / "空白报告.txt").write_bytes(b"")
    (data / "copy-of-004.txt").write_bytes((DATA_DIR / f"{TEMPLATE}.txt").read_bytes())
    index = tmp_path_factory.mktemp("curation-index")
    build(data, index, procs=1)
    with serve(index) as base_url, pages_on(browser, base_url) as opened:
        yield opened


def titles(page) -> list[str]:
    return page.locator(".curation-title a").all_inner_texts()


def field_values(page, label: str) -> list[str]:
    return [
        item.locator(f".curation-fields div:has(dt:text-is('{label}')) .curation-value").inner_text() for item in page.locator(".curation-item").all()
    ]


@pytest.mark.parametrize("javascript", [True, False])
def test_header_link_warnings_first_sort_and_open(curation_pages, javascript):
    page = curation_pages.new(javascript=javascript)
    page.goto("/")
    page.get_by_role("navigation", name="站点").get_by_role("link", name="元数据核查").click()
    page.wait_for_url("**/collection")
    assert page.locator("h1").inner_text() == "元数据核查"
    assert page.get_by_role("navigation", name="站点").get_by_role("link", name="元数据核查").get_attribute("aria-current") == "page"

    # Skipped files of the build, with their reasons, before the reports.
    skipped = page.locator(".curation-skipped").inner_text()
    assert "空白报告.txt" in skipped and "copy-of-004.txt" in skipped
    assert "empty" in skipped and "duplicate" in skipped

    # Warnings first: the anonymized template (no township, an inferred year) leads.
    first = page.locator(".curation-item").first
    assert "has-warnings" in first.get_attribute("class")
    assert "乡镇未识别" in first.locator(".curation-warnings").inner_text()
    assert "由上下文推断" in first.locator(".curation-warnings").inner_text()
    assert page.locator(".curation-item.has-warnings").count() == 1

    # Sorting is URL state, by plain links.
    page.get_by_role("link", name="年份旧→新").click()
    page.wait_for_url("**/collection?sort=year_asc")
    years = [int(v[:4]) for v in field_values(page, "年份")]
    assert years == sorted(years) and years[0] == 2020
    page.get_by_role("link", name="乡镇", exact=True).click()
    page.wait_for_url("**/collection?sort=township")
    townships = field_values(page, "乡镇")
    assert townships[-1] == "未识别" and townships[:-1] == sorted(townships[:-1])
    page.go_back()
    assert page.url.endswith("sort=year_asc")

    # The correction is the TOML table of that report; the title opens the report.
    item = page.locator(".curation-item").filter(has_text=f"{TEMPLATE}.txt")
    item.locator("summary").click()
    assert f'["{TEMPLATE}.txt"]' in item.locator("pre").inner_text()
    title = item.locator(".curation-title a").inner_text()
    item.locator(".curation-title a").click()
    page.wait_for_url(f"**/documents/{TEMPLATE}")
    assert page.locator("h1").inner_text() == title


def test_phone_360px(curation_pages):
    page = curation_pages.new(width=360, height=780)
    page.goto("/collection")
    page.locator(".curation-item").first.locator("summary").click()
    assert page.locator(".curation-item").first.locator("pre").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "phone-360-collection")
    page.goto("/collection?sort=year_desc")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    wide = curation_pages.new(width=1280, height=900)
    wide.goto("/collection")
    screenshot(wide, "wide-collection")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_with_skipped_files_and_corrections_open(curation_pages, scheme):
    page = curation_pages.new(color_scheme=scheme)
    page.goto("/collection")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    violations = axe_violations(page)
    assert blocking(violations) == [], blocking(violations)
    screenshot(page, f"wide-collection-{scheme}", full_page=False)
