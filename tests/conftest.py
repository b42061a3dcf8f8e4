"""Shared fixtures: one index built from the real bundled reports for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build import build
from indexer.domain import PROJECT_ROOT
from indexer.pipeline import doc_id_for, process
from indexer.read import discover

# The fixtures over the generated evaluation corpus (session-scoped: built only when a test asks).
pytest_plugins = ["tests.plans.fixtures"]

DATA_DIR = PROJECT_ROOT / "data" / "reports"

# The bundled reports by what they are (doc ids come from their file names, which is all a
# test may rely on to pick one; metadata itself is always read from the text).
TANGYANG = "000_6b839ddbfe8036b3"  # 汤垟乡, 2023 annual report
ZUSHIDIAN = "001_e159975677d4b3cb"  # 祖师殿镇, 2023 half-year report, signed at the end
ZHAITAN = "002_b6e2129330959370"  # 斋坛乡, scraped web page
GUIZHUMAO = "003_401b8d6f37713bac"  # 桂竹帽镇, traditional script with pinyin
TEMPLATE = "004_cc03cb1b8fd4d28d"  # anonymized template (xx镇, xxxx年)


def records_written(index_dir: Path) -> int:
    """Bytes of passage records the builds in progress in ``index_dir`` have written so far
    (Whoosh's per-document scratch files grow as the indexing processes store passages)."""
    return sum(p.stat().st_size for p in index_dir.glob(".building-*/whoosh/*.tmp/*") if p.is_file())


@pytest.fixture(scope="session")
def processed():
    """Every bundled report through the pipeline (no index), by doc_id."""
    files, _ = discover(DATA_DIR)
    return {doc_id_for(f.relative): process(f, doc_id_for(f.relative), i) for i, f in enumerate(files)}


@pytest.fixture(scope="session")
def passages(processed):
    return [p for report in processed.values() for p in report.passages]


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("index")
    build(DATA_DIR, directory, procs=1)
    return directory


# The engines the service and the API are tested with: each test asking for ``service`` or
# ``client`` runs once per engine, over the bundled reports built by that engine's own sink.
SERVED_BY = ("whoosh", "postgres")


@pytest.fixture(scope="session", params=SERVED_BY)
def settings(request, index_dir):
    """The app's settings for one engine serving the bundled reports."""
    from app.settings import Settings

    if request.param == "postgres":
        return Settings(index_dir=index_dir, engine="postgres", pg_dsn=request.getfixturevalue("postgres_dsn"), pg_read_dsns=())
    return Settings(index_dir=index_dir)


@pytest.fixture(scope="session")
def service(settings):
    from app.search.engines import service_for

    return service_for(settings)


@pytest.fixture(scope="session")
def client(settings):
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A throwaway PostgreSQL server for the session (tests/pgcluster.py); each test module
    makes its own database on it (``pgcluster.new_database``)."""
    from tests import pgcluster

    with pgcluster.cluster() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_dsn(postgres):
    """A database on the session's server with the bundled reports built into it."""
    import os

    from indexer.postgres_store.build import build as build_postgres
    from tests import pgcluster

    dsn = pgcluster.new_database(postgres)
    os.environ.setdefault("TOWNSHIP_PG_PURGE_GRACE", "0")
    build_postgres(DATA_DIR, dsn, procs=1)
    return dsn
