"""The HTML pages through TestClient: status codes, state in the URL, escaping, error pages."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.search.service import SearchRequest
from app.settings import Settings
from app.urls import search_url, toggle
from app.views.pagination import page_numbers
from indexer.build import build
from tests.conftest import GUIZHUMAO, TANGYANG, TEMPLATE

QUERY = "百香果"


def hrefs(html: str, css_class: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'<a class="{css_class}" href="([^"]*)"', html)]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def checked_boxes(html: str) -> list[tuple[str, str]]:
    boxes = re.findall(r'<input type="checkbox" name="(\w+)" value="([^"]*)"[^>]*?( checked)?>', html)
    return [(name, unescape(value)) for name, value, checked in boxes if checked]


# ----------------------------------------------------------------------------- helpers


def test_page_numbers_show_first_last_and_neighbours():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 4) == [1, 2, 3, 4]
    assert page_numbers(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_numbers(20, 20) == [1, None, 18, 19, 20]


def test_search_urls_leave_defaults_out_and_reset_the_page():
    assert search_url(SearchRequest()) == "/"
    state = SearchRequest(q="光伏 OR 水电", township=("汤垟乡",), sort="year_desc", page=3, size=20, expand=False)
    url = search_url(state)
    assert query_of(url) == {
        "q": ["光伏 OR 水电"],
        "township": ["汤垟乡"],
        "sort": ["year_desc"],
        "expand": ["false"],
        "size": ["20"],
        "page": ["3"],
    }
    assert "page" not in query_of(search_url(state, sort="relevance"))
    assert query_of(search_url(state, page=4))["page"] == ["4"]
    added = toggle(state, "township", "斋坛乡")
    assert added.township == ("汤垟乡", "斋坛乡") and added.page == 1
    assert toggle(added, "township", "汤垟乡").township == ("斋坛乡",)


# ------------------------------------------------------------------------- search page


def test_home_shows_the_collection_examples_and_browsing(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert "<title>乡镇工作报告全文检索</title>" in html
    for township in ("汤垟乡", "祖师殿镇", "斋坛乡", "桂竹帽镇"):
        assert f'href="{search_url(SearchRequest(township=(township,)))}"' in html
    assert html.count('class="doc-link"') == 5
    assert f'href="/documents/{TEMPLATE}"' in html
    assert "年份由上下文推断" in html  # the anonymized template's year is inferred
    assert 'href="/?q=%E7%99%BE%E9%A6%99%E6%9E%9C"' in html  # example search 百香果
    assert 'href="/?theme=' in html  # browse by theme


def test_search_results_cards_and_facets(client):
    html = client.get("/", params={"q": QUERY}).text
    assert "找到 <strong>4</strong> 个段落" in html
    assert "<title>“百香果”（4 条）· 乡镇工作报告全文检索</title>" in html
    assert html.count('<li class="hit">') == 4
    assert html.count("<mark>百香果</mark>") >= 4
    links = [unescape(u) for u in re.findall(r'<h2 class="hit-title"><a href="([^"]*)"', html)]
    assert len(links) == 4
    for link in links:
        assert link.startswith(f"/documents/{GUIZHUMAO}?q=")
        assert query_of(link)["passage"][0] == link.rsplit("#", 1)[1]
    # A facet value carries its count and the URL that toggles it.
    option = re.search(r'name="township" value="桂竹帽镇" data-toggle="([^"]*)"', html)
    assert query_of(unescape(option.group(1))) == {"q": [QUERY], "township": ["桂竹帽镇"]}
    assert re.search(r'桂竹帽镇</span>\s*<span class="facet-count">4</span>', html)
    # Trends drawn as SVG, export links carrying the query.
    assert '<svg class="chart-svg"' in html
    assert "/api/export?format=csv&amp;q=%E7%99%BE%E9%A6%99%E6%9E%9C" in html
    assert "/api/export?format=jsonl&amp;q=%E7%99%BE%E9%A6%99%E6%9E%9C" in html


def test_selected_facets_are_chips_and_checked_boxes(client):
    html = client.get("/", params=[("q", QUERY), ("township", "桂竹帽镇"), ("township", "汤垟乡")]).text
    assert ("township", "桂竹帽镇") in checked_boxes(html) and ("township", "汤垟乡") in checked_boxes(html)
    chips = hrefs(html, "chip")
    assert len(chips) == 2
    assert {tuple(query_of(c).get("township", [])) for c in chips} == {("汤垟乡",), ("桂竹帽镇",)}
    assert all(query_of(c)["q"] == [QUERY] for c in chips)
    clear = hrefs(html, "chips-clear")[0]
    assert query_of(clear) == {"q": [QUERY]}
    # The search box keeps the filters for the next query; the facet form keeps the query.
    assert '<input type="hidden" name="township" value="桂竹帽镇">' in html
    assert '<input type="hidden" name="q" value="百香果">' in html


def test_disjunctive_counts_add_up(client):
    base = client.get("/", params={"q": "两违"}).text
    counts = dict(
        re.findall(r'name="township" value="([^"]+)"[^>]*>\s*<span class="facet-value">[^<]*</span>\s*<span class="facet-count">(\d+)</span>', base)
    )
    hit_townships = [t for t, n in counts.items() if int(n) > 0]
    assert len(hit_townships) >= 2
    a, b = hit_townships[:2]
    html = client.get("/", params=[("q", "两违"), ("township", a), ("township", b)]).text
    assert f"找到 <strong>{int(counts[a]) + int(counts[b])}</strong> 个段落" in html


def test_sort_size_and_pagination_links_keep_the_state(client):
    html = client.get("/", params={"q": "产业", "township": "斋坛乡", "sort": "year_desc", "size": 20, "page": 1}).text
    sorts = re.findall(r'<nav class="segmented" aria-label="排序">(.*?)</nav>', html, re.S)[0]
    for url in re.findall(r'href="([^"]*)"', sorts):
        state = query_of(unescape(url))
        assert state["q"] == ["产业"] and state["township"] == ["斋坛乡"] and state["size"] == ["20"]
    assert re.search(r'href="[^"]*sort=year_desc[^"]*" aria-current="true">年份新→旧', html)
    small = client.get("/", params={"q": "产业", "size": 5, "page": 2}).text
    pages = re.findall(r'<a class="page-number" href="([^"]*)"', small)
    assert pages and all(query_of(unescape(p))["size"] == ["5"] for p in pages)
    assert 'aria-current="page" aria-label="第 2 页（当前）"' in small
    assert 'rel="prev"' in small and 'rel="next"' in small
    beyond = client.get("/", params={"q": "产业", "page": 500})
    assert beyond.status_code == 200 and "回到第 1 页" in beyond.text


def test_no_results_offers_the_parts_and_drops_filters(client):
    html = client.get("/", params={"q": "百香果 汽车"}).text
    assert '没有找到“<span class="query">百香果 汽车</span>”' in html
    assert "分开检索" in html
    assert 'href="/?q=%E7%99%BE%E9%A6%99%E6%9E%9C">百香果</a>' in html
    filtered = client.get("/", params={"q": QUERY, "year": "2024"}).text
    assert "没有找到" in filtered
    drop = re.search(r'<a class="drop-filters" href="([^"]*)"', filtered).group(1)
    assert query_of(unescape(drop)) == {"q": [QUERY]}


def test_synonyms_are_announced_with_a_switch(client):
    html = client.get("/", params={"q": "两违"}).text
    assert "同时搜索了" in html and "违法建筑" in html
    off = re.search(r'<a href="([^"]*)">不搜同义词</a>', html).group(1)
    assert query_of(unescape(off)) == {"q": ["两违"], "expand": ["false"]}
    html = client.get(unescape(off)).text
    assert "同义词扩展已关闭" in html
    assert '<input type="hidden" name="expand" value="false">' in html  # kept by the search box
    for link in re.findall(r'<h2 class="hit-title"><a href="([^"]*)"', html):
        assert query_of(unescape(link))["expand"] == ["false"]


def test_invalid_parameters_are_an_html_422(client):
    response = client.get("/", params={"sort": "bogus"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "sort" in response.text and "重新开始检索" in response.text


# ----------------------------------------------------------------------- document page


def test_document_page_marks_and_targets_the_passage(client):
    passage = f"{GUIZHUMAO}-0010"
    response = client.get(f"/documents/{GUIZHUMAO}", params={"q": QUERY, "passage": passage})
    assert response.status_code == 200
    html = response.text
    assert re.search(rf'<span id="{passage}" class="passage is-target">[^<]*<mark>', html)
    assert html.count("<mark>") >= 4
    assert "桂竹帽镇" in html and "寻乌县" in html and f"{GUIZHUMAO}.txt" in html
    assert "鄉村振興" in html  # the report as written: traditional stays traditional
    # Table of contents linking to the headings' anchors.
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.S).group(0)
    for anchor in re.findall(r'href="#([^"]+)"', toc):
        assert f'id="{anchor}"' in html
    # Back to the same search; similar passages of other reports.
    assert re.search(r'id="back-link">← 返回“百香果”的检索结果', html)
    assert 'href="/?q=%E7%99%BE%E9%A6%99%E6%9E%9C" id="back-link"' in html
    similar = re.findall(r'<a class="similar-title" href="([^"]*)"', html)
    assert similar and all(not u.startswith(f"/documents/{GUIZHUMAO}?") for u in similar)
    assert 'id="prev-match" hidden' in html and 'id="next-match" hidden' in html


def test_paragraph_split_into_passages_stays_one_paragraph(client, service):
    document = service.document(TEMPLATE)
    shared = [p for p in document.passages if not p.is_heading]
    paragraph = next(p.paragraph for a, p in zip(shared, shared[1:]) if a.paragraph == p.paragraph)
    ids = [p.passage_id for p in shared if p.paragraph == paragraph]
    html = client.get(f"/documents/{TEMPLATE}").text
    joined = "".join(rf'<span id="{i}" class="passage">.*?</span>' for i in ids)
    assert re.search(rf'<p class="report-para">{joined}</p>', html, re.S)
    assert "（原文未写明，由上下文推断）" in html  # said in text, not only in a title attribute


def test_document_without_query_or_with_unknown_passage(client):
    html = client.get(f"/documents/{GUIZHUMAO}").text
    assert "<mark>" not in html and "is-target" not in html and 'id="match-bar"' not in html
    html = client.get(f"/documents/{GUIZHUMAO}", params={"passage": "nope"}).text
    assert "链接指向的段落不在这份报告中" in html


def test_unknown_document_is_a_friendly_404(client):
    response = client.get("/documents/no-such-report", params={"q": QUERY})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "没有这份报告" in response.text and "查看收录的全部报告" in response.text
    assert client.get("/no/such/page").status_code == 404


def test_missing_index_explains_how_to_build_it(tmp_path):
    with TestClient(create_app(Settings(index_dir=tmp_path / "nothing")), raise_server_exceptions=False) as empty:
        for url in ("/", "/?q=百香果", f"/documents/{GUIZHUMAO}"):
            response = empty.get(url)
            assert response.status_code == 503
            assert "如何建立索引" in response.text and "python -m indexer build" in response.text


# --------------------------------------------------------------------- escaping and CSP

HOSTILE = """<script>alert(1)</script>青山镇2023年工作总结
一、2023年工作总结
今年种植百香果<img src=x onerror=alert(2)>三百亩，{{ 7*7 }} 与 {% if true %}模板{% endif %} 都是原文。&amp; 也是原文。
二、存在的问题
问题是<b>粗体</b>不应生效，"引号'单引号'也要转义。
"""


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    data = tmp_path_factory.mktemp("hostile-data")
    (data / "evil.txt").write_text(HOSTILE, encoding="utf-8")
    index = tmp_path_factory.mktemp("hostile-index")
    build(data, index, procs=1)
    with TestClient(create_app(Settings(index_dir=index)), raise_server_exceptions=False) as test_client:
        yield test_client


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>粗体" not in html


def test_report_text_renders_as_text(hostile_client):
    document = hostile_client.get("/documents/evil", params={"q": QUERY, "passage": "evil-0002"})
    assert document.status_code == 200
    html = document.text
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "{{ 7*7 }}" in html and "{% if true %}" in html and "&amp;amp;" in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;青山镇2023年工作总结" in html
    results = hostile_client.get("/", params={"q": QUERY}).text
    assert_inert(results)
    assert "&lt;img src=x onerror=alert(2)&gt;" in results
    home = hostile_client.get("/").text
    assert_inert(home)


def test_query_and_filter_values_render_as_text(client):
    hostile = '"><script>alert(1)</script>{{7*7}}'
    response = client.get("/", params=[("q", hostile), ("township", "<b>x</b>"), ("theme", "{% raw %}")])
    assert response.status_code == 200
    html = response.text
    assert "<script>alert(1)" not in html and "<b>x</b>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}"' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "{% raw %}" in html
    document = client.get(f"/documents/{GUIZHUMAO}", params={"q": hostile}).text
    assert "<script>alert(1)" not in document


@pytest.mark.parametrize("url", ["/", f"/?q={QUERY}", f"/documents/{GUIZHUMAO}?q={QUERY}&passage={GUIZHUMAO}-0010", "/documents/x"])
def test_pages_need_no_inline_script_or_style(client, url):
    response = client.get(url)
    html = response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "<style" not in html
    assert re.search(r"\son[a-z]+=", html) is None
    assert "http://" not in html and "https://" not in html  # every asset is local


# ------------------------------------------------------------------------ accessibility


@pytest.mark.parametrize(
    "url", ["/", f"/?q={QUERY}", "/?q=两违", f"/documents/{GUIZHUMAO}?q={QUERY}&passage={GUIZHUMAO}-0010", f"/documents/{TEMPLATE}", "/documents/x"]
)
def test_nothing_is_said_by_a_title_attribute_alone(client, url):
    """Tooltips reach neither keyboard nor touch users: the pages say everything in text."""
    html = client.get(url).text
    assert re.findall(r"<[^>]+\stitle=", html) == []


def test_inferred_year_and_toc_counts_are_text(client):
    home = client.get("/").text
    assert re.search(r'<span class="inferred" aria-hidden="true">\*</span><span class="visually-hidden">（年份由上下文推断）</span>', home)
    assert '<span class="inferred">*</span> 表示年份由上下文推断' in home
    document = client.get(f"/documents/{GUIZHUMAO}", params={"q": QUERY}).text
    toc = re.search(r'<nav class="toc".*?</nav>', document, re.S).group(0)
    assert "数字为本节匹配处数" in toc
    assert re.search(r'<span class="visually-hidden">本节 </span>\d+<span class="visually-hidden"> 处匹配</span>', toc)


class TraditionalScript:
    """The real service, with 桂竹帽镇's report (written in traditional script) carrying the
    ``script`` the indexer reports for it; every other answer is the real one."""

    def __init__(self, service):
        self.service = service

    def _mark(self, view):
        return replace(view, script="zh-Hant") if view is not None and view.doc_id == GUIZHUMAO else view

    def document(self, *args, **kwargs):
        return self._mark(self.service.document(*args, **kwargs))

    def documents(self):
        return [self._mark(d) for d in self.service.documents()]

    def __getattr__(self, name):
        return getattr(self.service, name)


def test_traditional_report_text_is_marked_zh_hant(client, service):
    from app.dependencies import get_service

    client.app.dependency_overrides[get_service] = lambda: TraditionalScript(service)
    try:
        html = client.get(f"/documents/{GUIZHUMAO}", params={"q": QUERY, "passage": f"{GUIZHUMAO}-0010"}).text
        assert '<html lang="zh-CN">' in html
        assert '<article class="report" aria-label="报告全文" lang="zh-Hant">' in html
        assert '<nav class="toc" aria-labelledby="toc-title">' in html and '<ol lang="zh-Hant">' in html
        plain = client.get(f"/documents/{TEMPLATE}").text
        assert 'lang="zh-Hant"' not in plain and '<article class="report" aria-label="报告全文">' in plain
        results = client.get("/", params={"q": QUERY}).text
        snippets = re.findall(r'<p class="hit-snippet"( lang="zh-Hant")?>', results)
        assert snippets == [' lang="zh-Hant"'] * 4  # all four hits are in that report
        assert 'lang="zh-Hant"' not in client.get("/", params={"q": "两违"}).text  # none of these are
        # Similar passages from that report, shown on another report's page, keep its language.
        other = client.get(f"/documents/{TANGYANG}", params={"passage": f"{TANGYANG}-0003"}).text
        similar = re.findall(r'<p class="similar-text"( lang="zh-Hant")?>', other)
        assert len(similar) == 5 and 1 <= similar.count(' lang="zh-Hant"') < 5
        assert '<article class="report" aria-label="报告全文">' in other
    finally:
        client.app.dependency_overrides.pop(get_service, None)


def test_facets_listing_only_some_values_say_how_many_more(client):
    html = client.get("/", params={"q": "产业", "facet_size": 2}).text
    assert "另有" in html and "项未列出" in html and "facet_size=20" in html
    # unticking a value selected in the other script removes it
    html = client.get("/", params={"q": "产业", "township": "桂竹帽鎮"}).text
    assert 'value="桂竹帽镇" data-toggle="/?q=%E4%BA%A7%E4%B8%9A"' in html
