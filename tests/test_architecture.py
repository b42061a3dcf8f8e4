"""The layering the code relies on: data flows one way, routes → service → port ← engines.

* only ``indexer/whoosh_store/`` imports Whoosh;
* the routes never import an engine (nor Whoosh): they call the search service;
* the search service imports the port (and facets, query, highlight …), never an engine;
* the local searcher never imports Whoosh (its storage is handed in);
* the app never imports the index writer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from indexer.domain import PROJECT_ROOT

ENGINES = ("app.search.local", "app.search.postgres", "indexer.whoosh_store", "indexer.postgres_store", "whoosh", "psycopg")
# The service's side of the port: what composes features from Searcher calls.
SERVICE = ("app/search/service.py", "app/search/port_service.py", "app/search/live.py", "app/search/followup.py", "app/search/deadline.py", "app/search/curation.py")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((PROJECT_ROOT / folder).rglob("*.py"))]


def _importing(paths: list[Path], prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(PROJECT_ROOT)), name)
        for path in paths
        for name in _imports(path)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)
    ]


def test_whoosh_is_imported_only_by_its_package():
    outside = [p for p in _sources("app", "indexer") if "whoosh_store" not in p.parts]
    assert _importing(outside, ("whoosh",)) == []


def test_no_whoosh_compat():
    assert not [p for p in _sources("app", "indexer") if "whoosh.compat" in _imports(p)]


@pytest.mark.parametrize("forbidden", ["indexer.whoosh_store.writer", "indexer.build", "indexer.parallel", "indexer.pipeline"])
def test_the_app_never_imports_the_writer(forbidden):
    assert [str(p) for p in _sources("app") if forbidden in _imports(p)] == []


def test_routes_never_import_an_engine():
    routes = _sources("app/routes") + [PROJECT_ROOT / "app" / name for name in ("main.py", "dependencies.py", "schemas.py")]
    assert _importing(routes, ENGINES) == []


def test_the_service_imports_the_port_never_an_engine():
    service = [PROJECT_ROOT / name for name in SERVICE]
    assert all(p.exists() for p in service)
    assert _importing(service, ENGINES + ("app.search.engines",)) == []
    assert "app.search.port" in _imports(PROJECT_ROOT / "app/search/port_service.py")


def test_the_port_imports_no_engine_and_no_service():
    assert _importing([PROJECT_ROOT / "app/search/port.py"], ENGINES + ("app.search.service", "app.search.port_service")) == []


def test_the_local_searcher_imports_no_engine_and_no_service():
    local = _sources("app/search/local")
    assert _importing(local, ("whoosh", "indexer.whoosh_store", "app.search.postgres", "app.search.service", "app.search.port_service", "app.search.engines")) == []
