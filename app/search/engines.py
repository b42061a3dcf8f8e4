"""Which engine answers: the one registry of engines, name → a factory of its
:class:`app.search.port.Engine` from the settings (``TOWNSHIP_ENGINE``).

An engine is a sink (``indexer``) plus what the factory opens; each passes
``tests/test_conformance.py``, and the search service over it is the same for all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.search.port import Engine
from app.search.port_service import PortSearchService
from app.settings import Settings


def _whoosh(settings: Settings) -> Engine:
    """The local searcher over Whoosh's files in ``TOWNSHIP_INDEX_DIR``."""
    from app.search.local.searcher import LocalEngine
    from indexer.whoosh_store.reader import open_storage

    return LocalEngine("whoosh", settings.index_dir, open_storage, settings.cache_bytes)


def _postgres(settings: Settings) -> Engine:
    """The PostgreSQL searcher over the database at ``TOWNSHIP_PG_DSN`` (its standbys first)."""
    from app.search.postgres.engine import PostgresEngine

    return PostgresEngine(settings.pg_dsn, list(settings.pg_read_dsns))


ENGINES: dict[str, Callable[[Settings], Engine]] = {
    "whoosh": _whoosh,
    "postgres": _postgres,
}


def open_engine(settings: Settings) -> Engine:
    factory = ENGINES.get(settings.engine)
    if factory is None:
        raise ValueError(f"unknown engine {settings.engine!r} (TOWNSHIP_ENGINE); known: {', '.join(ENGINES)}")
    return factory(settings)


def service_for(settings: Settings) -> PortSearchService:
    return PortSearchService(open_engine(settings), timeout_seconds=settings.search_timeout)


def search_service(index_dir: Path, timeout_seconds: float = 5.0, engine: str = "whoosh") -> PortSearchService:
    """The service over an index folder (tests, benchmarks, tools): settings from the environment
    for the rest."""
    return service_for(Settings(index_dir=Path(index_dir), search_timeout=timeout_seconds, engine=engine))
