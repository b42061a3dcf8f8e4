"""The layering the code relies on: Whoosh only in indexer/whoosh_store, the search core free of
any engine, the app never importing the index writer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from indexer.domain import PROJECT_ROOT


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


def test_whoosh_is_imported_only_by_its_package():
    outside = [
        (str(path.relative_to(PROJECT_ROOT)), name)
        for path in _sources("app", "indexer")
        if "whoosh_store" not in path.parts
        for name in _imports(path)
        if name == "whoosh" or name.startswith("whoosh.")
    ]
    assert outside == []


def test_no_whoosh_compat():
    assert not [p for p in _sources("app", "indexer") if "whoosh.compat" in _imports(p)]


@pytest.mark.parametrize("forbidden", ["indexer.whoosh_store.writer", "indexer.build", "indexer.parallel", "indexer.pipeline"])
def test_the_app_never_imports_the_writer(forbidden):
    assert [str(p) for p in _sources("app") if forbidden in _imports(p)] == []


def test_the_core_imports_no_engine():
    engines = ("indexer.whoosh_store",)
    offending = [str(p) for p in _sources("app/search/core") for name in _imports(p) if name.startswith(engines)]
    assert offending == []
