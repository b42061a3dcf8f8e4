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


def test_scores_equal_whoosh_bm25(service, state):
    searcher = state.searcher()
    words = ["乡村", "振兴", "产业", "党建", "村"]
    scores, _ = service._scores(state, words, Deadline(30))
    expected: dict[int, float] = {}
    reader = searcher.reader()
    for word in words:
        for field, boost in (("words", 1.0), ("heading_words", HEADING_BOOST), ("unigram", 1.0)):
            if (field == "unigram" and len(word) != 1) or (field, word) not in reader:
                continue
            matcher = searcher.postings(field, word)
            while matcher.is_active():
                expected[matcher.id()] = expected.get(matcher.id(), 0.0) + boost * matcher.score()
                matcher.next()
    assert scores == expected
