"""What any engine must do: the storage port's contract, checked against the passages themselves.

Parametrised over the engines there are (:data:`app.search.engines.ENGINES`): an engine is a
sink that writes a generation and a storage port that reads it; a second one (SQLite FTS for
small installs, OpenSearch beyond one machine) passes this file and the search service works
on it unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.search.engines import ENGINES, search_service, storage_opener
from app.search.service import SearchRequest
from indexer import contract, layout
from indexer.analysis import normalize
from indexer.build import build
from indexer.whoosh_store.schema import term_counts
from tests.conftest import DATA_DIR


@pytest.fixture(scope="module", params=ENGINES)
def engine(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"conformance-{request.param}")
    build(DATA_DIR, directory, procs=2)
    storage = storage_opener(request.param)(layout.current_generation(directory))
    yield request.param, directory, storage
    storage.close()


@pytest.fixture(scope="module")
def by_docnum(engine):
    _, _, storage = engine
    return [storage.stored(d) for d in range(storage.size)]


def test_every_passage_once_with_its_record(engine, by_docnum, passages):
    _, _, storage = engine
    assert storage.size == len(passages) and storage.alive is None
    expected = {p.passage_id: contract.stored_record(p) for p in passages}
    assert {p.passage_id: contract.stored_record(p) for p in by_docnum} == expected
    assert {d.doc_id for d in storage.documents()} == {p.doc_id for p in passages}


def test_columns_follow_the_records(engine, by_docnum):
    _, _, storage = engine
    columns = storage.columns
    for docnum, passage in enumerate(by_docnum):
        assert columns.doc_ids[columns.doc[docnum]] == passage.doc_id and columns.ordinal[docnum] == passage.ordinal
        for name, value in contract.category_values(passage).items():
            codes, values = columns.category[name]
            assert values[codes[docnum]] == value


def _truth(by_docnum, field: str) -> dict[str, dict[int, int]]:
    analysis_name = contract.TEXT_FIELDS[field]
    postings: dict[str, dict[int, int]] = {}
    for docnum, passage in enumerate(by_docnum):
        for term, freq in term_counts(analysis_name, contract.text_fields(passage)[field]).items():
            postings.setdefault(term, {})[docnum] = freq
    return postings


@pytest.mark.parametrize("field", list(contract.TEXT_FIELDS))
def test_postings_are_what_the_analysis_makes(engine, by_docnum, field):
    _, _, storage = engine
    truth = _truth(by_docnum, field)
    terms = sorted(truth)
    for term in terms[:: max(1, len(terms) // 300)] + ["不存在的词语"]:
        ids, frequencies = storage.postings(field, term)
        assert ids.dtype.kind == "i" and list(ids) == sorted(ids)
        assert dict(zip(ids.tolist(), frequencies.astype(int).tolist())) == truth.get(term, {}), term
        assert storage.doc_frequency(field, term) == len(truth.get(term, {}))


@pytest.mark.parametrize("field", list(contract.TEXT_FIELDS))
def test_lengths_and_lexicon(engine, field):
    _, _, storage = engine
    exact = storage.columns.lengths[field]
    scored = storage.lengths(field)
    assert ((scored == 0) == (exact == 0)).all()
    nonzero = exact > 0
    assert (np.abs(scored[nonzero] - exact[nonzero]) <= np.maximum(1, exact[nonzero] * 0.15)).all()
    terms, frequencies = storage.lexicon(field)
    assert terms == sorted(terms) and len(terms) == len(frequencies)
    for term, frequency in list(zip(terms, frequencies.tolist()))[:: max(1, len(terms) // 50)]:
        assert storage.doc_frequency(field, term) == frequency


@pytest.mark.parametrize("text", ["茶", "百香果", "乡村振兴", "1+3+n", "松材线虫病", "不存在的字符串"])
def test_contains_is_substring(engine, by_docnum, text):
    _, _, storage = engine
    docs = np.arange(storage.size)
    needle = normalize(text)
    assert storage.contains(docs, needle).tolist() == [needle in normalize(p.text) for p in by_docnum]


@pytest.mark.parametrize("q", ["茶", "百香果", '"强村公司"', "信访 -矛盾", "光伏 OR 水电", "產業"])
def test_the_service_over_it_finds_every_passage(engine, passages, q):
    name, directory, _ = engine
    service = search_service(directory, engine=name)
    found = {h.passage_id for h in service.export(SearchRequest(q=q))}
    scan = {p.passage_id for p in passages if _scan_matches(q, normalize(p.text))}
    assert scan <= found and found


def _scan_matches(q: str, text: str) -> bool:
    if " OR " in q:
        return any(_scan_matches(part, text) for part in q.split(" OR "))
    words = q.replace('"', "").split()
    return all((w[1:] not in text) if w.startswith("-") else (normalize(w) in text) for w in words)
