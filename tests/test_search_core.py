"""The core reads through the storage port exactly what Whoosh's own matchers and scorer read:
every posting, every verbatim match, every BM25 score (production code paths, 1 and 2
indexing processes)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from whoosh import scoring as whoosh_scoring

from app.search.core.deadline import Deadline
from app.search.core.matching import verbatim_docs
from app.search.core.scoring import HEADING_BOOST
from app.search.engines import search_service
from indexer.analysis import normalize
from indexer.build import build
from tests.conftest import DATA_DIR


@pytest.fixture(scope="module", params=[1, 2], ids=["1 process", "2 processes"])
def index(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"core-{request.param}")
    build(DATA_DIR, directory, procs=request.param)
    return search_service(directory)._current()


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


@pytest.mark.parametrize("text", ["茶", "村", "信访", "乡村振兴", "习近平新时代中国特色社会主义思想", "1+3+n", "哈哈哈", "线虫", "乡村振兴战略", "的", "產業"])
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


def test_lazy_structures_are_built_once_under_concurrent_requests(index):
    # 50 requests arriving together used to build the suggestion lexicon 50 times at once,
    # starving the server (the load test timed out); now one builds, the others wait for it.
    builds = []

    def build_it():
        builds.append(1)
        time.sleep(0.2)
        return ("lexicon",)

    threads = [threading.Thread(target=index.once, args=("test", build_it)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [1] and index.once("test", build_it) == ("lexicon",)
