"""More like this: the passages of other reports that share a passage's most telling words."""

from __future__ import annotations

from collections import Counter

import numpy as np

from app.search.core.opened import OpenIndex
from app.search.core.scoring import idf
from indexer import analysis
from indexer.contract import WORDS

KEY_TERMS = 12  # words of the passage that make the query


def key_terms(index: OpenIndex, text: str, count: int = KEY_TERMS) -> list[tuple[str, float]]:
    """The passage's words weighted by frequency × rarity, the heaviest first, weights ≤ 1."""
    frequencies = Counter(w for w in analysis.index_words(analysis.normalize(text)) if len(w) >= 2)
    weighted = []
    for word, tf in frequencies.items():
        df = index.storage.doc_frequency(WORDS, word)
        if df:
            weighted.append((word, tf * idf(index.count, df)))
    weighted.sort(key=lambda item: (-item[1], item[0]))
    weighted = weighted[:count]
    top = weighted[0][1] if weighted else 1.0
    return [(word, weight / top) for word, weight in weighted]


def scores_at(index: OpenIndex, terms: list[tuple[str, float]], docs: np.ndarray) -> np.ndarray:
    """The more-like-this score of each of ``docs`` (what :func:`similar_docs` ranks by)."""
    scores = np.zeros(len(docs))
    for word, weight in terms:
        scores += weight * index.bm25_at(WORDS, word, docs)
    return scores


def similar_docs(index: OpenIndex, terms: list[tuple[str, float]], exclude: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best (document number, score) for ``terms``, never one of ``exclude`` nor a heading."""
    scores = np.zeros(index.size)
    for word, weight in terms:
        ids, values = index.bm25(WORDS, word)
        scores[ids] += weight * values
    scores[exclude] = 0
    scores[index.is_heading] = 0
    candidates = np.flatnonzero(scores > 0)
    if not len(candidates):
        return []
    best = candidates[np.lexsort((index.rank[candidates], -scores[candidates]))[:limit]]
    return [(int(d), float(scores[d])) for d in best]
