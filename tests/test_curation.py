"""The curation view: /api/collection and /collection on the real bundled reports and on a data
folder with skipped files and awkward file names; its corrections are real data/metadata.toml
tables (parsed, then applied by a build)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.schemas import CollectionOut
from app.search import curation
from app.search.service import DocumentView
from app.settings import Settings
from indexer.build import build
from indexer.contract import CONFIRMED, CORRECTED, TOWNSHIP_UNKNOWN
from tests.conftest import DATA_DIR, TANGYANG, TEMPLATE

FIELDS = {
    "doc_id",
    "title",
    "source",
    "url",
    "township",
    "county",
    "year",
    "year_inferred",
    "kind",
    "period",
    "evidence",
    "warnings",
    "corrected",
    "correction",
}
AWKWARD = 'sub dir/汤垟 "副本" \\ 2.txt'  # quotes, a backslash, a space, a folder


def collection(client, sort: str = "") -> dict:
    response = client.get("/api/collection" + (f"?sort={sort}" if sort else ""))
    assert response.status_code == 200, response.text
    return CollectionOut.model_validate(response.json()).model_dump()


def by_id(found: dict) -> dict[str, dict]:
    return {d["doc_id"]: d for d in found["documents"]}


# ----------------------------------------------------------------------- the bundled reports


def test_every_report_with_its_fields_evidence_and_warnings_first(client):
    found = collection(client)
    assert found["skipped"] == []
    documents = found["documents"]
    assert len(documents) == 5 and all(set(d) == FIELDS for d in documents)
    # The anonymized template (xx镇, xxxx年) is the one report needing a person: it comes first.
    first = documents[0]
    assert first["doc_id"] == TEMPLATE and first["township"] is None and first["year_inferred"]
    assert any(w.startswith("乡镇未识别") for w in first["warnings"])
    assert any("由上下文推断" in w and "十三五" in w for w in first["warnings"])
    assert sum(w.startswith(TOWNSHIP_UNKNOWN) for w in first["warnings"]) == 1  # said once, not twice
    assert [d["warnings"] for d in documents[1:]] == [[]] * 4
    tangyang = by_id(found)[TANGYANG]
    assert (tangyang["township"], tangyang["county"], tangyang["year"]) == ("汤垟乡", "青田县", 2023)
    assert "自称" in tangyang["evidence"]["township"] and tangyang["url"] == f"/documents/{TANGYANG}"


def test_corrections_are_tables_of_metadata_toml(client):
    for document in collection(client)["documents"]:
        parsed = tomllib.loads(document["correction"])
        assert list(parsed) == [document["source"]]
        if document["doc_id"] == TEMPLATE:
            # the doubtful fields, holding their current values (pasted unchanged: no change)
            assert parsed[document["source"]] == {"township": "", "county": "", "year": 2020}
        else:
            assert parsed[document["source"]] == {}  # nothing doubtful: every line commented out
            assert f'# township = "{document["township"]}"' in document["correction"]


@pytest.mark.parametrize(
    "sort, key, descending",
    [
        ("township", "township", False),
        ("county", "county", False),
        ("year_desc", "year", True),
        ("year_asc", "year", False),
        ("source", "source", False),
    ],
)
def test_sorts(client, sort, key, descending):
    values = [d[key] for d in collection(client, sort)["documents"]]
    known = [v for v in values if v is not None]
    assert values == known + [None] * (len(values) - len(known))  # unknown values last either way
    assert known == sorted(known, reverse=descending)


def test_default_sort_is_warnings(client):
    assert collection(client) == collection(client, "warnings")


# ------------------------------------------------------- skipped files, corrections applied


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """The bundled reports, one more under an awkward name, and two files a build skips."""
    data = tmp_path_factory.mktemp("curation-data")
    for report in DATA_DIR.iterdir():
        shutil.copy(report, data / report.name)
    awkward = data / AWKWARD
    awkward.parent.mkdir()
    text = (DATA_DIR / f"{TANGYANG}.txt").read_text(encoding="utf-8")
    awkward.write_text(text + "\n附：本文件为副本，供核查测试使用。\n", encoding="utf-8")
    (data / "空白.txt").write_bytes(b"")
    (data / "图片.txt").write_bytes(bytes(range(256)) * 8)
    return data


def _client(index: Path) -> TestClient:
    return TestClient(create_app(Settings(index_dir=index)), raise_server_exceptions=False)


def _edit(correction: str, old: str, new: str) -> str:
    assert correction.count(old) == 1, (old, correction)
    return correction.replace(old, new)


def test_skipped_files_and_a_correction_applied_by_a_build(data_dir, tmp_path):
    first = tmp_path / "index-1"
    build(data_dir, first, metadata_path=tmp_path / "none.toml", procs=1)
    with _client(first) as client:
        before = collection(client)
        page = client.get("/collection").text
    skipped = {s["file"]: s["reason"] for s in before["skipped"]}
    assert set(skipped) == {"空白.txt", "图片.txt"}
    assert "empty" in skipped["空白.txt"] and "binary" in skipped["图片.txt"]
    assert all(file in page and reason in page for file, reason in skipped.items())
    documents = by_id(before)
    awkward = next(d for d in before["documents"] if d["source"] == AWKWARD)
    assert list(tomllib.loads(awkward["correction"])) == [AWKWARD]

    # A curator fills in the template's township and county, keeps its inferred year, corrects
    # the awkward file's kind, and pastes every other report's table as it is.
    template = documents[TEMPLATE]["correction"]
    template = _edit(template, 'township = ""', 'township = "和平镇"')
    template = _edit(template, 'county = ""', 'county = "某某县"')
    fixed_kind = _edit(awkward["correction"], '# kind = "总结与计划"', 'kind = "工作总结"')
    others = [d["correction"] for d in before["documents"] if d["doc_id"] != TEMPLATE and d["source"] != AWKWARD]
    metadata = tmp_path / "metadata.toml"
    metadata.write_text("\n".join([template, fixed_kind, *others]), encoding="utf-8")

    second = tmp_path / "index-2"
    build(data_dir, second, metadata_path=metadata, procs=1)
    with _client(second) as client:
        after = collection(client)
        page = client.get("/collection").text
    corrected = by_id(after)[TEMPLATE]
    assert (corrected["township"], corrected["county"], corrected["year"], corrected["year_inferred"]) == ("和平镇", "某某县", 2020, False)
    assert corrected["evidence"]["township"] == CORRECTED
    assert corrected["evidence"]["year"] == CONFIRMED
    assert corrected["warnings"] == [] and after["documents"][0]["warnings"] == []
    assert "已有更正" in corrected["correction"] and "已按 data/metadata.toml 更正" in page
    awkward_after = next(d for d in after["documents"] if d["source"] == AWKWARD)
    assert awkward_after["kind"] == "工作总结" and awkward_after["evidence"]["kind"] == CORRECTED
    # Tables pasted unchanged change nothing.
    for doc_id, document in by_id(after).items():
        if doc_id != TEMPLATE and document["source"] != AWKWARD:
            old = documents[doc_id]
            assert document["corrected"] == [] and document["evidence"] == old["evidence"]
            assert [document[f] for f in curation.CORRECTED_FIELDS] == [old[f] for f in curation.CORRECTED_FIELDS]


def test_the_server_only_reads_the_index(data_dir, tmp_path):
    index = tmp_path / "index"
    build(data_dir, index, procs=1)

    def snapshot() -> dict[str, tuple[int, int]]:
        return {str(p.relative_to(index)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(index.rglob("*"))}

    before = snapshot()
    with _client(index) as client:
        for url in ("/api/collection", "/collection", "/collection?sort=kind", "/api/collection?sort=source"):
            assert client.get(url).status_code == 200
    assert snapshot() == before


# ------------------------------------------------------------------------------- the page


def test_page_links_sorts_and_reports(client):
    response = client.get("/collection")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<a href="/collection" aria-current="page">元数据核查</a>' in html
    for document in collection(client)["documents"]:
        assert f'href="/documents/{document["doc_id"]}"' in html
    assert '<a href="/collection" aria-current="true">需核实的优先</a>' in html
    assert '<a href="/collection?sort=year_asc">年份旧→新</a>' in html
    assert html.index(TEMPLATE) < html.index(TANGYANG)  # warnings first
    sorted_page = client.get("/collection?sort=year_asc").text
    assert '<a href="/collection?sort=year_asc" aria-current="true">年份旧→新</a>' in sorted_page
    assert "needing" not in html and "None" not in html


def test_header_links_the_view_from_every_page(client):
    for url in ("/", f"/documents/{TANGYANG}", "/no-such-page"):
        assert '<a href="/collection">元数据核查</a>' in client.get(url).text


def test_bad_sort_is_a_clear_422(client):
    page = client.get("/collection?sort=colour")
    assert page.status_code == 422 and "sort" in page.text and "Traceback" not in page.text
    api = client.get("/api/collection?sort=colour")
    assert api.status_code == 422 and "warnings" in api.json()["detail"]


def test_correction_key_falls_back_to_the_doc_id_for_names_toml_cannot_hold():
    view = DocumentView(
        doc_id="bad-name",
        source="report-\udcff.txt",
        title=None,
        township=None,
        county=None,
        year=None,
        year_inferred=False,
        kind="其他",
        publisher=None,
        published=None,
        passages=[],
    )
    reviewed = curation.review([view], []).reviews[0]
    assert tomllib.loads(reviewed.correction) == {"bad-name": {"township": "", "county": "", "year": ""}}
    assert [w.split(" ")[0] for w in reviewed.warnings] == ["乡镇未识别", "县未识别", "年份未识别"]


def test_without_an_index_the_view_says_how_to_build_one(tmp_path):
    with _client(tmp_path) as client:
        page, api = client.get("/collection"), client.get("/api/collection")
    assert page.status_code == 503 and "python -m indexer build" in page.text and "元数据核查" in page.text
    assert api.status_code == 503 and "python -m indexer build" in api.json()["detail"]


def test_the_curation_page_is_paged(client, monkeypatch):
    from app.routes import pages

    monkeypatch.setattr(pages, "CURATION_PAGE_SIZE", 2)
    first = client.get("/collection").text
    assert first.count('class="curation-item') == 2 and 'aria-label="分页"' in first
    last = client.get("/collection", params={"page": 3}).text
    assert last.count('class="curation-item') == 1 and 'start="5"' in last
    assert client.get("/collection", params={"page": 0}).status_code == 422
