"""The comparison of townships, counties or years side by side: /api/compare (JSON and CSV) and
the /compare page, on the real bundled reports. Every count is checked against /api/search with
the same parameters, which is what the page links each count to."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.test_pages import query_of

PAIR = [("q", "产业"), ("by", "township"), ("value", "汤垟乡"), ("value", "斋坛乡")]


def search_total(client, params: list[tuple[str, str]]) -> int:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def test_compare_json_has_the_contracted_shape(client):
    response = client.get("/api/compare", params=PAIR)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"by", "query", "columns", "themes"}
    assert body["by"] == "township" and body["query"] == "产业"
    assert [c["value"] for c in body["columns"]] == ["汤垟乡", "斋坛乡"]
    search_hit_keys = set(client.get("/api/search", params={"q": "产业"}).json()["hits"][0])
    for column in body["columns"]:
        assert set(column) == {"value", "total", "by_theme", "by_section", "hits", "status"}
        assert column["status"] == "computed"
        assert column["hits"], "both townships write about 产业"
        for hit in column["hits"]:
            assert set(hit) == search_hit_keys  # the same hit as /api/search
            assert hit["township"] == column["value"]
            assert "<mark>" in hit["snippet"] and "/documents/" in hit["url"] and "q=" in hit["url"]
        for bucket in column["by_theme"] + column["by_section"]:
            assert set(bucket) == {"value", "count"} and bucket["count"] > 0
    themes = {b["value"] for c in body["columns"] for b in c["by_theme"]}
    assert set(body["themes"]) == themes
    totals = {t: sum({b["value"]: b["count"] for b in c["by_theme"]}.get(t, 0) for c in body["columns"]) for t in body["themes"]}
    assert [totals[t] for t in body["themes"]] == sorted(totals.values(), reverse=True)


def test_every_count_is_the_search_it_stands_for(client):
    body = client.get("/api/compare", params=PAIR).json()
    for column in body["columns"]:
        base = [("q", "产业"), ("township", column["value"])]
        assert column["total"] == search_total(client, base) > 0
        for bucket in column["by_theme"]:
            assert bucket["count"] == search_total(client, base + [("theme", bucket["value"])])
        for bucket in column["by_section"]:
            assert bucket["count"] == search_total(client, base + [("section", bucket["value"])])
        assert sum(b["count"] for b in column["by_section"]) == column["total"]


def test_compare_by_year_and_by_county(client):
    years = client.get("/api/compare", params=[("q", "乡村振兴"), ("by", "year"), ("value", "2024"), ("value", "2023")]).json()
    assert [c["value"] for c in years["columns"]] == ["2024", "2023"]  # the order asked
    for column in years["columns"]:
        assert column["total"] == search_total(client, [("q", "乡村振兴"), ("year", column["value"])])
        assert all(h["year"] == int(column["value"]) for h in column["hits"])
    counties = client.get("/api/compare", params=[("by", "county"), ("value", "溆浦县"), ("value", "寻乌县"), ("size", "2")]).json()
    assert [len(c["hits"]) for c in counties["columns"]] == [2, 2]  # size = best passages per column
    assert all(c["total"] == search_total(client, [("county", c["value"])]) for c in counties["columns"])


def test_filters_apply_to_every_column_and_theme_chooses_the_rows(client):
    filtered = client.get("/api/compare", params=PAIR + [("section", "总结"), ("theme", "产业发展"), ("theme", "项目建设")]).json()
    assert set(filtered["themes"]) <= {"产业发展", "项目建设"}
    for column in filtered["columns"]:
        base = [("q", "产业"), ("township", column["value"]), ("section", "总结")]
        assert column["total"] == search_total(client, base + [("theme", "产业发展"), ("theme", "项目建设")])
        assert [b["value"] for b in column["by_section"]] in ([], ["总结"])
        for bucket in column["by_theme"]:
            assert bucket["count"] == search_total(client, base + [("theme", bucket["value"])])
    # A filter on the compared facet itself is replaced by each column's value.
    replaced = client.get("/api/compare", params=PAIR + [("township", "桂竹帽镇")]).json()
    assert [c["total"] for c in replaced["columns"]] == [c["total"] for c in client.get("/api/compare", params=PAIR).json()["columns"]]


def test_either_script_selects_the_same_column(client):
    simplified = client.get("/api/compare", params=PAIR).json()
    traditional = client.get("/api/compare", params=[("q", "產業"), ("by", "township"), ("value", "湯垟鄉"), ("value", "齋壇鄉")]).json()
    assert [c["total"] for c in traditional["columns"]] == [c["total"] for c in simplified["columns"]]


@pytest.mark.parametrize(
    "params, reason",
    [
        ([("value", "汤垟乡")], "2 到 6"),
        ([("value", "汤垟乡"), ("value", "汤垟乡")], "2 到 6"),  # the same value twice is one column
        ([("by", "year")] + [("value", str(y)) for y in range(2015, 2022)], "2 到 6"),
        ([("by", "kind"), ("value", "工作总结"), ("value", "工作计划")], "by 必须是"),
        ([("by", "year"), ("value", "2023"), ("value", "去年")], "four-digit year"),
        ([("value", "汤垟乡"), ("value", "x" * 101)], "longer than 100"),
        (PAIR + [("format", "xlsx")], "format"),
        ([("q", "x" * 501)] + PAIR[1:], "q 过长"),
    ],
)
def test_bad_comparisons_are_422_with_the_reason(client, params, reason):
    response = client.get("/api/compare", params=params)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_matrix_exports_as_csv_for_excel(client):
    response = client.get("/api/compare", params=PAIR + [("format", "csv")])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="compare-township.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    body = client.get("/api/compare", params=PAIR).json()
    columns = body["columns"]
    assert rows[0] == ["维度", "值", "汤垟乡", "斋坛乡"]
    assert rows[1] == ["合计", "全部"] + [str(c["total"]) for c in columns]
    themes = [r for r in rows if r[0] == "主题"]
    assert [r[1] for r in themes] == body["themes"]
    for row in themes:
        assert row[2:] == [str({b["value"]: b["count"] for b in c["by_theme"]}.get(row[1], 0)) for c in columns]
    sections = [r for r in rows if r[0] == "部分"]
    assert {r[1] for r in sections} == {b["value"] for c in columns for b in c["by_section"]}


def test_a_comparison_out_of_time_answers_200_with_every_column_not_computed(settings, client):
    # A limit no search can meet: the comparison still answers, each column marked as not
    # computed (no count is made up: 0 with its status in JSON, an empty cell in the CSV).
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(replace(settings, search_timeout=0.0)), raise_server_exceptions=False) as slow:
        response = slow.get("/api/compare", params=PAIR)
        exported = slow.get("/api/compare", params=PAIR + [("format", "csv")])
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["value"] for c in body["columns"]] == ["汤垟乡", "斋坛乡"] and body["themes"] == []
    for column in body["columns"]:
        assert column == {"value": column["value"], "total": 0, "by_theme": [], "by_section": [], "hits": [], "status": "not_computed"}
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows == [["维度", "值", "汤垟乡", "斋坛乡"], ["合计", "全部", "", ""]]
    # Asked again with time, each column is what the search of its value gives.
    computed = client.get("/api/compare", params=PAIR).json()
    assert [c["status"] for c in computed["columns"]] == ["computed", "computed"]
    for column in computed["columns"]:
        assert column["total"] == search_total(client, [("q", "产业"), ("township", column["value"])]) > 0


@pytest.mark.parametrize("sort", ["relevance", "year_desc"])
def test_each_cell_shows_the_first_passages_of_its_search_texts_before_headings(service, sort):
    # The page's passages (3 per column, 2 per theme and column, read from windows of the
    # order): each is what the search of its cell lists first, paragraphs before headings of
    # the same year (of everything, by relevance).
    from app.search.service import CompareRequest, SearchRequest

    def first(count: int, **selected) -> list[str]:
        found = service.search(SearchRequest(q="产业", sort=sort, size=1000, **selected))
        assert found.total <= 1000
        key = (lambda h: h.year) if sort == "year_desc" else (lambda h: None)
        ordered = []
        for group in dict.fromkeys(key(h) for h in found.hits):
            same = [h for h in found.hits if key(h) == group]
            ordered += [h for h in same if not h.is_heading] + [h for h in same if h.is_heading]
        return [h.passage_id for h in ordered[:count]]

    townships = ("汤垟乡", "斋坛乡", "桂竹帽镇")
    comparison = service.compare(CompareRequest(SearchRequest(q="产业", sort=sort), "township", townships), hits=3, theme_hits=2)
    for column in comparison.columns:
        assert [h.passage_id for h in column.hits] == first(3, township=(column.value,))
        assert set(column.theme_hits) == {b.value for b in column.by_theme} != set()
        for theme, hits in column.theme_hits.items():
            assert [h.passage_id for h in hits] == first(2, township=(column.value,), theme=(theme,)), theme


# ------------------------------------------------------------------------------- the page


def test_a_compare_page_out_of_time_lists_its_columns_not_computed_not_a_503(settings, client):
    # The page's own search (the values to tick) and every column out of time: still a page,
    # each column with the link that computes it alone (the search of that column).
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(replace(settings, search_timeout=0.0)), raise_server_exceptions=False) as slow:
        response = slow.get("/compare", params=PAIR)
    assert response.status_code == 200, response.text
    html = response.text
    assert "本页时间所限，2 个乡镇（汤垟乡、斋坛乡）未及计算" in html and "只对比这" not in html
    assert "本页时间所限，只列出正在对比的乡镇" in html
    assert re.findall(r'name="value" value="([^"]+)" checked', html) == ["汤垟乡", "斋坛乡"]
    matrix = re.search(r'<table class="compare-matrix">.*?</table>', html, re.S).group(0)
    assert re.search(r"\d+ 段", matrix) is None and matrix.count(">未及计算</a>") == 2
    grid = re.search(r'<table class="compare-grid">.*?</table>', html, re.S).group(0)
    assert grid.count("本页时间所限，未及计算") == 2 and "<mark>" not in grid
    links = [unescape(u) for u in re.findall(r'<a class="compare-compute" href="([^"]+)">单独计算这一列</a>', grid)]
    assert [query_of(u) for u in links] == [{"q": ["产业"], "township": [t]} for t in ("汤垟乡", "斋坛乡")]
    # Followed on a server with time, a link gives its column: the same total, theme by theme.
    columns = {c["value"]: c for c in client.get("/api/compare", params=PAIR).json()["columns"]}
    for link in links:
        assert client.get(link).status_code == 200
        found = client.get("/api/search", params=[(k, v) for k, values in query_of(link).items() for v in values] + [("facet_size", "100")]).json()
        column = columns[query_of(link)["township"][0]]
        assert found["total"] == column["total"]
        assert {f["value"]: f["count"] for f in found["facets"]["theme"] if f["count"]} == {b["value"]: b["count"] for b in column["by_theme"]}
    assert "未及计算" not in client.get("/compare", params=PAIR).text
    with TestClient(create_app(replace(settings, search_timeout=0.0)), raise_server_exceptions=False) as slow:
        choosing = slow.get("/compare", params={"by": "year"})  # nothing compared yet, and no time to list the years
    assert choosing.status_code == 422 and "本页时间所限，未能列出可选的年份" in choosing.text and "没有段落符合" not in choosing.text


def test_a_partial_comparison_links_the_columns_left_and_marks_rows_without_passages():
    # The view of a comparison the time limit cut short (made here: which columns a busy server
    # leaves is not for a test to arrange): the columns left, together, and rows unlisted.
    from app.search.service import NOT_COMPUTED, CompareColumn, CompareRequest, Comparison, CountBucket, SearchRequest
    from app.views.compare import comparison_view

    request = CompareRequest(SearchRequest(q="产业"), "year", ("2024", "2023", "2022"))
    done = CompareColumn("2024", 5, [CountBucket("产业发展", 3), CountBucket("民生保障", 2)], [CountBucket("总结", 5)], [])
    done.theme_hits["产业发展"] = []
    left = [CompareColumn(year, 0, [], [], [], status=NOT_COMPUTED) for year in ("2023", "2022")]
    view = comparison_view(Comparison(request, [done, *left], ["产业发展", "民生保障"]))
    assert view["not_computed"] == ("2023", "2022")
    assert query_of(view["rest_url"]) == {"q": ["产业"], "by": ["year"], "value": ["2023", "2022"]}
    assert [h.computed for h in view["headers"]] == [True, False, False]
    assert [[(c.computed, c.listed) for c in row.cells][0] for row in view["theme_rows"]] == [(True, True), (True, False)]
    alone = comparison_view(Comparison(replace(request, values=("2024", "2023")), [done, left[0]], ["产业发展"]))
    assert alone["not_computed"] == ("2023",) and alone["rest_url"] == ""  # one column: its own link only


def test_compare_page_counts_link_to_their_searches(client):
    response = client.get("/compare", params=PAIR)
    assert response.status_code == 200
    html = response.text
    assert "对比：汤垟乡 · 斋坛乡" in html
    matrix = re.search(r'<table class="compare-matrix">.*?</table>', html, re.S).group(0)
    cells = re.findall(r'<a href="([^"]*)" aria-label="([^"]*) (\d+) 段">\d+</a>', matrix)
    assert len(cells) >= 4
    for url, _, count in cells:
        params = [(k, v) for k, values in parse_qs(urlsplit(unescape(url)).query).items() for v in values]
        assert search_total(client, params) == int(count), url
    grid = re.search(r'<table class="compare-grid">.*?</table>', html, re.S).group(0)
    themes = client.get("/api/compare", params=PAIR).json()["themes"]
    assert re.findall(r'<th scope="row" class="compare-theme">([^<]+)</th>', grid) == ["最相关"] + themes
    assert grid.count("<mark>") >= 4  # the passages, highlighted
    assert "/townships/%E6%B1%A4%E5%9E%9F%E4%B9%A1" in grid  # each township's plans
    export = re.search(r'href="(/api/compare\?[^"]*format=csv)"', html).group(1)
    assert client.get(unescape(export)).content.startswith(b"\xef\xbb\xbf")


def test_search_page_offers_to_compare_ticked_values(client):
    html = client.get("/", params=[("q", "产业"), ("township", "汤垟乡"), ("township", "斋坛乡")]).text
    action = re.search(r'<a class="button compare-action" href="([^"]*)">对比所选 2 个乡镇', html)
    assert action, "two ticked townships offer the comparison"
    assert query_of(unescape(action.group(1))) == {"q": ["产业"], "by": ["township"], "value": ["汤垟乡", "斋坛乡"]}
    # Without JavaScript the facet form posts the ticked boxes to /compare, which redirects.
    assert 'formaction="/compare" name="by" value="township"' in html
    assert "compare-action" not in client.get("/", params={"q": "产业", "township": "汤垟乡"}).text
    redirect = client.get(
        "/compare", params=[("q", "产业"), ("by", "township"), ("township", "汤垟乡"), ("township", "斋坛乡")], follow_redirects=False
    )
    assert redirect.status_code == 303
    assert query_of(redirect.headers["location"]) == {"q": ["产业"], "by": ["township"], "value": ["汤垟乡", "斋坛乡"]}


def test_compare_page_explains_what_is_missing(client):
    none = client.get("/compare", params={"by": "year"})
    assert none.status_code == 422 and "请选择 2 到 6 个年份" in none.text and "现在是 0 个" in none.text
    assert re.findall(r'name="value" value="(\d{4})"', none.text)  # the years to tick
    one = client.get("/compare", params=[("by", "township"), ("value", "汤垟乡")])
    assert one.status_code == 422 and "请选择 2 到 6 个乡镇" in one.text
    assert 'name="value" value="汤垟乡" checked' in one.text  # and how to fix it
    assert client.get("/compare", params={"by": "kind"}).status_code == 422


def test_another_dimension_compares_the_values_within_these(client):
    html = client.get("/compare", params=PAIR).text
    switch = unescape(re.search(r'<a href="([^"]*)">年份</a>', html).group(1))
    assert query_of(switch) == {"q": ["产业"], "township": ["汤垟乡", "斋坛乡"], "by": ["year"], "value": ["2024", "2023"]}
    assert client.get(switch).status_code == 200


def test_compare_page_keeps_filters_as_removable_chips(client):
    html = client.get("/compare", params=PAIR + [("section", "总结")]).text
    chip = re.search(r'<a class="chip" href="([^"]*)"', html)
    assert chip and query_of(unescape(chip.group(1))) == {"q": ["产业"], "by": ["township"], "value": ["汤垟乡", "斋坛乡"]}
    assert re.search(r"\son[a-z]+=", html) is None and " style=" not in html


def test_openapi_documents_compare_and_followup(client):
    paths = client.get("/openapi.json").json()["paths"]
    parameters = {p["name"] for p in paths["/api/compare"]["get"]["parameters"]}
    assert {"q", "township", "year", "theme", "by", "value", "format", "size"} <= parameters
    assert "/api/passages/{passage_id}/followup" in paths
