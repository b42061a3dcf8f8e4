"""The order of an answer, and the slice of it a window shows, with as little work per passage
as the order allows (a partition to the window's end, then a sort of what reaches it).

Every order the local searcher gives goes through :func:`positions`; by relevance, the passages
it orders are found without scoring every match by :mod:`.topk`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.search.port import HEADING_FACTOR, SUBSTANTIAL_CHARS, relevance_value  # noqa: F401  (relevance_value: elementwise on arrays)

if TYPE_CHECKING:
    from app.search.local.opened import OpenIndex


def passage_weights(characters: np.ndarray, is_heading: np.ndarray) -> np.ndarray:
    """:func:`app.search.port.passage_weight` of every passage at once."""
    weights = np.minimum(1.0, characters / SUBSTANTIAL_CHARS)
    weights[is_heading] *= HEADING_FACTOR
    return weights


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


def positions(index: OpenIndex, sort: str, docs: np.ndarray, value: np.ndarray | None, count: int | None = None) -> np.ndarray:
    """Positions in ``docs`` of its first ``count`` (all when None) in the request's order."""
    n = len(docs)
    count = n if count is None else min(count, n)
    if not count:
        return np.zeros(0, dtype=np.int64)
    keys = _keys(index, sort, docs, value)
    reaching = None
    if count < n:
        # Only what can reach the cut is sorted: everything at least as good as the
        # count-th best by the first key.
        first = keys[0]
        cut = np.partition(first, count - 1)[count - 1]
        reaching = np.flatnonzero(first <= cut)
        keys = [k[reaching] for k in keys]
    order = np.lexsort(keys[::-1])[:count]
    return order if reaching is None else reaching[order]


def ordered(index: OpenIndex, sort: str, docs: np.ndarray, value: np.ndarray | None, count: int | None = None) -> np.ndarray:
    """The first ``count`` of ``docs`` (all when None) in the request's order."""
    return docs[positions(index, sort, docs, value, count)]


def window(index: OpenIndex, sort: str, docs: np.ndarray, value: np.ndarray | None, offset: int, limit: int | None) -> np.ndarray:
    """Positions in ``docs`` of the window ``[offset, offset + limit)`` of the request's order."""
    if offset >= len(docs) or limit == 0:
        return np.zeros(0, dtype=np.int64)
    return positions(index, sort, docs, value, None if limit is None else offset + limit)[offset:]
