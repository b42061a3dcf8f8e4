"""Hostile and broken input (issue 6): the query parser and every API parameter, ids and paths,
limits, headers, errors without stack traces, and a missing or corrupt index.

Property-based with hypothesis (derandomized, moderate example counts): whatever is typed,
the answer is never a 5xx, always JSON under /api, and within the search time limit.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import time
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import create_app
from app.search import live as search_live
from app.search.engines import search_service
from app.search.query import MAX_TERMS, And, Not, Or, Term, parse
from app.search.service import SearchError, SearchRequest
from app.settings import MAX_PAGE, MAX_PAGE_SIZE, Settings
from indexer import layout
from tests.server import run_coroutine

LIMITS = Settings()
TIME_LIMIT = LIMITS.search_timeout + 1.0  # the service's own limit, plus the HTTP round trip

PROPERTY = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces a hostile or clumsy user types: operators, quotes of every kind, field syntax,
# wildcards, markup, template syntax, control and invisible characters, and real words.
ATOMS = [
    '"',
    "“",
    "”",
    "＂",
    "「",
    "」",
    "(",
    ")",
    "（",
    "）",
    "-",
    "－",
    "OR",
    "ＯＲ",
    "or",
    "||",
    "AND",
    "NOT",
    "*",
    "?",
    "~",
    "^",
    ":",
    "township:x",
    "year:2023",
    "+",
    "\\",
    "/",
    "%",
    "%00",
    "&",
    ";",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</mark>",
    "&amp;",
    "&#60;",
    "{{ 7*7 }}",
    "{% if %}",
    "${x}",
    "\x00",
    "\t",
    "\n",
    "\r",
    "\x1b",
    "\u3000",
    "\u200b",
    "\ufeff",
    "\u202e",
    "光伏",
    "信访",
    "乡村振兴",
    "鄉村振興",
    "茶",
    "线虫",
    "c++",
    "1+3+N",
    "稻+",
    "：",
    "2023",
    "EOD",
    "😀",
    "\U00020000",
]
EDGE_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "100",
    "101",
    "10000",
    "10001",
    "99999999999999999999",
    "-99999999999999999999",
    "1e3",
    "1.5",
    "NaN",
    "inf",
    "null",
    "true",
    "false",
    "[]",
    "{}",
    "２",
    "٣",
    "2023",
    "２０２３",
    "0x10",
    "relevance",
    "year_desc",
    "document",
    "csv",
    "jsonl",
    "总结",
    "汤垟乡",
    "x" * (LIMITS.max_query_chars + 1),
    "光" * LIMITS.max_query_chars,
    "a" * 10_000,
]
hostile_text = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(ATOMS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(ATOMS), max_size=12).map("".join),
    st.sampled_from(EDGE_VALUES),
)
OPERATORS = ['"', "“", "”", "(", ")", "（", "）", "-", "OR", "ＯＲ", "||", " "]
queries = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(OPERATORS), max_size=8).map(" ".join),  # operators and nothing else
    st.lists(st.sampled_from(OPERATORS + ["光伏", "a"]), max_size=10).map("".join),
    st.lists(st.one_of(st.sampled_from(ATOMS), st.text(max_size=3)), max_size=40).map(" ".join),
    st.lists(st.sampled_from(ATOMS), max_size=40).map("".join),
)

SEARCH_PARAMETERS = ["q", "township", "year", "section", "theme", "sort", "page", "size", "expand", "unknown"]


def parameters(names: list[str]):
    """Query parameters as a list of pairs: any of ``names``, each repeated up to three times."""
    return st.dictionaries(st.sampled_from(names), st.lists(hostile_text, min_size=1, max_size=3), max_size=len(names)).map(
        lambda chosen: [(name, value) for name, values in chosen.items() for value in values]
    )


SAFE_SNIPPET = re.compile(r"(?:[^<>\"']|<mark>[^<>\"']*</mark>)*")


def assert_safe_snippet(snippet: str, text: str) -> None:
    """A snippet is escaped text with only <mark> tags, and it is a piece of the passage."""
    assert SAFE_SNIPPET.fullmatch(snippet), snippet
    plain = html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))
    plain = plain.removeprefix("…").removesuffix("…")
    assert plain in text, (snippet, text)


def timed_get(client: TestClient, url: str, params=None):
    started = time.monotonic()
    response = client.get(url, params=params)
    return response, time.monotonic() - started


def assert_api_answer(response, elapsed: float, allowed=(200, 404, 422), json_body: bool = True) -> None:
    context = f"{response.request.url}: {response.status_code} {response.text[:300]}"
    assert response.status_code < 500, context
    assert response.status_code in allowed, context
    assert elapsed < TIME_LIMIT, f"{elapsed:.1f} s: {context}"
    assert "Traceback" not in response.text and 'File "' not in response.text, context
    if json_body or response.status_code != 200:
        assert response.headers["content-type"].startswith("application/json"), context
        body = response.json()
        if response.status_code != 200:
            assert isinstance(body.get("detail"), str) and body["detail"], context


# -- the query parser ---------------------------------------------------------------------


def _terms(node) -> int:
    if isinstance(node, Term):
        assert node.text.strip(), f"empty term in {node!r}"
        return 1
    if isinstance(node, Not):
        return _terms(node.child)
    assert isinstance(node, (And, Or)) and node.children
    return sum(_terms(child) for child in node.children)


@settings(PROPERTY, max_examples=300)
@given(queries)
def test_parser_never_raises_and_every_term_has_text(q):
    parsed = parse(q)
    if parsed.root is not None:
        assert _terms(parsed.root) <= MAX_TERMS + 1
    assert all(term.text.strip() for term in parsed.terms)


@settings(PROPERTY, max_examples=150)
@given(queries)
def test_service_answers_every_parsed_query(service, q):
    try:
        result = service.search(SearchRequest(q=q))
        list(service.export(SearchRequest(q=q)))
        service.trends(SearchRequest(q=q))
    except SearchError:  # the time limit (a 503 with Retry-After over HTTP), allowed
        return
    for hit in result.hits:
        assert_safe_snippet(hit.snippet, hit.text)


@pytest.mark.parametrize(
    "q",
    [
        "( OR",
        "（ OR",
        "( ) OR",
        "( OR )",
        "OR",
        "OR OR",
        "-",
        "- OR",
        "(-",
        '"',
        '""',
        "“",
        '-""',
        "((((((((((((光伏",
        "光伏)))))",
        "||",
        "township:x",
        "*?~^:",
        "\x00\x01",
    ],
)
def test_operator_only_queries_are_searches(client, q):
    response, elapsed = timed_get(client, "/api/search", {"q": q})
    assert_api_answer(response, elapsed, allowed=(200,))


# -- every API parameter --------------------------------------------------------------------


@settings(PROPERTY, max_examples=150)
@given(parameters(SEARCH_PARAMETERS))
def test_search_parameters(client, params):
    response, elapsed = timed_get(client, "/api/search", params)
    assert_api_answer(response, elapsed, allowed=(200, 422))
    if response.status_code == 200:
        body = response.json()
        assert 1 <= body["size"] <= MAX_PAGE_SIZE and len(body["hits"]) <= body["size"]
        for hit in body["hits"]:
            assert_safe_snippet(hit["snippet"], hit["text"])
            assert hit["url"].startswith("/documents/") and not set(hit["url"]) & set("<>\"' ")


@settings(PROPERTY, max_examples=60)
@given(parameters(SEARCH_PARAMETERS))
def test_trends_parameters(client, params):
    response, elapsed = timed_get(client, "/api/trends", params)
    assert_api_answer(response, elapsed, allowed=(200, 422))


@settings(PROPERTY, max_examples=60)
@given(parameters(SEARCH_PARAMETERS + ["format"]))
def test_export_parameters(client, params):
    response, elapsed = timed_get(client, "/api/export", params)
    assert_api_answer(response, elapsed, allowed=(200, 422), json_body=False)
    if response.status_code == 200:
        if response.headers["content-type"].startswith("application/x-ndjson"):
            for line in response.text.splitlines():
                json.loads(line)
        else:
            assert response.headers["content-type"].startswith("text/csv")
            assert response.text.startswith("\ufefftownship,")


@settings(PROPERTY, max_examples=100)
@given(parameters(["q", "limit", "unknown"]))
def test_suggest_parameters(client, params):
    response, elapsed = timed_get(client, "/api/suggest", params)
    assert_api_answer(response, elapsed, allowed=(200, 422))


@pytest.fixture(scope="module")
def known_ids(client):
    hits = client.get("/api/search", params={"size": 100}).json()["hits"]
    return sorted({h["doc_id"] for h in hits}), [h["passage_id"] for h in hits]


ids = st.one_of(
    hostile_text,
    st.sampled_from(["..", ".", "../..", "../../etc/passwd", "/etc/passwd", "%2e%2e", "a/b", "a\\b", "\x00", "a\x00b", "000_6b839ddbfe8036b3/../x"]),
)


@settings(PROPERTY, max_examples=80)
@given(ids, parameters(["limit", "unknown"]), st.booleans())
def test_similar_passage_ids_and_limits(client, known_ids, passage_id, params, real):
    if real:
        passage_id = known_ids[1][len(passage_id) % len(known_ids[1])]
    response, elapsed = timed_get(client, f"/api/passages/{quote(passage_id, safe='')}/similar", params)
    assert_api_answer(response, elapsed)


@settings(PROPERTY, max_examples=80)
@given(ids, parameters(["q", "expand", "unknown"]))
def test_document_ids(client, doc_id, params):
    response, elapsed = timed_get(client, f"/api/documents/{quote(doc_id, safe='')}", params)
    assert_api_answer(response, elapsed, allowed=(200, 404) if doc_id.strip() else (404,))


# -- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, params, status, reason",
    [
        ("/api/search", {"q": "光" * LIMITS.max_query_chars}, 200, None),
        ("/api/search", {"q": "光" * (LIMITS.max_query_chars + 1)}, 422, str(LIMITS.max_query_chars)),
        ("/api/search", {"q": "光伏 " * 1000}, 422, str(LIMITS.max_query_chars)),
        ("/api/export", {"q": "x" * 10_000}, 422, str(LIMITS.max_query_chars)),
        ("/api/trends", {"q": "x" * 10_000}, 422, str(LIMITS.max_query_chars)),
        ("/api/search", {"size": MAX_PAGE_SIZE}, 200, None),
        ("/api/search", {"size": MAX_PAGE_SIZE + 1}, 422, "size"),
        ("/api/search", {"size": 0}, 422, "size"),
        ("/api/search", {"size": -5}, 422, "size"),
        ("/api/search", {"page": 0}, 422, "page"),
        ("/api/search", {"page": "abc"}, 422, "page"),
        ("/api/search", {"page": MAX_PAGE}, 200, None),
        ("/api/search", {"page": MAX_PAGE + 1}, 422, "page"),
        ("/api/search", {"page": "99999999999999999999999"}, 422, "page"),
        ("/api/search", {"year": "20x3"}, 422, "year"),
        ("/api/search", {"year": "２０２３"}, 422, "year"),
        ("/api/search", {"sort": "random"}, 422, "sort"),
        ("/api/search", {"township": [f"镇{i}" for i in range(LIMITS.max_filter_values + 1)]}, 422, "township"),
        ("/api/search", {"theme": ["x" * 101]}, 422, "theme"),
        ("/api/suggest", {"q": "x" * 101}, 422, "q"),
        ("/api/suggest", {"limit": 11}, 422, "limit"),
        ("/api/export", {"format": "xlsx"}, 422, "format"),
    ],
)
def test_limits(client, url, params, status, reason):
    response, elapsed = timed_get(client, url, params)
    assert_api_answer(response, elapsed, allowed=(status,), json_body=url != "/api/export")
    if reason:
        assert reason in response.json()["detail"]


def test_page_past_the_end_is_empty_with_the_right_total(client):
    total = client.get("/api/search", params={"q": "光伏"}).json()["total"]
    body = client.get("/api/search", params={"q": "光伏", "page": MAX_PAGE}).json()
    assert body["hits"] == [] and body["total"] == total > 0


# -- ids and paths never reach the file system ------------------------------------------------


def raw_get(app, raw_path: bytes) -> tuple[int, dict[str, str], bytes]:
    """Call the ASGI app with a request target exactly as a client sent it (no client-side
    normalization of ``..`` or ``%2F``), decoded the way uvicorn decodes it."""

    async def run():
        path, _, query = raw_path.partition(b"?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": unquote(path.decode("ascii")),
            "raw_path": path,
            "query_string": query,
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 5000),
        }
        pending = [{"type": "http.request", "body": b"", "more_body": False}]
        finished = asyncio.Event()
        answer: dict = {"body": b""}

        async def receive():
            if pending:
                return pending.pop()
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
                if not message.get("more_body"):
                    finished.set()

        await app(scope, receive, send)
        return answer["status"], answer["headers"], answer["body"]

    return run_coroutine(run())


# What the files a traversal aims at contain (the 404 message may echo the id itself).
SECRET_MARKERS = (b"root:x:", b"[project]", b"import ", b"schema_version", b"SwaggerUIBundle")
TRAVERSALS = [
    b"/api/documents/..",
    b"/api/documents/../../../../etc/passwd",
    b"/api/documents/..%2F..%2F..%2Fetc%2Fpasswd",
    b"/api/documents/%2e%2e%2f%2e%2e%2fpyproject.toml",
    b"/api/documents/%2Fetc%2Fpasswd",
    b"/api/documents//etc/passwd",
    b"/api/documents/%00",
    b"/api/documents/..%00",
    b"/api/documents/%ff%fe",
    b"/api/documents/CURRENT",
    b"/api/documents/manifest.json",
    b"/api/passages/..%2F..%2Fetc%2Fpasswd/similar",
    b"/api/passages/%00/similar",
    b"/static/../pyproject.toml",
    b"/static/../../../../../../etc/passwd",
    b"/static/%2e%2e/pyproject.toml",
    b"/static/%2e%2e%2fpyproject.toml",
    b"/static/..%2f..%2fapp%2fmain.py",
    b"/static//etc/passwd",
    b"/static/%2Fetc%2Fpasswd",
    b"/static/vendor/swagger-ui/../../../pyproject.toml",
    b"/static/%00",
    b"/static/docs-init.js%00.png",
    b"/static/%ff",
]


@pytest.mark.parametrize("raw_path", TRAVERSALS, ids=lambda p: p.decode())
def test_traversal_and_nul_are_404_and_reveal_nothing(client, raw_path):
    status, headers, body = raw_get(client.app, raw_path)
    assert status == 404, (status, body[:300])
    assert not any(marker in body for marker in SECRET_MARKERS), body[:300]
    if raw_path.startswith(b"/api"):
        assert headers["content-type"].startswith("application/json")
        assert json.loads(body)["detail"]


@pytest.mark.parametrize("raw_path", [b"/static/", b"/static/vendor/", b"/static/vendor/swagger-ui/", b"/static/vendor/swagger-ui"])
def test_no_directory_listing_for_static(client, raw_path):
    status, _, body = raw_get(client.app, raw_path)
    assert status == 404
    assert b"docs-init.js" not in body and b"swagger-ui-bundle" not in body


def test_static_files_are_served_with_headers(client):
    response = client.get("/static/docs-init.js")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "javascript" in response.headers["content-type"]


# -- headers ---------------------------------------------------------------------------------


def _script_sources(csp: str) -> str:
    directives = {d.split()[0]: d for d in (part.strip() for part in csp.split(";")) if d}
    return directives.get("script-src") or directives.get("default-src", "")


@pytest.mark.parametrize(
    "url, status",
    [
        ("/healthz", 200),
        ("/api/search?q=光伏", 200),
        ("/api/search?page=0", 422),
        ("/api/documents/nope", 404),
        ("/nope", 404),
        ("/docs", 200),
        ("/openapi.json", 200),
        ("/static/docs-init.js", 200),
        ("/api/export?q=光伏", 200),
    ],
)
def test_security_headers(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    csp = response.headers["content-security-policy"]
    scripts = _script_sources(csp)
    assert "'self'" in scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_docs_page_has_no_inline_script(client):
    page = client.get("/docs").text
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", page), "inline script in /docs"
    assert not re.search(r"<[^>]+\son\w+\s*=", page), "inline event handler in /docs"


# -- errors: JSON under /api, a page elsewhere, never a stack trace ------------------------------


@pytest.fixture(scope="module")
def failing_client(index_dir):
    app = create_app(Settings(index_dir=index_dir))

    @app.get("/api/boom")
    def api_boom():
        raise RuntimeError("secret detail /etc/passwd")

    @app.get("/boom")
    def page_boom():
        raise KeyError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("url, json_expected", [("/api/boom", True), ("/boom", False)])
def test_unexpected_error_is_generic_and_carries_headers(failing_client, url, json_expected):
    response = failing_client.get(url)
    assert response.status_code == 500
    assert "secret" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text
    assert response.headers["content-type"].startswith("application/json" if json_expected else "text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_html_error_page_escapes_the_message(client):
    from starlette.requests import Request

    from app.errors import error_response

    request = Request({"type": "http", "method": "GET", "path": "/search", "headers": [], "query_string": b""})
    response = error_response(request, 422, "<script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %}")
    page = response.body.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "49" not in page and "{% if 1 %}" in page


# -- a missing or corrupt index ----------------------------------------------------------------


def _client_for(index_dir: Path) -> TestClient:
    return TestClient(create_app(Settings(index_dir=index_dir)), raise_server_exceptions=False)


def _corrupt(index_dir: Path, how: str) -> None:
    source = layout.current_generation(index_dir)
    if how == "no CURRENT":
        (index_dir / layout.POINTER).unlink()
    elif how == "CURRENT names nothing":
        (index_dir / layout.POINTER).write_text("gen-does-not-exist\n")
    elif how == "CURRENT escapes":
        (index_dir / layout.POINTER).write_text("../../etc\n")
    elif how == "empty CURRENT":
        (index_dir / layout.POINTER).write_text("")
    elif how == "garbage manifest":
        (source / "manifest.json").write_text("{not json")
    elif how == "columns missing":
        shutil.rmtree(source / "columns")
    elif how in ("other jieba dictionary", "other Whoosh version", "older index format"):
        manifest = json.loads((source / "manifest.json").read_text())
        if how == "other jieba dictionary":
            manifest["analysis"]["userdict"] = "0123456789abcdef"
        elif how == "other Whoosh version":
            manifest["engine_version"] = "2.7.4"
        else:
            manifest["analysis"]["format_version"] = "1"
        (source / "manifest.json").write_text(json.dumps(manifest))
    elif how == "whoosh files truncated":
        for segment in (source / "whoosh").iterdir():
            segment.write_bytes(segment.read_bytes()[:7])
    elif how == "whoosh folder missing":
        shutil.rmtree(source / "whoosh")
    elif how == "documents missing":
        (source / "documents.jsonl").unlink()


CORRUPTIONS = [
    "no CURRENT",
    "CURRENT names nothing",
    "CURRENT escapes",
    "empty CURRENT",
    "garbage manifest",
    "whoosh files truncated",
    "whoosh folder missing",
    "documents missing",
    "columns missing",
    "other jieba dictionary",
    "other Whoosh version",
    "older index format",
]


@pytest.fixture
def index_copy(index_dir, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy, ignore=shutil.ignore_patterns(".lock"))
    return copy


def test_missing_index_starts_and_says_how_to_build(tmp_path):
    with _client_for(tmp_path / "no-index-here") as client:
        for url in (
            "/healthz",
            "/api/search?q=光伏",
            "/api/documents/x",
            "/api/trends",
            "/api/export",
            "/api/suggest?q=光",
            "/api/passages/x/similar",
        ):
            response = client.get(url)
            assert response.status_code == 503, url
            assert response.headers["content-type"].startswith("application/json")
            assert "python -m indexer build" in response.json()["detail"]


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_corrupt_index_is_503_with_the_reason(index_copy, how):
    _corrupt(index_copy, how)
    with _client_for(index_copy) as client:
        response = client.get("/healthz")
        assert response.status_code == 503
        detail = response.json()["detail"]
        assert "python -m indexer build" in detail and "Traceback" not in detail
        assert client.get("/api/search", params={"q": "光伏"}).status_code == 503


@pytest.mark.parametrize(
    "how, named", [("other jieba dictionary", "userdict"), ("other Whoosh version", "2.7.4"), ("older index format", "format_version")]
)
def test_an_index_built_with_another_analysis_says_what_differs(index_copy, how, named):
    _corrupt(index_copy, how)
    with _client_for(index_copy) as client:
        detail = client.get("/healthz").json()["detail"]
        assert named in detail and "python -m indexer build" in detail


@pytest.mark.parametrize("how", [c for c in CORRUPTIONS if c not in ("no CURRENT", "CURRENT names nothing", "CURRENT escapes", "empty CURRENT")])
def test_a_corrupt_new_generation_keeps_the_old_one_serving(index_copy, monkeypatch, how):
    monkeypatch.setattr(search_live, "RELOAD_CHECK_SECONDS", 0.0)
    service = search_service(index_copy)
    before = service.stats()
    old = layout.current_generation(index_copy)
    new = index_copy / "gen-99999999-999999-dead"
    shutil.copytree(old, new)
    (index_copy / layout.POINTER).write_text(new.name + "\n")
    _corrupt(index_copy, how)  # the new generation, not the one being served
    assert service.stats() == before
    assert service.search(SearchRequest(q="光伏")).total > 0


# -- the HTML pages: the same parameters, an HTML page for every answer -------------------------


def assert_page_answer(response, elapsed: float, allowed=(200, 404, 422)) -> None:
    context = f"{response.request.url}: {response.status_code} {response.text[:300]}"
    assert response.status_code < 500 and response.status_code in allowed, context
    assert elapsed < TIME_LIMIT, f"{elapsed:.1f} s: {context}"
    assert response.headers["content-type"].startswith("text/html"), context
    assert "Traceback" not in response.text and 'File "' not in response.text, context
    assert "script-src 'self'" in response.headers["content-security-policy"]


@settings(PROPERTY, max_examples=60)
@given(parameters(SEARCH_PARAMETERS))
def test_search_page_parameters(client, params):
    response, elapsed = timed_get(client, "/", params)
    assert_page_answer(response, elapsed)


@settings(PROPERTY, max_examples=40)
@given(ids, parameters(["q", "expand", "passage", "unknown"]), st.booleans())
def test_document_page_ids_and_parameters(client, known_ids, doc_id, params, real):
    if real:
        doc_id = known_ids[0][len(doc_id) % len(known_ids[0])]
    response, elapsed = timed_get(client, f"/documents/{quote(doc_id, safe='')}", params)
    assert_page_answer(response, elapsed)
