"""Session fixtures over the generated evaluation corpus (plus the five bundled reports), for
the tests of plan follow-through, the township page and the browser. tests/conftest.py registers
this module as a plugin, so every test asks for them by name (importing them into a test module
would shadow them with the parameters that use them)."""

from __future__ import annotations

import pytest

from tests.plans.corpus import Corpus, generate
from tests.plans.measure import EVALUATION_SEED, TOWNSHIPS, Located, build_corpus, locate


@pytest.fixture(scope="session")
def plans_corpus() -> Corpus:
    return generate(EVALUATION_SEED, townships=TOWNSHIPS)


@pytest.fixture(scope="session")
def plans_index_dir(plans_corpus, tmp_path_factory):
    return build_corpus(plans_corpus, tmp_path_factory.mktemp("plans"))


@pytest.fixture(scope="session")
def plans_service(plans_index_dir):
    from app.search.engines import search_service

    return search_service(plans_index_dir)


@pytest.fixture(scope="session")
def plans_located(plans_service, plans_corpus) -> list[Located]:
    return locate(plans_service, plans_corpus)


@pytest.fixture(scope="session")
def plans_client(plans_index_dir):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    with TestClient(create_app(Settings(index_dir=plans_index_dir)), raise_server_exceptions=False) as client:
        yield client
