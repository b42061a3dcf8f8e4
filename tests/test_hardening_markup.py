"""Reports and queries that try to inject markup are text everywhere the JSON API shows them.

A small index is built from one crafted report (``<script>``, ``<img onerror>``, entities,
``{{ }}``, ``{% %}``, a literal ``</mark>``; its township and publisher set to markup through
the metadata file) plus one real report. In the JSON API the only HTML is ``snippet``: all
text escaped, matches in ``<mark>``. Everything else is plain JSON text, shown as written.
(The HTML pages and the browser check come with the UI: :func:`markup_index` is reusable.)
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from indexer.build import build
from tests.conftest import DATA_DIR, TANGYANG
from tests.test_hardening_input import assert_safe_snippet

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
TOWNSHIP = "<script>alert(7)</script>镇"
PUBLISHER = '"><img src=x onerror=alert(8)>'
CRAFTED = f"""{SCRIPT}镇2024年工作总结

一、2024年工作开展情况
（一）{IMG}产业发展。今年我镇推进光伏项目，{SCRIPT}建成村级电站3座，&lt;b&gt;实体&amp;lt;测试&#x3C;script&#x3E;。
（二）模板注入。{{{{ 7*7 }}}} 与 {{% for x in range(3) %}}循环{{% endfor %}} 以及 ${{7*7}} 都应原样显示，"引号"和'单引号'，<a href="javascript:alert(3)">链接</a>。
（三）属性注入。" onmouseover="alert(4)" 与 ' onfocus='alert(5)' 以及 </mark><mark> 标签。

二、2025年工作计划
继续推进光伏项目<svg onload=alert(6)>，做好信访工作。
"""
PAYLOADS = [
    SCRIPT,
    IMG,
    "&lt;b&gt;实体&amp;lt;测试&#x3C;script&#x3E;",
    "{{ 7*7 }}",
    "{% for x in range(3) %}",
    "</mark><mark>",
    '<a href="javascript:alert(3)">',
    "<svg onload=alert(6)>",
]


def build_markup_index(root: Path) -> Path:
    """An index of the crafted report and one real report under ``root``; returns the index dir."""
    data = root / "data"
    data.mkdir(parents=True)
    (data / "xss.txt").write_text(CRAFTED, encoding="utf-8")
    shutil.copy(DATA_DIR / f"{TANGYANG}.txt", data)
    metadata = root / "metadata.toml"
    metadata.write_text(f"[\"xss.txt\"]\ntownship = '''{TOWNSHIP}'''\npublisher = '''{PUBLISHER}'''\n", encoding="utf-8")
    index = root / "index"
    build(data, index, metadata_path=metadata, procs=1)
    return index


@pytest.fixture(scope="module")
def markup_index(tmp_path_factory) -> Path:
    return build_markup_index(tmp_path_factory.mktemp("markup"))


@pytest.fixture(scope="module")
def markup_client(markup_index):
    with TestClient(create_app(Settings(index_dir=markup_index)), raise_server_exceptions=False) as client:
        yield client


def _all_hits(client, **params):
    body = client.get("/api/search", params={"size": 100, **params}).json()
    assert body["total"] <= 100
    return body


def test_the_crafted_report_is_indexed_as_written(markup_client):
    document = markup_client.get("/api/documents/xss").json()
    assert document["township"] == TOWNSHIP and document["publisher"] == PUBLISHER
    assert document["title"].startswith(SCRIPT)
    text = "\n".join(p["text"] for p in document["passages"])
    for payload in PAYLOADS:
        assert payload in text  # JSON carries the text as written; escaping is the renderer's job


@pytest.mark.parametrize(
    "q",
    [
        "",
        "光伏",
        "alert",
        "script",
        SCRIPT,
        "<script>",
        IMG,
        "onerror",
        "</mark>",
        "<mark>",
        "&lt;",
        "&amp;",
        "{{ 7*7 }}",
        '"{% for"',
        "7*7",
        '"',
        "'",
        "javascript:alert(3)",
        "x onerror=alert(2)",
        "产业 <b>",
    ],
)
def test_snippets_escape_everything_but_mark(markup_client, q):
    body = _all_hits(markup_client, q=q)
    for hit in body["hits"]:
        assert_safe_snippet(hit["snippet"], hit["text"])
        assert hit["url"].startswith("/documents/") and not set(hit["url"]) & set("<>\"' ")
    if q in ("alert", "script", "onerror", "<script>", "</mark>"):
        assert body["total"] > 0


@pytest.mark.parametrize(
    "q, marked",
    [("<script>", "&lt;script&gt;"), ("alert", "alert"), ("</mark>", "&lt;/mark&gt;"), ("&lt;", "&amp;lt;"), ('"{{ 7*7 }}"', "{{ 7*7 }}")],
)
def test_markup_queries_are_marked_as_text(markup_client, q, marked):
    body = _all_hits(markup_client, q=q)
    assert body["total"] > 0
    snippets = " ".join(hit["snippet"] for hit in body["hits"])
    assert f"<mark>{marked}</mark>" in snippets, snippets
    assert "<script" not in snippets and "<img" not in snippets and "<svg" not in snippets


def test_facets_trends_and_similar_carry_plain_text(markup_client):
    body = _all_hits(markup_client)
    townships = {f["value"] for f in body["facets"]["township"]}
    assert TOWNSHIP in townships  # a JSON string; the page escapes it when it shows it
    filtered = _all_hits(markup_client, township=TOWNSHIP)
    assert filtered["total"] > 0 and all(h["township"] == TOWNSHIP for h in filtered["hits"])
    trends = markup_client.get("/api/trends", params={"q": "光伏"}).json()
    assert TOWNSHIP in {b["value"] for b in trends["by_township"]}
    passage = next(h["passage_id"] for h in _all_hits(markup_client, q="光伏")["hits"] if h["doc_id"] == "xss")
    similar = markup_client.get(f"/api/passages/{passage}/similar").json()
    for item in similar:
        assert item["url"].startswith("/documents/")


def test_export_carries_text_as_written(markup_client):
    csv_text = markup_client.get("/api/export", params={"q": "alert"}).text
    assert SCRIPT in csv_text  # a CSV cell is data, not markup
    assert markup_client.get("/api/export", params={"q": "alert"}).headers["content-type"].startswith("text/csv")


def test_json_is_never_served_as_html(markup_client):
    for url in ("/api/search?q=" + SCRIPT, "/api/documents/xss", "/api/documents/" + SCRIPT, "/api/suggest?q=<scr"):
        response = markup_client.get(url)
        assert response.headers["content-type"].startswith("application/json"), url
        assert response.headers["x-content-type-options"] == "nosniff"
    detail = markup_client.get("/api/documents/" + html.escape(SCRIPT)).json()["detail"]
    assert isinstance(detail, str)
