"""More like this: passages scored by the sum of ``weight × BM25(word)`` over given words."""

from __future__ import annotations

import numpy as np

from app.search.local.opened import OpenIndex
from indexer.contract import WORDS


def scores_at(index: OpenIndex, terms: list[tuple[str, float]], docs: np.ndarray) -> np.ndarray:
    """The more-like-this score of each of ``docs``."""
    scores = np.zeros(len(docs))
    for word, weight in terms:
        scores += weight * index.bm25_at(WORDS, word, docs)
    return scores


def best(index: OpenIndex, terms: list[tuple[str, float]], exclude: np.ndarray, limit: int | None, headings: bool) -> list[tuple[int, float]]:
    """The ``limit`` best (document number, score) with a score above 0 (ties in collection
    order), never one of ``exclude``, nor a bare heading unless ``headings``."""
    scores = np.zeros(index.size)
    for word, weight in terms:
        ids, values = index.bm25(WORDS, word)
        scores[ids] += weight * values
    scores[exclude] = 0
    if not headings:
        scores[index.is_heading] = 0
    candidates = np.flatnonzero(scores > 0)
    if not len(candidates):
        return []
    chosen = candidates[np.lexsort((index.rank[candidates], -scores[candidates]))[:limit]]
    return [(int(d), float(scores[d])) for d in chosen]
