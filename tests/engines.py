"""The engines the port-level tests run against: name → a context manager that writes a folder
of reports with that engine's own sink into a temporary place and yields its
:class:`app.search.port.Engine` (stopping whatever it started afterwards).

Adding an engine to ``tests/test_conformance.py`` is a line in :data:`ENGINES` and its builder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from app.search.engines import ENGINES as APP_ENGINES
from app.search.port import Engine
from app.settings import Settings
from indexer.build import build

REFERENCE = "whoosh"  # the engine relevance is compared with


@contextmanager
def whoosh(data_dir: Path, workspace: Path) -> Iterator[Engine]:
    index_dir = workspace / "index"
    build(data_dir, index_dir, procs=2, full=True)
    yield APP_ENGINES["whoosh"](Settings(index_dir=index_dir))


@contextmanager
def postgres(data_dir: Path, workspace: Path) -> Iterator[Engine]:
    """A throwaway PostgreSQL server (tests/pgcluster.py), built into by the PostgreSQL sink."""
    from indexer.postgres_store.build import build as build_postgres
    from tests import pgcluster

    with pgcluster.cluster() as server:
        dsn = pgcluster.new_database(server)
        build_postgres(data_dir, dsn, procs=2, full=True)
        engine = APP_ENGINES["postgres"](Settings(engine="postgres", pg_dsn=dsn, pg_read_dsns=()))
        try:
            yield engine
        finally:
            engine.close()


ENGINES: dict[str, Callable[[Path, Path], AbstractContextManager[Engine]]] = {
    "whoosh": whoosh,
    "postgres": postgres,
}
