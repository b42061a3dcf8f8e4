"""Query evaluation: which passages a parsed query matches, and how well.

* An unquoted term matches the passages that contain it verbatim **or** all of its jieba words
  (when it has several real words: 光伏 项目); a quoted term only the verbatim ones.
* A verbatim match of one or two characters is the posting list of that n-gram; a longer
  string is looked for among the passages holding its rarest bigrams, then confirmed on the
  normalized text (the storage's ``contains``): "contains" means contains.
* Ranking is computed afterwards, only for the passages in the answer: how many terms match
  verbatim, then BM25 over the jieba words (the heading path boosted), plus the n-gram's BM25
  for strings of one or two characters (茶, 强村: words jieba does not keep).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.search.caches import LARGEST_SHARE
from app.search.local import docsets
from app.search.local.opened import OpenIndex
from app.search.port import HEADING_BOOST, Deadline
from app.search.query import Node, Not, Or, Term, exact_only
from indexer import analysis
from indexer.contract import HEADING_WORDS, WORDS

RAREST_GRAMS = 3  # bigrams intersected before the verbatim check


@dataclass
class TermMatch:
    docs: np.ndarray  # the passages the term matches
    verbatim: np.ndarray  # those that contain it verbatim
    scoring: list[tuple[str, str, float]]  # (field, term, weight) whose BM25 ranks it, in order


Synonyms = Mapping[str, tuple[str, ...]]  # term text → its group (app.search.port.Query.synonyms)


def verbatim_docs(index: OpenIndex, text: str, deadline: Deadline) -> np.ndarray:
    """Passages whose normalized text contains ``text`` (normalized)."""
    field, grams = analysis.exact_lookup(text)
    if len(grams) == 1:  # the n-gram's own postings (kept once, under their own key)
        return index.postings(field, grams[0])[0]

    def compute() -> np.ndarray:
        distinct = list(dict.fromkeys(grams))
        frequency = {g: index.storage.doc_frequency(field, g) for g in distinct}
        rarest = sorted(distinct, key=frequency.__getitem__)[:RAREST_GRAMS]
        if not frequency[rarest[0]]:
            return docsets.EMPTY
        candidates = index.postings(field, rarest[0])[0]
        for gram in rarest[1:]:
            deadline.check()
            candidates = docsets.intersect(candidates, index.postings(field, gram)[0], index.size)
            if not len(candidates):
                return docsets.EMPTY
        deadline.check()
        return candidates[index.storage.contains(candidates, text)]

    return index.term_cache.get(("verbatim", text), compute)


def _scoring(text: str) -> tuple[list[str], list[tuple[str, str, float]]]:
    """A term's jieba words, and the (field, term, weight) whose BM25 ranks it, in order."""
    words = list(dict.fromkeys(analysis.query_words(text)))
    scoring = [(field, word, weight) for word in words for field, weight in ((WORDS, 1.0), (HEADING_WORDS, HEADING_BOOST))]
    field, grams = analysis.exact_lookup(text)
    if len(grams) == 1:
        scoring.append((field, grams[0], 1.0))
    return words, scoring


def term_match(index: OpenIndex, term: Term, deadline: Deadline) -> TermMatch:
    verbatim = verbatim_docs(index, term.text, deadline)
    words, scoring = index.term_cache.get(("words", term.text), lambda: _scoring(term.text))  # jieba once per term
    # Words found separately count as a match only for several real words (光伏 项目),
    # not for fragments such as 1 + 3 + n or single characters.
    if term.exact or len(words) < 2 or not all(len(w) >= 2 for w in words):
        return TermMatch(verbatim, verbatim, scoring)

    def either() -> np.ndarray:
        together = index.postings(WORDS, words[0])[0]
        for word in words[1:]:
            deadline.check()
            together = docsets.intersect(together, index.postings(WORDS, word)[0], index.size)
        return docsets.union([verbatim, together], index.size)

    return TermMatch(index.term_cache.get(("verbatim or words", term.text), either), verbatim, scoring)


def _alternatives(node: Term, synonyms: Synonyms) -> list[Term]:
    if node.exact or node.text not in synonyms:
        return [node]
    return [node] + [Term(s) for s in synonyms[node.text] if s != node.text]


def evaluate(index: OpenIndex, node: Node, deadline: Deadline, synonyms: Synonyms) -> np.ndarray:
    """The passages ``node`` matches (sorted document numbers, live ones only)."""
    deadline.check()
    if isinstance(node, Term):
        docs = docsets.union([term_match(index, t, deadline).docs for t in _alternatives(node, synonyms)], index.size)
        return docs
    if isinstance(node, Not):
        return docsets.difference(index.all_docs, evaluate(index, exact_only(node.child), deadline, {}), index.size)
    if isinstance(node, Or):
        return docsets.union([evaluate(index, c, deadline, synonyms) for c in node.children], index.size)
    positives = [evaluate(index, c, deadline, synonyms) for c in node.children if not isinstance(c, Not)]
    negatives = [c.child for c in node.children if isinstance(c, Not)]
    if positives:
        positives.sort(key=len)
        docs = positives[0]
        for other in positives[1:]:
            docs = docsets.intersect(docs, other, index.size)
    else:
        docs = index.all_docs
    for negative in negatives:
        # Exclusion removes every passage containing the string, whatever the words.
        docs = docsets.difference(docs, evaluate(index, exact_only(negative), deadline, {}), index.size)
    return docs


def relevance(index: OpenIndex, node: Node, docs: np.ndarray, deadline: Deadline, synonyms: Synonyms) -> tuple[np.ndarray, np.ndarray]:
    """(BM25, verbatim-match count) of each of ``docs`` for ``node``.

    Synonyms add their scores and count as verbatim once; OR adds scores and takes the best
    verbatim count; AND adds both; an exclusion adds nothing."""
    return _relevance(index, node, docs, deadline, synonyms, True)


def verbatim_counts(index: OpenIndex, node: Node, docs: np.ndarray, deadline: Deadline, synonyms: Synonyms) -> np.ndarray:
    """The verbatim-match count of :func:`relevance` alone (no BM25)."""
    return _relevance(index, node, docs, deadline, synonyms, False)[1]


def _relevance(
    index: OpenIndex, node: Node, docs: np.ndarray, deadline: Deadline, synonyms: Synonyms, bm25: bool
) -> tuple[np.ndarray | None, np.ndarray]:
    if isinstance(node, Term):
        scores = np.zeros(len(docs)) if bm25 else None
        verbatim = np.zeros(len(docs), dtype=np.int64)
        for term in _alternatives(node, synonyms):
            match = term_match(index, term, deadline)
            if bm25:
                term_scores = np.zeros(len(docs))
                for field, word, weight in match.scoring:
                    term_scores += weight * index.bm25_at(field, word, docs)
                scores += term_scores
            verbatim = np.maximum(verbatim, docsets.member(docs, match.verbatim, index.size))
            deadline.check()
        return scores, verbatim
    if isinstance(node, Not):
        return (np.zeros(len(docs)) if bm25 else None), np.zeros(len(docs), dtype=np.int64)
    parts = [_relevance(index, c, docs, deadline, synonyms, bm25) for c in node.children if not isinstance(c, Not)]
    if not parts:
        return (np.zeros(len(docs)) if bm25 else None), np.zeros(len(docs), dtype=np.int64)
    scores = None
    if bm25:
        scores = np.zeros(len(docs))
        for part_scores, _ in parts:
            scores += part_scores
    counts = [v for _, v in parts]
    verbatim = np.maximum.reduce(counts) if isinstance(node, Or) else np.add.reduce(counts)
    return scores, verbatim


def scoring_terms(node: Node, synonyms: Synonyms) -> dict[str, int]:
    """The text of every term whose BM25 :func:`relevance` adds up for ``node`` (synonyms
    included), with how many times it counts."""
    counted: dict[str, int] = {}
    if isinstance(node, Term):
        for term in _alternatives(node, synonyms):
            counted[term.text] = counted.get(term.text, 0) + 1
    elif not isinstance(node, Not):
        for child in node.children:
            for text, times in scoring_terms(child, synonyms).items():
                counted[text] = counted.get(text, 0) + times
    return counted


IMPACT_BYTES = 12  # per passage a term's impacts keep: its number, its impact and the sorted copy
ENTRY_MARGIN = 1024  # what a cache entry of impacts holds besides its arrays (key, tuple, sizes)


def term_impacts(index: OpenIndex, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The passages a term's BM25 scores (those of any of its lists), what each ranks by for
    the term (passage weight × the BM25 sum :func:`relevance` adds for it) as float32 rounded
    up, never below, those impacts sorted, and the largest impact of a passage left out (0.0
    when none is). Computed once per term and kept in the term cache (what the term's BM25
    arrays took before). A term with more passages than one entry of the cache may hold keeps
    only its highest impacts, those above the rest: the memory is the cache's share whatever
    the term, and the passages that count for a first page are those."""
    scoring = index.term_cache.get(("words", text), lambda: _scoring(text))[1]
    most = max(0, (index.term_cache.limit_bytes // LARGEST_SHARE - ENTRY_MARGIN) // IMPACT_BYTES)

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        ids = docsets.union([index.postings(field, word)[0] for field, word, _ in scoring], index.size)
        term_scores = np.zeros(len(ids))
        for field, word, weight in scoring:
            term_scores += weight * index.bm25_at(field, word, ids)
        ranked_by = index.passage_weights[ids] * term_scores
        impact = ranked_by.astype(np.float32)
        impact = np.where(impact < ranked_by, np.nextafter(impact, np.float32(np.inf)), impact)
        rest = 0.0
        if len(ids) > most:
            # The most-th highest impact: those above it are kept, it and those below are left.
            cut = np.partition(impact, len(impact) - most)[len(impact) - most] if most else impact.max()
            kept = impact > cut
            ids, impact, rest = ids[kept], impact[kept], float(cut)
        return ids, impact, np.sort(impact), rest

    return index.term_cache.get(("impacts", text), compute)
