"""A county's official name and its common form select and find each other (issue 19: 芷江县 and
芷江侗族自治县), through the API on real text: the bundled reports and three fixture reports, one
writing 芷江侗族自治县 in its text, two writing 通道县 and 芷江县 (whose county field holds the
official names, as extraction reads them), served by each engine.

The mapping is the search service's (filter values before they reach the engine, query words
expanded like synonyms), so it is checked through the port for every engine of
``tests/engines.py`` as well."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.search.port_service import PortSearchService
from app.search.service import CompareRequest, SearchRequest
from app.settings import Settings
from app.urls import toggle
from indexer import gazetteer
from indexer.build import build
from indexer.normalize import normalize
from tests.conftest import DATA_DIR, SERVED_BY
from tests.engines import ENGINES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPORTS = {
    "jingwuzhou": FIXTURES / "round2" / "r27_countyform_jingwuzhou.txt",  # 通道县菁芜洲镇 (通道侗族自治县)
    "tuqiao": FIXTURES / "round2" / "r28_countyform_dup_tuqiao.txt",  # 芷江县土桥镇 (芷江侗族自治县)
    "biyong": FIXTURES / "round3" / "t15_official_countyname_biyong.txt",  # 芷江侗族自治县碧涌镇
}
ZHIJIANG, TONGDAO = "芷江侗族自治县", "通道侗族自治县"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("county-forms-data")
    for report in DATA_DIR.iterdir():
        shutil.copy(report, folder / report.name)
    for name, report in REPORTS.items():
        shutil.copy(report, folder / f"{name}{report.suffix}")
    return folder


@pytest.fixture(scope="module", params=SERVED_BY)
def client(request, data_dir, tmp_path_factory):
    """The API over these reports, built by each engine's own sink."""
    index_dir = tmp_path_factory.mktemp("county-forms-index")
    build(data_dir, index_dir, procs=1)
    settings = Settings(index_dir=index_dir)
    if request.param == "postgres":
        from indexer.postgres_store.build import build as build_postgres
        from tests import pgcluster

        dsn = pgcluster.new_database(request.getfixturevalue("postgres"))
        build_postgres(data_dir, dsn, procs=1)
        settings = Settings(index_dir=index_dir, engine="postgres", pg_dsn=dsn, pg_read_dsns=())
    gazetteer.counties.cache_clear()
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        # Loaded when the service warmed up, not by the first request.
        assert gazetteer.counties.cache_info().currsize == 1
        yield test_client


def search(client, **params) -> dict:
    response = client.get("/api/search", params={"size": 50, **params})
    assert response.status_code == 200, response.text
    return response.json()


def county_facet(answer: dict) -> dict[str, tuple[int, bool]]:
    return {v["value"]: (v["count"], v["selected"]) for v in answer["facets"]["county"]}


def test_the_reports_hold_the_official_names(client):
    counties = county_facet(search(client))
    assert counties[ZHIJIANG][0] > 0 and counties[TONGDAO][0] > 0
    assert "芷江县" not in counties and "通道县" not in counties


@pytest.mark.parametrize("common, official", [("芷江县", ZHIJIANG), ("芷江自治县", ZHIJIANG), ("通道县", TONGDAO)])
def test_a_common_form_selects_the_official_name(client, common, official):
    by_common, by_official = search(client, county=common), search(client, county=official)
    assert by_common["total"] == by_official["total"] > 0
    assert {h["county"] for h in by_common["hits"]} == {official}
    assert county_facet(by_common)[official][1] is True  # the facet shows the value the index holds, ticked


def test_several_forms_and_names_the_list_does_not_know(client):
    both = search(client, county=["芷江县", "通道县"])
    assert both["total"] == search(client, county=ZHIJIANG)["total"] + search(client, county=TONGDAO)["total"]
    assert search(client, county=["芷江县", ZHIJIANG])["total"] == search(client, county=ZHIJIANG)["total"]
    # an official county without reports, a name the list lacks: kept as they are, nothing found
    for value in ("长兴县", "不存在县"):
        answer = search(client, county=value)
        assert answer["total"] == 0 and county_facet(answer)[value] == (0, True)
    unknown = search(client, county="未识别")
    assert unknown["total"] > 0 and all(h["county"] is None for h in unknown["hits"])


def test_a_query_word_finds_the_other_form_in_the_text(client):
    common = search(client, q="芷江县")
    assert {ZHIJIANG, "芷江自治县"} <= set(common["expanded"])
    texts = [h["text"] for h in common["hits"]]
    assert any(ZHIJIANG in t and "芷江县" not in t for t in texts)  # (biyong writes the official name)
    assert any("<mark>" + ZHIJIANG + "</mark>" in h["snippet"] for h in common["hits"])
    official = search(client, q=TONGDAO)
    assert "通道县" in official["expanded"]
    assert any("通道县" in h["text"] and TONGDAO not in h["text"] for h in official["hits"])  # (jingwuzhou writes 通道县)


def test_quoted_or_unexpanded_words_are_searched_as_written(client):
    for params in ({"q": '"芷江县"'}, {"q": "芷江县", "expand": "false"}):
        answer = search(client, **params)
        assert answer["expanded"] == [] and answer["total"] > 0
        assert all("芷江县" in normalize(h["text"]) for h in answer["hits"])
    assert "光伏发电" in search(client, q="光伏")["expanded"]  # (synonyms as before)
    assert search(client, q="溆浦县")["expanded"] == []  # a county without other forms (祖师殿镇's)


def test_compare_and_trends_take_the_common_form(client):
    compared = client.get("/api/compare", params={"by": "county", "value": ["芷江县", "通道县"]})
    assert compared.status_code == 200, compared.text
    totals = [column["total"] for column in compared.json()["columns"]]
    assert totals == [search(client, county=ZHIJIANG)["total"], search(client, county=TONGDAO)["total"]]
    trends = client.get("/api/trends", params={"county": "芷江县"})
    assert trends.status_code == 200
    assert {b["value"] for b in trends.json()["by_county"]} == {ZHIJIANG}


def test_a_ticked_common_form_is_unticked_by_its_official_name():
    ticked = SearchRequest(county=("芷江县",))
    assert toggle(ticked, "county", ZHIJIANG).county == ()
    assert toggle(ticked, "county", TONGDAO).county == ("芷江县", TONGDAO)


@pytest.mark.parametrize("engine_name", list(ENGINES))
def test_every_engine_answers_the_forms_alike(engine_name, data_dir, tmp_path):
    with ENGINES[engine_name](data_dir, tmp_path) as engine:
        service = PortSearchService(engine)
        service.warm()
        by_common = service.search(SearchRequest(county=("芷江县",), size=50))
        by_official = service.search(SearchRequest(county=(ZHIJIANG,), size=50))
        assert by_common.total == by_official.total > 0 and {h.county for h in by_common.hits} == {ZHIJIANG}
        found = service.search(SearchRequest(q="芷江县", size=50))
        assert ZHIJIANG in found.expanded and any(ZHIJIANG in h.text and "芷江县" not in h.text for h in found.hits)
        compared = service.compare(CompareRequest(by="county", values=("通道县",), search=SearchRequest()))
        assert compared.columns[0].total == service.search(SearchRequest(county=(TONGDAO,))).total > 0
