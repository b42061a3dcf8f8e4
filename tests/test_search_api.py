"""The JSON API contract and the semantics users rely on, on the bundled reports."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from indexer.analysis import normalize
from tests.conftest import ZHAITAN

HIT_KEYS = {
    "doc_id",
    "passage_id",
    "township",
    "county",
    "year",
    "section",
    "heading",
    "themes",
    "text",
    "snippet",
    "url",
    "city",
    "province",
    "about_year",
    "kind",
    "period",
}


def search(client, **params) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def all_ids(client, **params) -> list[str]:
    ids, page = [], 1
    while True:
        body = search(client, size=100, page=page, **params)
        ids += [h["passage_id"] for h in body["hits"]]
        if page * 100 >= body["total"]:
            assert len(ids) == body["total"]
            return ids
        page += 1


def containing(passages, *needles: str) -> set[str]:
    return {p.passage_id for p in passages if all(normalize(n) in normalize(p.text) for n in needles)}


# -- contract


def test_healthz(client, settings, passages):
    body = client.get("/healthz").json()
    assert {k: body[k] for k in ("status", "documents", "passages")} == {"status": "ok", "documents": 5, "passages": len(passages)}
    generation, engine = {"whoosh": ("gen-", "whoosh 2."), "postgres": ("generation ", "postgres 1")}[settings.engine]
    assert body["generation"].startswith(generation) and body["engine"].startswith(engine)
    assert set(body["analysis"]) == {"format_version", "jieba", "opencc", "userdict", "normalization"}


def test_healthz_without_index_is_503_with_how_to_build(tmp_path):
    with TestClient(create_app(Settings(index_dir=tmp_path / "none"))) as bare:
        response = bare.get("/healthz")
        assert response.status_code == 503
        assert "python -m indexer build" in response.json()["detail"]
        assert bare.get("/api/search", params={"q": "茶"}).status_code == 503


def test_search_response_shape(client):
    body = search(client, q="百香果")
    assert {"query", "total", "page", "size", "took_ms", "facets", "hits"} <= body.keys()
    assert body["query"] == "百香果" and body["page"] == 1 and body["size"] == 10
    assert set(body["facets"]) == {"township", "county", "year", "about_year", "section", "kind", "period", "theme"}
    for values in body["facets"].values():
        counts = [v["count"] for v in values]
        assert counts == sorted(counts, reverse=True)
        assert all(set(v) == {"value", "count", "selected"} for v in values)
    hit = body["hits"][0]
    assert set(hit) == HIT_KEYS
    assert hit["township"] == "桂竹帽镇" and hit["county"] == "寻乌县" and hit["year"] == 2023
    assert "<mark>百香果</mark>" in hit["snippet"]


def test_hit_url_points_to_the_passage_for_this_query(client):
    hit = search(client, q="稻+")["hits"][0]
    url = urlsplit(hit["url"])
    assert url.path == f"/documents/{hit['doc_id']}"
    assert parse_qs(url.query) == {"q": ["稻+"], "passage": [hit["passage_id"]]}
    assert url.fragment == hit["passage_id"]


def test_document_endpoint(client, processed):
    body = client.get(f"/api/documents/{ZHAITAN}").json()
    assert (body["township"], body["year"], body["kind"], body["publisher"], body["published"]) == (
        "斋坛乡",
        2024,
        "总结与计划",
        "斋坛乡人民政府",
        "2025-05-21",
    )
    assert body["index_number"] == "00266476_7/2025-20117"
    assert [p["passage_id"] for p in body["passages"]] == [p.passage_id for p in processed[ZHAITAN].passages]
    assert set(body["passages"][5]) >= {"passage_id", "heading", "section", "themes", "text"}
    missing = client.get("/api/documents/no-such-report")
    assert missing.status_code == 404 and "detail" in missing.json()


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/healthz",
        "/api/search",
        "/api/documents/{doc_id}",
        "/api/trends",
        "/api/export",
        "/api/suggest",
        "/api/passages/{passage_id}/similar",
    ):
        assert path in spec["paths"]
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "township", "year", "section", "theme", "sort", "page", "size"} <= names
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


# -- query language


def test_space_is_and(client, passages):
    ids = set(all_ids(client, q="光伏 集体经济"))
    assert ids >= containing(passages, "光伏", "集体经济")
    # both terms are required: each passage has 光伏, and 集体经济 verbatim or as its two words
    assert ids <= containing(passages, "光伏", "集体") & containing(passages, "经济")


def test_quoted_string_is_exact(client, passages):
    assert set(all_ids(client, q='"强村公司"')) == containing(passages, "强村公司")
    assert set(all_ids(client, q="“八八战略”")) == containing(passages, "八八战略")


def test_exclusion_removes_every_passage_containing_the_term(client, passages):
    with_both = containing(passages, "信访", "矛盾")
    assert with_both
    result = set(all_ids(client, q="信访 -矛盾"))
    assert result == containing(passages, "信访") - with_both
    assert set(all_ids(client, q='信访 -"矛盾纠纷"')) == containing(passages, "信访") - containing(passages, "矛盾纠纷")


def test_or_and_parentheses(client, passages):
    assert set(all_ids(client, q="光伏 OR 水电")) == containing(passages, "光伏") | containing(passages, "水电")
    grouped = set(all_ids(client, q="(光伏 OR 水电) 项目"))
    assert grouped >= (containing(passages, "光伏") | containing(passages, "水电")) & containing(passages, "项目")


def test_only_exclusions_browse_the_rest(client, passages):
    assert set(all_ids(client, q="-茶")) == {p.passage_id for p in passages} - containing(passages, "茶")


@pytest.mark.parametrize(
    "traditional, simplified",
    [("鄉村振興", "乡村振兴"), ("產業", "产业"), ("百香果產業", "百香果产业"), ("ＥＯＤ", "EOD"), ("eod", "EOD"), ("１８９万", "189万")],
)
def test_script_width_and_case_give_identical_results(client, traditional, simplified):
    assert all_ids(client, q=traditional) == all_ids(client, q=simplified)


def test_exact_string_ranks_above_separate_words(client, passages):
    exact = containing(passages, "光伏项目")
    words_only = containing(passages, "光伏", "项目") - exact
    assert exact and words_only
    ids = all_ids(client, q="光伏项目")
    assert set(ids) >= exact | words_only
    assert set(ids[: len(exact)]) == exact


def test_browse_is_in_document_order(client, processed):
    ids = all_ids(client)
    assert ids == [p.passage_id for report in processed.values() for p in report.passages]
    assert all_ids(client, sort="document", q="茶") == [i for i in ids if i in set(all_ids(client, q="茶"))]


def test_year_sorts(client):
    years = [h["year"] for h in search(client, q="信访", sort="year_desc", size=100)["hits"]]
    assert years == sorted(years, reverse=True)
    years = [h["year"] for h in search(client, q="信访", sort="year_asc", size=100)["hits"]]
    assert years == sorted(years)


def test_relevance_ties_break_by_document_order(index_dir):
    import numpy as np

    from app.search.engines import search_service
    from app.search.local import ranking

    index = search_service(index_dir).live.current().searcher.index  # the local searcher's own ranking
    docs = np.arange(0, index.size, 3, dtype=np.int32)
    in_order = sorted(docs.tolist(), key=lambda d: (index.documents[index.doc_ids[index.doc_of[d]]].order, int(index.ordinal[d])))
    # Equal relevance everywhere: document order decides, for a page and for the whole list.
    tied = ranking.relevance_value(np.full(len(docs), 1.5), np.ones(len(docs), dtype=np.int64))
    assert ranking.ordered(index, "relevance", docs, tied, 10).tolist() == in_order[:10]
    assert ranking.ordered(index, "relevance", docs, tied).tolist() == in_order
    # Verbatim matches first, then the score, then document order.
    last, fifth = in_order[-1], in_order[5]
    scores = np.where(docs == fifth, 9.0, 1.5)
    verbatim = (docs == last).astype(np.int64)
    ranked = ranking.ordered(index, "relevance", docs, ranking.relevance_value(scores, verbatim), 3)
    assert ranked.tolist() == [last, fifth, in_order[0]]


# -- facets


def test_facet_counts_equal_filtered_totals(client):
    body = search(client, q="乡村振兴")
    for facet, values in body["facets"].items():
        for value in values:
            assert search(client, q="乡村振兴", **{facet: value["value"]})["total"] == value["count"], (facet, value)


def test_disjunctive_facets(client):
    one = search(client, q="百香果", township="桂竹帽镇")
    assert {v["value"]: v["selected"] for v in one["facets"]["township"]}["桂竹帽镇"] is True
    # the township facet ignores its own selection: other townships still show their counts
    unfiltered = {v["value"]: v["count"] for v in search(client, q="产业")["facets"]["township"]}
    filtered = {v["value"]: v["count"] for v in search(client, q="产业", township="桂竹帽镇")["facets"]["township"]}
    assert filtered == unfiltered
    both = search(client, q="产业", township=["桂竹帽镇", "斋坛乡"])
    assert both["total"] == unfiltered["桂竹帽镇"] + unfiltered["斋坛乡"]
    # other facets reflect the township filter (different facets are ANDed)
    years = {v["value"]: v["count"] for v in both["facets"]["year"]}
    assert years == {"2023": unfiltered["桂竹帽镇"], "2024": unfiltered["斋坛乡"]}


def test_filters_work_with_an_empty_query(client, passages):
    body = search(client, section="问题", year="2023")
    expected = [p for p in passages if p.section == "问题" and p.year == 2023]
    assert body["total"] == len(expected)
    assert {h["section"] for h in body["hits"]} == {"问题"}
    themed = search(client, theme="民生保障", township="汤垟乡")
    assert themed["total"] == len([p for p in passages if "民生保障" in p.themes and p.township == "汤垟乡"])


def test_unknown_facet_values_find_nothing(client):
    assert search(client, q="茶", township="不存在乡")["total"] == 0
    body = search(client, township="不存在乡")
    assert body["total"] == 0 and {"value": "不存在乡", "count": 0, "selected": True} in body["facets"]["township"]


# -- highlighting


def test_traditional_passages_are_marked_for_simplified_queries(client):
    hits = search(client, q="产业", township="桂竹帽镇", size=50)["hits"]
    assert hits and all("<mark>產業</mark>" in h["snippet"] or "<mark>产业</mark>" in h["snippet"] for h in hits)


def test_every_occurrence_is_marked(client):
    hit = next(h for h in search(client, q="稻+", size=20)["hits"] if h["doc_id"] == ZHAITAN and "树样板" in h["text"])
    window = re.sub("</?mark>", "", hit["snippet"]).strip("…")
    assert hit["snippet"].count("<mark>稻+</mark>") == window.count("稻+") >= 2


def test_snippet_is_a_window_cut_at_punctuation(client):
    hit = next(h for h in search(client, q="189万")["hits"] if len(h["text"]) > 200)
    plain = re.sub("</?mark>", "", hit["snippet"])
    assert plain.startswith("…") and plain.endswith("…")
    assert 80 <= len(plain) <= 170
    inner = plain.strip("…")
    assert inner in hit["text"]
    start = hit["text"].index(inner)
    assert hit["text"][start - 1] in "。,，;；、:：!！?？ "


def test_empty_query_snippet_is_the_passage_start(client):
    hit = search(client, township="汤垟乡")["hits"][1]
    assert "<mark>" not in hit["snippet"]
    assert hit["text"].startswith(hit["snippet"].rstrip("…"))


def test_snippet_escapes_text(client):
    hit = search(client, q='"“八八战略”"')["hits"][0]
    assert "“<mark>" in hit["snippet"] or "<mark>“" in hit["snippet"]
    for h in search(client, q="茶", size=50)["hits"]:
        assert re.sub("</?mark>", "", h["snippet"]).count("<") == 0


# -- bad input never errors


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"乡村',
        "(((",
        ")))",
        "(光伏",
        "OR",
        "光伏 OR",
        "OR OR OR",
        "-",
        "- -",
        "--",
        "*",
        "?",
        "~",
        "^",
        ":",
        "*?~^:",
        "township:x",
        "year:2023",
        "c++",
        "1+3+N",
        "稻+",
        "：",
        "\x00\x01\x1f",
        "乡村\u200b振兴",
        "\ud7ff",
        "🙂",
        "a" * 499,
        "“",
        "”",
        "「",
        '"""',
    ],
)
def test_odd_queries_are_searched_not_errors(client, q):
    response = client.get("/api/search", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json()["total"] >= 0


def test_plain_text_operators_are_literal(client, passages):
    assert set(all_ids(client, q="1+3+N")) >= containing(passages, "1+3+n")
    assert set(all_ids(client, q="稻+")) == containing(passages, "稻+")
    assert set(all_ids(client, q="：")) >= containing(passages, ":")


def test_very_long_query_is_a_clear_422(client):
    for q in ("a" * 10_000, "乡" * 600):
        response = client.get("/api/search", params={"q": q})
        assert response.status_code == 422
        assert "500" in response.json()["detail"]


def test_page_past_the_end(client):
    body = search(client, q="百香果", page=50)
    assert body["hits"] == [] and body["total"] > 0 and body["page"] == 50


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": "x"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "0"}, "page"),
        ({"size": "0"}, "size"),
        ({"size": "101"}, "size"),
        ({"size": "ten"}, "size"),
        ({"year": "abc"}, "year"),
        ({"year": "-2023"}, "year"),
        ({"year": "20233"}, "year"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_bad_parameters_are_422_with_the_reason(client, params, field):
    response = client.get("/api/search", params=params)
    assert response.status_code == 422
    assert field in response.json()["detail"]


def test_time_limit_is_a_clear_503_with_retry_after(index_dir):
    # A limit no search can meet: the answer says so and when to retry, never a traceback.
    with TestClient(create_app(Settings(index_dir=index_dir, search_timeout=0.0))) as slow:
        response = slow.get("/api/search", params={"q": "乡村振兴"})
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert "时间限制" in response.json()["detail"]
        page = slow.get("/", params={"q": "乡村振兴"})
        assert page.status_code == 503 and "时间限制" in page.text


# -- ranking and filters on real reports (issue: real reports as townships publish them)


@pytest.mark.parametrize("q", ["乡村振兴", "党建", "产业"])
def test_bare_headings_and_fragments_do_not_outrank_substantive_passages(client, passages, q):
    headings = {p.passage_id for p in passages if p.is_heading}
    assert any(normalize(q) in normalize(p.text) for p in passages if p.is_heading)  # there are headings to outrank
    hits = search(client, q=q, size=3)["hits"]
    assert len(hits) == 3
    assert all(len(h["text"]) >= 30 and h["passage_id"] not in headings for h in hits), [h["text"][:30] for h in hits]


@pytest.mark.parametrize(
    "facet, written, other_script", [("township", "桂竹帽镇", "桂竹帽鎮"), ("county", "寻乌县", "尋烏縣"), ("theme", "产业发展", "產業發展")]
)
def test_filters_accept_either_script(client, facet, written, other_script):
    simplified = search(client, q="产业", **{facet: written})
    traditional = search(client, q="产业", **{facet: other_script})
    assert simplified["total"] > 0
    assert [h["passage_id"] for h in traditional["hits"]] == [h["passage_id"] for h in simplified["hits"]]
    assert traditional["total"] == simplified["total"]


def test_unknown_values_are_a_selectable_value(client, passages):
    body = search(client)
    unknown = [p for p in passages if not p.township]
    assert unknown  # the anonymized template names no township
    assert {v["value"]: v["count"] for v in body["facets"]["township"]}["未识别"] == len(unknown)
    selected = search(client, township="未识别", size=100)
    assert selected["total"] == len(unknown) and {h["township"] for h in selected["hits"]} == {None}
    assert {v["value"]: v["selected"] for v in selected["facets"]["township"]}["未识别"] is True
    both = search(client, township=["未识别", "汤垟乡"])["total"]
    assert both == len(unknown) + len([p for p in passages if p.township == "汤垟乡"])


def test_county_and_kind_facets_filter_like_the_others(client, passages):
    body = search(client, q="产业")
    counties = {v["value"]: v["count"] for v in body["facets"]["county"]}
    assert counties.get("寻乌县") and counties.get("溆浦县")
    for county, count in counties.items():
        assert search(client, q="产业", county=county)["total"] == count
    for kind in body["facets"]["kind"]:
        assert search(client, q="产业", kind=kind["value"])["total"] == kind["count"]
    trends = client.get("/api/trends", params={"q": "产业", "county": "寻乌县"}).json()
    assert [b["value"] for b in trends["by_county"]] == ["寻乌县"]
    rows = client.get("/api/export", params={"q": "产业", "county": "寻乌县", "format": "jsonl"}).text.splitlines()
    assert len(rows) == counties["寻乌县"]


def test_year_filter_must_be_a_year_or_unknown(client):
    assert client.get("/api/search", params={"year": "二〇二三"}).status_code == 422
    assert client.get("/api/search", params={"about_year": "abcd"}).status_code == 422
    assert client.get("/api/search", params={"year": "未识别"}).status_code == 200


def test_facet_size_lists_the_most_frequent_values_and_says_how_many_more(client):
    full = search(client, q="产业")
    townships = full["facets"]["township"]
    assert len(townships) > 2 and "township" not in full["facets_omitted"]
    short = search(client, q="产业", facet_size=2)
    assert short["facets"]["township"] == townships[:2]
    assert short["facets_omitted"]["township"] == len(townships) - 2
    assert short["total"] == full["total"]  # only the listing is shorter
    # A selected value is always listed, with its count, wherever it ranks.
    last = townships[-1]
    selected = search(client, q="产业", facet_size=1, township=last["value"])
    listed = {v["value"]: v for v in selected["facets"]["township"]}
    assert listed[last["value"]] == {**last, "selected": True} and len(listed) == 2
    assert client.get("/api/search", params={"facet_size": 0}).status_code == 422


def test_a_value_selected_in_the_other_script_is_listed_as_selected(client):
    body = search(client, q="产业", township="桂竹帽鎮")
    listed = {v["value"]: v["selected"] for v in body["facets"]["township"]}
    assert listed["桂竹帽镇"] is True and "桂竹帽鎮" not in listed
