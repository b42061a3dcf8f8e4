"""The order of an answer, and the slice of it a page shows, with as little work per passage as
the order allows (a partition to the page's cut, then a sort of what reaches it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.search.core.opened import OpenIndex

VERBATIM_WEIGHT = 1e6  # verbatim matches first: BM25 sums stay far below this
SUBSTANTIAL_CHARS = 40  # a passage shorter than this ranks with its BM25 scaled down in proportion
HEADING_FACTOR = 0.5  # a bare heading ranks below passages saying as much (it is context, and
# its words already rank the passages under it through the heading path)


def passage_weights(characters: np.ndarray, is_heading: np.ndarray) -> np.ndarray:
    """What each passage's BM25 counts for in ranking: 1 for a substantial passage, less for a
    fragment of a few characters or a bare heading, which BM25's length normalisation would
    otherwise put first merely for being short."""
    weights = np.minimum(1.0, characters / SUBSTANTIAL_CHARS)
    weights[is_heading] *= HEADING_FACTOR
    return weights


def relevance_value(scores: np.ndarray, verbatim: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    return verbatim * VERBATIM_WEIGHT + (scores if weights is None else scores * weights)


def _keys(index: OpenIndex, sort: str, docs: np.ndarray, value: np.ndarray | None) -> list[np.ndarray]:
    """Sort keys, most significant first; every order ends in collection order."""
    rank = index.rank[docs]
    if sort == "document" or value is None and sort == "relevance":
        return [rank]
    negative = -value if value is not None else np.zeros(len(docs))
    if sort == "relevance":
        return [negative, rank]
    years = index.year_number[docs]
    sign = -1 if sort == "year_desc" else 1
    return [years == 0, sign * years, negative, rank]  # unknown years last either way


def ordered(index: OpenIndex, sort: str, docs: np.ndarray, value: np.ndarray | None, count: int | None = None) -> np.ndarray:
    """The first ``count`` of ``docs`` (all when None) in the request's order."""
    n = len(docs)
    count = n if count is None else min(count, n)
    if not count:
        return docs[:0]
    keys = _keys(index, sort, docs, value)
    if count < n:
        # Only what can reach the cut is sorted: everything at least as good as the
        # count-th best by the first key.
        first = keys[0]
        cut = np.partition(first, count - 1)[count - 1]
        reaching = np.flatnonzero(first <= cut)
        docs = docs[reaching]
        keys = [k[reaching] for k in keys]
    order = np.lexsort(keys[::-1])
    return docs[order[:count]]
