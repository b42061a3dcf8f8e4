"""The service's block-at-a-time posting reads answer exactly what Whoosh's matchers answer."""

from __future__ import annotations

import pytest

from app.search.whoosh_service import HEADING_BOOST, Deadline
from indexer.analysis import normalize


@pytest.fixture(scope="module")
def state(service):
    return service._current()


def test_blocks_equal_matcher_postings(state):
    searcher = state.searcher()
    reader = searcher.reader()
    for field in ("unigram", "bigram", "words", "heading_words"):
        terms = [t for f, t in reader.all_terms() if f == field][:300:7]
        for term in terms:
            text = term.decode("utf-8")
            matcher = searcher.postings(field, text)
            expected = []
            while matcher.is_active():
                expected.append((matcher.id(), matcher.weight()))
                matcher.next()
            actual = [(d, w) for ids, weights in state.blocks(field, text, Deadline(30)) for d, w in zip(ids, weights)]
            assert actual == expected, (field, text)


@pytest.mark.parametrize("text", ["茶", "村", "信访", "乡村振兴", "习近平新时代中国特色社会主义思想", "1+3+n", "哈哈哈", "线虫", "乡村振兴战略", "的"])
def test_exact_is_substring_of_normalized_text(service, state, text):
    expected = {d for d, t in enumerate(state.texts) if normalize(text) in t}
    assert service._exact(state, normalize(text), Deadline(30)).docs == expected


def _whoosh_bm25(searcher, field: str, term: str) -> dict[int, float]:
    scores: dict[int, float] = {}
    if (field, term) in searcher.reader():
        matcher = searcher.postings(field, term)
        while matcher.is_active():
            scores[matcher.id()] = matcher.score()
            matcher.next()
    return scores


def test_scores_equal_whoosh_bm25(service, state):
    searcher = state.searcher()
    words = ["乡村", "振兴", "产业", "党建", "村"]
    scores, _ = service._scores(state, words, Deadline(30))
    expected: dict[int, float] = {}
    for word in words:
        for field, boost in (("words", 1.0), ("heading_words", HEADING_BOOST)):
            for docnum, score in _whoosh_bm25(searcher, field, word).items():
                expected[docnum] = expected.get(docnum, 0.0) + boost * score
    assert scores == expected


@pytest.mark.parametrize("text, field", [("村", "unigram"), ("茶", "unigram"), ("信访", "bigram"), ("强村", "bigram")])
def test_short_strings_carry_their_ngram_bm25(service, state, text, field):
    match = service._exact(state, text, Deadline(30))
    assert match.scores == _whoosh_bm25(state.searcher(), field, text)
    assert match.docs == set(match.scores)


def test_lazy_structures_are_built_once_under_concurrent_requests(index_dir):
    # 50 requests arriving together used to build the suggestion lexicon 50 times at once,
    # starving the server (the load test timed out); now one builds, the others wait for it.
    import threading
    import time

    from app.search.whoosh_service import WhooshSearchService

    state = WhooshSearchService(index_dir)._current()
    builds = []

    def build():
        builds.append(1)
        time.sleep(0.2)
        return ("lexicon",)

    threads = [threading.Thread(target=state.once, args=("test", build)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [1] and state.once("test", build) == ("lexicon",)
