"""Top-k ranking (:mod:`app.search.local.topk`) against scoring every match.

On the bundled reports and on generated corpora (two sizes, two seeds) and the benchmark's
whole query mix over them (plus OR,
nesting, exclusions and synonym groups), for every order a query takes (relevance, year_desc,
year_asc) and windows of 10, 20 and 100 from the start and deep in the answer: the window is
the one exhaustive scoring gives (the same passages in the same order) with the same values,
bit for bit. The pruning thresholds are lowered so that small answers take the pruned path too,
and the test checks it really prunes (fewer passages scored than matched). Once more with a term
cache so small that the common terms keep only their highest impacts (what the most common
words do at 100,000 reports), checking that path is taken and prunes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.search.caches import LARGEST_SHARE
from app.search.deadline import Deadline
from app.search.local import facet_counts, matching, ranking, topk
from app.search.local.matching import IMPACT_BYTES, relevance, term_impacts, term_match
from app.search.local.searcher import LocalSearcher
from app.search.port_service import question
from app.search.query import Term
from app.search.service import SearchRequest
from indexer import layout
from indexer.build import build
from indexer.whoosh_store.reader import open_storage
from tests.benchmarks import corpus as generator
from tests.benchmarks.queries import Corpus, query_mix

EXTRA = ("光伏 OR 水电", "(信访 OR 低保) -矛盾", "乡村 (振兴 OR 治理)", '"乡村振兴" OR 茶', "-村", "党建", "产业 -光伏", "村 党")
WINDOWS = ((0, 10), (0, 20), (0, 100), (90, 10))


CORPORA = [("bundled", 0), (300, generator.DEFAULT_SEED), (120, 20250101)]


@pytest.fixture(scope="module", params=CORPORA, ids=["bundled reports", "300 generated reports", "120 generated reports"])
def corpus(request, tmp_path_factory, index_dir):
    reports, seed = request.param
    if reports == "bundled":
        built = index_dir  # the session's index of data/reports
    else:
        data = tmp_path_factory.mktemp("topk-data")
        names = generator.township_names(max(4, reports // 8), seed)
        for i in range(reports):
            report = generator.report(i, seed, names)
            (data / report.relative).parent.mkdir(parents=True, exist_ok=True)
            (data / report.relative).write_bytes(report.text.encode(report.encoding))
        built = tmp_path_factory.mktemp("topk-index")
        build(data, built, procs=2, full=True)
    generation = layout.current_generation(built)
    searcher = LocalSearcher(open_storage(generation))
    yield searcher, query_mix(Corpus.load(generation))
    searcher.close()


def _prune_everywhere(monkeypatch) -> None:
    monkeypatch.setattr(topk, "PRUNE_FROM", 0)
    monkeypatch.setattr(topk, "PRUNE_SHARE", 2)


@pytest.fixture
def pruning_everywhere(monkeypatch):
    """Every answer takes the pruned path, and every passage scored is counted."""
    _prune_everywhere(monkeypatch)
    scored = []
    values = topk.values
    monkeypatch.setattr(
        topk, "values", lambda index, root, synonyms, docs, deadline: scored.append(len(docs)) or values(index, root, synonyms, docs, deadline)
    )
    return scored


def _questions(mix) -> list[tuple[str, object]]:
    asked = [(b.label(), SearchRequest(q=b.q, **{f: (v,) for f, v in b.filters.items()})) for b in mix if b.q]
    return asked + [(q, SearchRequest(q=q)) for q in EXTRA]


def _small_cache(index) -> int:
    """A term cache limit under which a term in more than an eighth of the passages keeps only
    its highest impacts."""
    return (index.count // 8 * IMPACT_BYTES + matching.ENTRY_MARGIN) * LARGEST_SHARE


def _partial_impacts(monkeypatch) -> list[str]:
    """The terms whose impacts the ranking used were partial (their highest only)."""
    partial = []
    impacts = topk.term_impacts

    def recorded(index, text):
        found = impacts(index, text)
        if found[3]:
            partial.append(text)
        return found

    monkeypatch.setattr(topk, "term_impacts", recorded)
    return partial


@pytest.mark.parametrize("cache", ["default cache", "small cache"])
def test_the_window_is_the_one_scoring_every_match_gives(corpus, pruning_everywhere, cache, monkeypatch):
    searcher, mix = corpus
    if cache == "small cache":  # the same generation, opened with a term cache of a few hundred kilobytes
        searcher = LocalSearcher(searcher.index.storage, _small_cache(searcher.index))
    partial = _partial_impacts(monkeypatch)
    index = searcher.index
    deadline = Deadline(120)
    compared = pruned = pruned_partial = 0
    for label, request in _questions(mix):
        query = question(request).query
        filters = {name: tuple(v) for name, v in query.filters.items() if v}
        with index.one_request():
            docs = facet_counts.narrowed(index, searcher._matches(query, deadline), facet_counts.filter_sets(index, filters))
            scores, verbatim = relevance(index, query.root, docs, deadline, query.synonyms)
            every = ranking.relevance_value(scores, verbatim, index.passage_weights[docs])
            for sort in ("relevance", "year_desc", "year_asc"):
                for offset, limit in WINDOWS + ((len(docs) // 2, 10),):
                    expected = ranking.window(index, sort, docs, every, offset, limit)
                    pruning_everywhere.clear()
                    partial.clear()
                    chosen, value = topk.window(index, query.root, query.synonyms, sort, docs, offset, limit, deadline)
                    assert chosen.tolist() == expected.tolist(), (label, sort, offset, limit)
                    assert value.tolist() == every[expected].tolist(), (label, sort, offset, limit)  # bit for bit
                    compared += 1
                    pruned += sum(pruning_everywhere) < len(docs)
                    pruned_partial += bool(partial) and sum(pruning_everywhere) < len(docs)
    assert compared > 1000
    assert pruned > compared // 10  # the pruned path really left passages unscored
    if cache == "small cache":  # … and did so with a common term's highest impacts only
        assert pruned_partial > compared // 40
    else:
        assert not pruned_partial


@pytest.mark.parametrize("everywhere", [False, True], ids=["default thresholds", "pruning everywhere"])
def test_the_searcher_answers_as_before(corpus, everywhere, monkeypatch):
    # Through the port, the whole mix at its own pages (deep pages and browsing included), by
    # relevance and in document order: the window, its values and the total are those of every
    # match scored.
    if everywhere:
        _prune_everywhere(monkeypatch)
    searcher, mix = corpus
    index = searcher.index
    deadline = Deadline(120)
    asked = [(b.label(), SearchRequest(q=b.q, **{f: (v,) for f, v in b.filters.items()}), b.page, b.size) for b in mix]
    asked += [(q, SearchRequest(q=q), 1, 10) for q in EXTRA]
    assert {b.cls for b in mix} >= {"1字", "2字词", "深页", "浏览"}
    for label, request, page, size in asked:
        for sort in ("relevance", "document"):
            query = replace(question(request).query, sort=sort, offset=(page - 1) * size, limit=size)
            answer = searcher.search(query, deadline)
            filters = {name: tuple(v) for name, v in query.filters.items() if v}
            docs = facet_counts.narrowed(index, searcher._matches(query, deadline), facet_counts.filter_sets(index, filters))
            every = None
            if query.root is not None and sort == "relevance":
                scores, verbatim = relevance(index, query.root, docs, deadline, query.synonyms)
                every = ranking.relevance_value(scores, verbatim, index.passage_weights[docs])
            order = ranking.window(index, sort, docs, every, query.offset, size)
            assert answer.total == len(docs), (label, sort)
            assert answer.ids == index.passage_ids(docs[order]), (label, sort)
            assert answer.scores == (every[order].tolist() if every is not None else [0.0] * len(order)), (label, sort)


def test_impacts_bound_what_a_term_adds(corpus):
    # What a passage ranks by for a term (passage weight × the BM25 relevance sums for it)
    # never exceeds its impact, which is at most one float32 step above; the sorted copy holds
    # the same values; every passage the term scores is there.
    searcher, _ = corpus
    index = searcher.index
    deadline = Deadline(120)
    for text in ("村", "信访", "发展", "工作", "乡村振兴", "党建引领"):
        ids, impact, ascending, rest = term_impacts(index, text)
        assert len(impact) == len(ids) and ascending.tolist() == sorted(impact.tolist())
        assert len(ids) >= len(term_match(index, Term(text), deadline).verbatim) and rest == 0.0
        scores, _ = relevance(index, Term(text), ids, deadline, {})
        ranked_by = index.passage_weights[ids] * scores
        assert (ranked_by > 0).all() and (ranked_by <= impact).all()
        assert (np.nextafter(impact, np.float32(0)) < ranked_by).all()


def test_a_common_term_keeps_its_highest_impacts_within_the_cache_share(corpus):
    # Under a small cache a term in more passages than an entry may hold keeps those of its
    # impacts above the rest, within that share; every passage left out ranks by at most ``rest``.
    searcher, _ = corpus
    small = LocalSearcher(searcher.index.storage, _small_cache(searcher.index))
    index = small.index
    deadline = Deadline(120)
    most = (index.term_cache.limit_bytes // LARGEST_SHARE - matching.ENTRY_MARGIN) // IMPACT_BYTES
    whole = searcher.index
    kept_partly = 0
    for text in ("村", "发展", "工作", "的", "党"):
        ids, impact, ascending, rest = term_impacts(index, text)
        every_ids, every_impact, _, every_rest = term_impacts(whole, text)
        assert every_rest == 0.0 and len(ids) <= most and ascending.tolist() == sorted(impact.tolist())
        if len(every_ids) <= most:
            assert ids.tolist() == every_ids.tolist() and rest == 0.0
            continue
        kept_partly += 1
        listed = np.isin(every_ids, ids)
        assert every_impact[listed].tolist() == impact.tolist() and (impact > rest).all()
        assert every_impact[~listed].max() == np.float32(rest)
        assert ("impacts", text) in index.term_cache._entries  # kept: within the entry's share
        scores, _ = relevance(index, Term(text), every_ids[~listed], deadline, {})
        assert (index.passage_weights[every_ids[~listed]] * scores <= rest).all()
    assert kept_partly
