"""Research features over the API: trends, export, similar passages, synonyms, suggestions."""

from __future__ import annotations

import csv
import io
import json

from indexer.analysis import normalize
from tests.conftest import GUIZHUMAO, TANGYANG


def containing(passages, needle: str) -> list:
    return [p for p in passages if normalize(needle) in normalize(p.text)]


def test_trends_count_hits_by_year_township_and_theme(client, passages):
    body = client.get("/api/trends", params={"q": "信访"}).json()
    assert set(body) == {"by_year", "by_township", "by_county", "by_kind", "by_theme"}  # facets declared with trend
    total = client.get("/api/search", params={"q": "信访"}).json()["total"]
    hits = [p for p in passages if normalize("信访") in normalize(p.text)]
    assert total == len(hits)  # 信访 is one word: the literal matches are the matches
    by_year = {b["value"]: b["count"] for b in body["by_year"]}
    expected: dict[str, int] = {}
    for p in hits:
        expected[str(p.year)] = expected.get(str(p.year), 0) + 1
    assert by_year == expected
    assert [b["value"] for b in body["by_year"]] == sorted(by_year)
    townships = body["by_township"]
    assert [t["count"] for t in townships] == sorted((t["count"] for t in townships), reverse=True)
    # every hit counts once, those whose township is unknown under 未识别
    assert sum(t["count"] for t in townships) == len(hits)
    assert {t["value"]: t["count"] for t in townships}.get("未识别", 0) == len([p for p in hits if not p.township])


def test_trends_respect_filters(client):
    body = client.get("/api/trends", params={"q": "光伏", "township": "汤垟乡"}).json()
    assert [b["value"] for b in body["by_township"]] == ["汤垟乡"]


def test_trends_list_the_top_buckets_and_count_the_rest_as_other(client, passages):
    everything = client.get("/api/trends", params={"q": "工作"}).json()
    assert not any(b["other"] for buckets in everything.values() for b in buckets)  # few values: no rest
    assert all(b["values"] == 1 for buckets in everything.values() for b in buckets)
    top = client.get("/api/trends", params={"q": "工作", "buckets": 1}).json()
    for name, buckets in top.items():
        full = everything[name]
        if len(full) <= 1:
            assert buckets == full
            continue
        first, rest = buckets
        assert first == max(full, key=lambda b: b["count"]) and not first["other"]
        assert rest == {"value": "其他", "count": sum(b["count"] for b in full) - first["count"], "other": True, "values": len(full) - 1}
    # a passage with several themes counts once per theme, in the rest as in the buckets
    assert top["by_township"][1]["count"] + top["by_township"][0]["count"] == client.get("/api/search", params={"q": "工作"}).json()["total"]
    for bad in (0, 1001, "x"):
        response = client.get("/api/trends", params={"q": "工作", "buckets": bad})
        assert response.status_code == 422 and "buckets" in response.json()["detail"]


def test_export_csv_has_every_hit_with_bom_and_links(client, passages):
    response = client.get("/api/export", params={"q": "百香果", "format": "csv", "size": 1})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "township",
        "county",
        "year",
        "section",
        "heading",
        "themes",
        "text",
        "url",
        "city",
        "province",
        "about_year",
        "kind",
        "period",
    ]
    assert len(rows) == len(containing(passages, "百香果")) == 4  # every hit, not one page of size 1
    assert all("百香果" in normalize(r["text"]) for r in rows)
    assert rows[0]["url"].startswith("http") and "/documents/" in rows[0]["url"] and "#" in rows[0]["url"]


def test_export_jsonl_follows_filters_and_sort(client):
    response = client.get("/api/export", params={"q": "信访", "format": "jsonl", "sort": "year_asc"})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert len(rows) == client.get("/api/search", params={"q": "信访"}).json()["total"]
    years = [r["year"] for r in rows]
    assert years == sorted(years)
    assert isinstance(rows[0]["themes"], list)
    filtered = client.get("/api/export", params={"q": "信访", "format": "jsonl", "township": "斋坛乡"}).text.splitlines()
    assert filtered and all(json.loads(line)["township"] == "斋坛乡" for line in filtered)
    assert client.get("/api/export", params={"format": "xlsx"}).status_code == 422


def test_similar_passages_come_from_other_reports(client):
    pid = f"{GUIZHUMAO}-0010"  # 百香果 industry passage
    body = client.get(f"/api/passages/{pid}/similar").json()
    assert 1 <= len(body) <= 5
    assert all(s["doc_id"] != GUIZHUMAO for s in body)
    assert all({"township", "year", "text", "url", "passage_id"} <= set(s) for s in body)
    assert client.get("/api/passages/nope/similar").status_code == 404


def test_synonyms_expand_without_reducing_recall(client, passages):
    literal = client.get("/api/search", params={"q": "两违", "expand": "false"}).json()
    expanded = client.get("/api/search", params={"q": "两违"}).json()
    assert literal["expanded"] == [] and "违法建筑" in expanded["expanded"]
    assert literal["total"] == len(containing(passages, "两违"))
    assert expanded["total"] == len({p.passage_id for w in ("两违", "违法建筑", "违章建筑") for p in containing(passages, w)})
    literal_ids = {h["passage_id"] for h in client.get("/api/search", params={"q": "两违", "size": 100}).json()["hits"]}
    assert {p.passage_id for p in containing(passages, "两违")} <= literal_ids
    marked = " ".join(h["snippet"] for h in expanded["hits"])
    assert "<mark>违法建筑</mark>" in marked or "<mark>违章建筑</mark>" in marked
    # a quoted string is never expanded
    assert client.get("/api/search", params={"q": '"两违"'}).json()["expanded"] == []


def test_suggestions(client):
    body = client.get("/api/suggest", params={"q": "汤"}).json()
    assert body["suggestions"][0] == "汤垟乡"
    assert "乡村振兴" in client.get("/api/suggest", params={"q": "鄉村"}).json()["suggestions"]
    assert len(client.get("/api/suggest", params={"q": "工"}).json()["suggestions"]) <= 10
    assert client.get("/api/suggest", params={"q": ""}).json()["suggestions"] == []
    assert client.get("/api/suggest", params={"q": "x" * 500}).status_code == 422


def test_document_of_a_similar_passage_exists(client):
    body = client.get(f"/api/passages/{TANGYANG}-0013/similar").json()
    for similar in body:
        assert client.get(f"/api/documents/{similar['doc_id']}").status_code == 200
