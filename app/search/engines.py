"""Which engine holds the index: the one place that names them.

Each engine is an implementation of the storage port (:mod:`app.search.core.port`) that passes
``tests/test_conformance.py``; the search service over it is the same for all.
"""

from __future__ import annotations

from pathlib import Path

from app.search.core.engine import CoreSearchService
from app.search.core.port import StorageOpener

ENGINES = ("whoosh",)


def storage_opener(engine: str = "whoosh") -> StorageOpener:
    if engine == "whoosh":
        from indexer.whoosh_store.reader import open_storage

        return open_storage
    raise ValueError(f"unknown engine {engine!r} (TOWNSHIP_ENGINE); known: {', '.join(ENGINES)}")


def search_service(index_dir: Path, timeout_seconds: float = 5.0, engine: str = "whoosh") -> CoreSearchService:
    return CoreSearchService(index_dir, storage_opener(engine), timeout_seconds=timeout_seconds)
