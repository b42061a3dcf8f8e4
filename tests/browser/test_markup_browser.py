"""A report and metadata that try to inject markup are shown as text in the real browser, and
no script of theirs runs: search page, facets, snippets, collection, document page, titles."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser.conftest import Pages, serve
from tests.test_hardening_markup import IMG, PUBLISHER, SCRIPT, TOWNSHIP, build_markup_index


@pytest.fixture(scope="module")
def markup_pages(browser, tmp_path_factory):
    with serve(build_markup_index(tmp_path_factory.mktemp("markup-browser"))) as base_url:
        opened = Pages(browser, base_url)
        yield opened
        opened.close()
        assert opened.errors == [], f"console errors: {opened.errors}"


def open_watched(markup_pages: Pages, url: str):
    page = markup_pages.new()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, dialogs


def test_search_page_shows_markup_as_text(markup_pages):
    page, dialogs = open_watched(markup_pages, "/?" + urlencode({"q": "光伏"}))
    body = page.locator("body").inner_text()
    assert SCRIPT in body and TOWNSHIP in body  # snippet and facet value, as text
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("img[src=x], svg[onload]").count() == 0
    page.locator(".facet-option input[type=checkbox]").first.click()
    page.wait_for_load_state("networkidle")
    assert dialogs == []


def test_collection_and_document_pages_show_markup_as_text(markup_pages):
    page, dialogs = open_watched(markup_pages, "/")
    assert TOWNSHIP in page.locator("body").inner_text()
    link = page.get_by_role("link", name=TOWNSHIP).first
    link.click()
    page.wait_for_load_state("networkidle")
    hit = page.locator(".hit a").first
    hit.click()
    page.wait_for_load_state("networkidle")
    text = page.locator("body").inner_text()
    assert "/documents/" in page.url
    for payload in (SCRIPT, IMG, PUBLISHER, "{{ 7*7 }}", "{% for x in range(3) %}"):
        assert payload in text, payload
    assert "49" not in page.title()
    assert page.locator("a[href^='javascript:']").count() == 0
    assert dialogs == []
