"""The local searcher's own tests: its storage reads exactly what the analysis made and what
Whoosh's own matchers and scorer read (every posting, every verbatim match, every BM25 score;
production code paths, 1 and 2 indexing processes); its caches stay within their bounds."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections import Counter
from contextlib import nullcontext

import numpy as np
import pytest
from whoosh import scoring as whoosh_scoring

from app.search.caches import ByteBoundedCache
from app.search.deadline import Deadline
from app.search.facets import FACETS
from app.search.local.matching import verbatim_docs
from app.search.local.searcher import LocalSearcher
from app.search.port import HEADING_BOOST
from indexer import contract, layout
from indexer.analysis import normalize
from indexer.build import build
from indexer.whoosh_store.reader import open_storage
from indexer.whoosh_store.schema import term_counts
from tests.conftest import DATA_DIR


@pytest.fixture(scope="module", params=[1, 2], ids=["1 process", "2 processes"])
def index(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"local-{request.param}")
    build(DATA_DIR, directory, procs=request.param)
    searcher = LocalSearcher(open_storage(layout.current_generation(directory)))
    yield searcher.index
    searcher.close()


@pytest.fixture(scope="module")
def searcher(index):
    # Whoosh's own searcher over the same segments, scoring as the core does.
    return index.storage._index.searcher(weighting=whoosh_scoring.BM25F())


def test_postings_equal_whoosh_matchers(index, searcher):
    reader = searcher.reader()
    checked = 0
    for field in ("unigram", "bigram", "words", "heading_words"):
        terms = [t.decode("utf-8") for f, t in reader.all_terms() if f == field]
        for term in terms[:: max(1, len(terms) // 150)]:
            matcher = searcher.postings(field, term)
            expected = []
            while matcher.is_active():
                expected.append((matcher.id(), matcher.weight()))
                matcher.next()
            ids, frequencies = index.storage.postings(field, term)
            assert list(zip(ids.tolist(), frequencies.tolist())) == expected, (field, term)
            assert index.storage.doc_frequency(field, term) == len(expected)
            checked += 1
    assert checked > 400


@pytest.mark.parametrize(
    "text", ["茶", "村", "信访", "乡村振兴", "习近平新时代中国特色社会主义思想", "1+3+n", "哈哈哈", "线虫", "乡村振兴战略", "的", "產業"]
)
def test_verbatim_is_substring_of_normalized_text(index, text):
    needle = normalize(text)
    expected = [d for d in range(index.size) if needle in normalize(index.storage.stored(d).text)]
    assert verbatim_docs(index, needle, Deadline(30)).tolist() == expected


def _whoosh_bm25(searcher, field: str, term: str) -> dict[int, float]:
    scores: dict[int, float] = {}
    if (field, term) in searcher.reader():
        matcher = searcher.postings(field, term)
        while matcher.is_active():
            scores[matcher.id()] = matcher.score()
            matcher.next()
    return scores


@pytest.mark.parametrize("word", ["乡村", "振兴", "产业", "党建", "村", "百香果"])
def test_bm25_equals_whoosh_scorer(index, searcher, word):
    everything = np.arange(index.size, dtype=np.int32)
    expected = np.zeros(index.size)
    actual = np.zeros(index.size)
    for field, boost in (("words", 1.0), ("heading_words", HEADING_BOOST)):
        for docnum, score in _whoosh_bm25(searcher, field, word).items():
            expected[docnum] += boost * score
        actual += boost * index.bm25_at(field, word, everything)
    assert expected.any()
    assert actual.tolist() == expected.tolist()  # bit for bit


@pytest.mark.parametrize("text, field", [("村", "unigram"), ("茶", "unigram"), ("信访", "bigram"), ("强村", "bigram")])
def test_short_strings_carry_their_ngram_bm25(index, searcher, text, field):
    ids, scores = index.bm25(field, text)
    assert dict(zip(ids.tolist(), scores.tolist())) == _whoosh_bm25(searcher, field, text)
    assert ids.tolist() == verbatim_docs(index, text, Deadline(30)).tolist()


def test_derived_structures_are_built_once_under_concurrent_requests(index):
    # 50 requests arriving together used to build a per-generation structure 50 times at once,
    # starving the server (the load test timed out); now one builds, the others wait for it.
    builds = []

    def build_it():
        builds.append(1)
        time.sleep(0.2)
        return ("norms",)

    derived = type(index.derived)([("test", 1)])
    threads = [threading.Thread(target=derived.get, args=(("test", 1), build_it)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [1] and derived.get(("test", 1), build_it) == ("norms",)


def test_nothing_a_request_names_is_derived_per_generation(index):
    # Structures derived once per generation have fixed names: a request parameter (a
    # facet_size, a query) can never add one.
    with pytest.raises(KeyError):
        index.derived.get(("all-top", "township", 7), lambda: [])


def test_the_term_cache_stays_within_its_bytes():
    cache = ByteBoundedCache(1_000_000)
    for i in range(2_000):
        assert cache.get(("postings", "words", f"词{i}"), lambda: np.zeros(1_000, dtype=np.int32)).nbytes == 4_000
    assert 900_000 < cache.held_bytes <= 1_000_000 and len(cache) < 250
    # A value larger than an eighth of the limit is answered but never kept.
    assert len(cache.get("huge", lambda: np.zeros(50_000))) == 50_000
    assert "huge" not in cache._entries


def test_small_entries_count_what_they_hold():
    # A word's passage count is a small entry: what keeping it costs (the cache's own slot)
    # is counted too, so the cache holds no more than its limit in memory.
    cache = ByteBoundedCache(200_000)
    tracemalloc.start()
    try:
        for i in range(5_000):
            cache.get(("frequency", "words", f"词{i:05d}"), lambda: 12_345 + (1 << 40))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 190_000 < cache.held_bytes <= 200_000 and held <= cache.limit_bytes


# -- the storage, against the passages themselves


@pytest.fixture(scope="module")
def storage(index):
    return index.storage


@pytest.fixture(scope="module")
def by_docnum(storage, passages):
    # The pipeline's records (the stored ones leave out what only ranks: the heading text).
    by_id = {p.passage_id: p for p in passages}
    return [by_id[storage.stored(d).passage_id] for d in range(storage.size)]


def test_every_passage_once_with_its_record(storage, by_docnum, passages):
    assert storage.size == len(passages) and storage.alive is None
    expected = {p.passage_id: contract.stored_record(p) for p in passages}
    assert {p.passage_id: contract.stored_record(p) for p in by_docnum} == expected
    assert {d.doc_id for d in storage.documents()} == {p.doc_id for p in passages}


def test_columns_follow_the_records(index, storage, by_docnum):
    columns = storage.columns
    for docnum, passage in enumerate(by_docnum):
        assert columns.doc_ids[columns.doc[docnum]] == passage.doc_id and columns.ordinal[docnum] == passage.ordinal
        assert index.passage_ids(np.asarray([docnum]))[0] == passage.passage_id and index.docnum(passage.passage_id) == docnum
        for name, value in contract.category_values(passage).items():
            codes, values = columns.category[name]
            assert values[codes[docnum]] == value


def test_facet_counts_are_those_of_the_records(index, by_docnum):
    # Themes are counted from a bit mask per passage, a report's values (township, year, …) per
    # report: over every passage, none, and subsets (within a request and outside one), each
    # value's count is the number of those passages whose record carries it.
    assert index.facets["theme"].masks is not None
    assert index._codes_by_report("township") is not None and index._codes_by_report("section") is None
    rng = np.random.default_rng(7)
    subsets = [np.arange(index.size, dtype=np.int32), np.zeros(0, dtype=np.int32)]
    subsets += [np.flatnonzero(rng.random(index.size) < share).astype(np.int32) for share in (0.01, 0.3, 0.9)]
    for docs in subsets:
        for facet in FACETS:
            column = index.facets[facet.name]
            if facet.multi_valued:
                carried = Counter(v for d in docs.tolist() for v in set(contract.multi_values(by_docnum[d])[facet.column]))
            else:
                carried = Counter(contract.category_values(by_docnum[d])[facet.column] for d in docs.tolist())
            for scope in (index.one_request, nullcontext):
                with scope():
                    counted = index.facet_counts(facet.name, docs)[0]
                assert len(counted) == len(column.values)
                assert {column.values[c]: int(n) for c, n in enumerate(counted.tolist()) if n} == dict(carried), facet.name


def _truth(by_docnum, field: str) -> dict[str, dict[int, int]]:
    analysis_name = contract.TEXT_FIELDS[field]
    postings: dict[str, dict[int, int]] = {}
    for docnum, passage in enumerate(by_docnum):
        for term, freq in term_counts(analysis_name, contract.text_fields(passage)[field]).items():
            postings.setdefault(term, {})[docnum] = freq
    return postings


@pytest.mark.parametrize("field", list(contract.TEXT_FIELDS))
def test_postings_are_what_the_analysis_makes(storage, by_docnum, field):
    truth = _truth(by_docnum, field)
    terms = sorted(truth)
    for term in terms[:: max(1, len(terms) // 300)] + ["不存在的词语"]:
        ids, frequencies = storage.postings(field, term)
        assert ids.dtype.kind == "i" and list(ids) == sorted(ids)
        assert dict(zip(ids.tolist(), frequencies.astype(int).tolist())) == truth.get(term, {}), term
        assert storage.doc_frequency(field, term) == len(truth.get(term, {}))


@pytest.mark.parametrize("field", list(contract.TEXT_FIELDS))
def test_lengths_and_prefixes(storage, by_docnum, field):
    exact = storage.columns.lengths[field]
    scored = storage.lengths(field)
    assert ((scored == 0) == (exact == 0)).all()
    nonzero = exact > 0
    assert (np.abs(scored[nonzero] - exact[nonzero]) <= np.maximum(1, exact[nonzero] * 0.15)).all()
    truth = _truth(by_docnum, field)
    for prefix in sorted({term[:1] for term in truth})[::7] + ["乡村", "不存在"]:
        expected = sorted((t, len(d)) for t, d in truth.items() if t.startswith(prefix))
        assert storage.prefixed(field, prefix, 100_000) == expected, prefix
    first = sorted(truth)[0][:1]
    assert len(storage.prefixed(field, first, 3)) <= 3


@pytest.mark.parametrize("text", ["茶", "百香果", "乡村振兴", "1+3+n", "松材线虫病", "不存在的字符串"])
def test_contains_is_substring(storage, by_docnum, text):
    docs = np.arange(storage.size)
    needle = normalize(text)
    assert storage.contains(docs, needle).tolist() == [needle in normalize(p.text) for p in by_docnum]
