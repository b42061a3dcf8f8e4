"""The published contract: every answer of every API route, errors included, is what
``/openapi.json`` says it is.

Checked two ways: a third-party fuzzer (schemathesis, its own command line) driven by the app's
own schema against a real uvicorn server, with and without an index; and the cases a person
can reason about (the issue's two 422s, 404s, 405, 503, the export's content types) asserted
against the schema here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter

from app.schemas import CompareOut, FollowUpOut, SearchOut, SimilarOut, SuggestOut, TrendsOut
from tests.server import serve

# The four checks the contract is about; schemathesis runs its examples, coverage (boundary
# values: limit=0, a 101-character q …), fuzzing and stateful phases with each.
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
MAX_EXAMPLES = 25  # per operation and phase: about 800 requests, 20 s on the shared 2-core machine
SEED = "20260115"  # fixed, so a failure reproduces; schemathesis prints it with every failure
RUN_TIMEOUT = 55  # seconds per run (two runs): the contract test stays well under two minutes


def schemathesis(url: str, workdir: Path, config: str = "", examples: int = MAX_EXAMPLES) -> subprocess.CompletedProcess:
    """``st run`` as a user runs it, against ``url``'s own /openapi.json; its files (its
    Hypothesis database, replay data) stay in ``workdir``."""
    options = []
    if config:
        (workdir / "schemathesis.toml").write_text(config, encoding="utf-8")
        options = ["--config-file", str(workdir / "schemathesis.toml")]
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        *options,
        "run",
        f"{url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--seed",
        SEED,
        "--workers",
        "1",
        "--request-timeout",
        "20",
    ]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT)


def _assert_clean(run: subprocess.CompletedProcess, operations: int) -> None:
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"schemathesis found contract violations (exit {run.returncode}):\n{output[-12000:]}"
    # It really tested every operation of the schema.
    assert re.search(rf"Operations:\s+{operations} selected / {operations} total", output), output[-3000:]
    assert re.search(rf"Tested:\s+{operations}\b", output), output[-3000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    assert cases and int(cases[1]) == int(cases[2]) > 100, output[-3000:]


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_fuzzer_finds_no_contract_violation(index_dir, tmp_path):
    with serve(index_dir) as server:
        operations = len(_operations(httpx.get(server.url + "/openapi.json").json()))
        run = schemathesis(server.url, tmp_path)
        log = server.log_tail()
    _assert_clean(run, operations)
    assert "Traceback" not in log, log


def test_fuzzer_without_an_index(tmp_path):
    """No index: every /api route and /healthz answer 503 as documented (that 503 is the
    designed answer here, so it is the one server status the run accepts)."""
    empty = tmp_path / "no-index"
    empty.mkdir()
    config = '[checks.not_a_server_error]\nexpected-statuses = ["2xx", "3xx", "4xx", "503"]\n'
    with serve(empty) as server:
        operations = len(_operations(httpx.get(server.url + "/openapi.json").json()))
        run = schemathesis(server.url, tmp_path, config, examples=10)  # every answer is the same 503
        answers = {path: httpx.get(server.url + path, timeout=10) for path in ("/healthz", "/api/search", "/api/collection", "/api/suggest?q=a")}
    _assert_clean(run, operations)
    for path, response in answers.items():
        assert response.status_code == 503, path
        assert set(response.json()) == {"detail"} and "python -m indexer build" in response.json()["detail"], path


# ------------------------------------------------------------------ the schema, read directly


@pytest.fixture(scope="module")
def schema(client) -> dict:
    return client.get("/openapi.json").json()


def _error_schema(operation: dict, status: str) -> dict:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_one_error_shape_everywhere(schema):
    """Every documented 4xx and 5xx is ErrorOut; FastAPI's list-of-errors 422 is gone."""
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "ValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["ErrorOut"]["properties"]["detail"]["type"] == "string"
    assert '{"detail": "<what is wrong and how to fix it>"}' in schema["info"]["description"]
    for method, path, operation in _operations(schema):
        errors = [status for status in operation["responses"] if status[0] in "45"]
        assert "503" in errors and "500" in errors, (method, path)
        if path.startswith("/api"):
            assert "422" in errors, (method, path)
        for status in errors:
            assert _error_schema(operation, status) == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)


@pytest.mark.parametrize(
    "url, status, field",
    [
        ("/api/passages/x-0/similar?limit=0", "422", "limit"),  # the two examples
        ("/api/suggest?q=" + "一" * 101, "422", "q"),
        ("/api/search?size=0", "422", "size"),
        ("/api/search?year=20x3", "422", "year"),
        ("/api/search?sort=random", "422", "sort"),
        ("/api/export?format=xml", "422", "format"),
        ("/api/collection?sort=colour", "422", "sort"),
        ("/api/documents/no-such-document", "404", "no-such-document"),
        ("/api/passages/no-such-passage-3/similar", "404", "no-such-passage-3"),
    ],
)
def test_errors_are_documented_and_shaped(client, schema, url, status, field):
    response = client.get(url)
    assert str(response.status_code) == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and field in body["detail"]
    path = "/" + url.split("?")[0].lstrip("/")
    template = next(p for p in schema["paths"] if _matches(p, path))
    assert status in schema["paths"][template]["get"]["responses"]


def _matches(template: str, path: str) -> bool:
    parts, actual = template.split("/"), path.split("/")
    return len(parts) == len(actual) and all(p == a or p.startswith("{") for p, a in zip(parts, actual))


def test_undocumented_paths_and_methods_answer_the_same_shape(client):
    for response in (client.get("/api/nothing-here"), client.post("/api/search"), client.delete("/healthz")):
        assert response.status_code in (404, 405)
        assert set(response.json()) == {"detail"} and isinstance(response.json()["detail"], str)


def test_export_content_types_are_the_documented_ones(client, schema):
    documented = set(schema["paths"]["/api/export"]["get"]["responses"]["200"]["content"])
    assert documented == {"text/csv", "application/x-ndjson"}
    for fmt in ("csv", "jsonl"):
        response = client.get(f"/api/export?format={fmt}&q=光伏")
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] in documented
        assert response.content  # the bundled reports mention 光伏


def test_pages_stay_out_of_the_schema(schema):
    assert all(p.startswith("/api/") or p == "/healthz" for p in schema["paths"])


# ------------------------------------------------- 未识别: a value like any other, in the schema


def test_unknown_is_offered_by_the_schema(schema):
    """The facets that count reports without a value offer 未识别 as an example (the fuzzer's
    examples phase sends it; /docs shows it)."""
    for path in ("/api/search", "/api/trends", "/api/export"):
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        for facet in ("township", "county", "year"):
            assert parameters[facet]["examples"]["unknown"]["value"] == ["未识别"], (path, facet)
        assert "examples" not in parameters["theme"]


@pytest.mark.parametrize("facet", ["township", "county", "year"])
def test_unknown_answers_match_the_schema(client, facet):
    found = SearchOut.model_validate(client.get(f"/api/search?{facet}=未识别").json())
    # The bundled template report (40 passages) has no township and no county; every report has a year.
    assert found.total == (0 if facet == "year" else 40), found.total
    values = {v.value: v for v in getattr(found.facets, facet)}
    assert values["未识别"].selected
    trends = TrendsOut.model_validate(client.get(f"/api/trends?{facet}=未识别").json())
    assert sum(b.count for b in trends.by_township) == found.total
    export = client.get(f"/api/export?format=jsonl&{facet}=未识别")
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert len(export.text.splitlines()) == found.total


def test_prebuilt_answers_are_what_their_models_make(client):
    """The routes that answer through app.routes.api.answer skip FastAPI's validation against
    their response model: each answer must be byte for byte what the model makes of it (its
    fields and no others, in its order, its types: a float field says 0.0, never 0)."""
    plans = client.get("/api/search?section=计划&size=3").json()["hits"]
    found = client.get("/api/search?q=发展&size=3").json()["hits"]
    assert plans and found
    cases = [
        ("/api/search?q=发展", SearchOut),
        ("/api/search?q=发展 -工作&sort=year_desc&page=2&size=50&facet_size=3&expand=false", SearchOut),
        ("/api/search?q=没有这样的词汇 发展", SearchOut),  # alternatives
        ("/api/search", SearchOut),
        ("/api/trends?q=发展&buckets=2", TrendsOut),
        ("/api/suggest?q=发", SuggestOut),
        (f"/api/compare?by=year&value={found[0]['year']}&value=1999&q=发展", CompareOut),
        *((f"/api/passages/{hit['passage_id']}/similar?limit=50", list[SimilarOut]) for hit in found),
        *((f"/api/passages/{hit['passage_id']}/followup", FollowUpOut) for hit in plans + found),
    ]
    for url, model in cases:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        assert response.headers["content-type"] == "application/json", url
        adapter = TypeAdapter(model)
        assert response.content == adapter.dump_json(adapter.validate_json(response.content)), url
