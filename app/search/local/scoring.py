"""BM25, as Whoosh's BM25F scorer computes it (same formula, the port's parameters, the same
floating-point operations in the same order), over whole posting arrays at once.

``tests/test_local_searcher.py`` compares every score with Whoosh's own scorer.
"""

from __future__ import annotations

import numpy as np

from app.search.port import K1, B, idf  # noqa: F401  (idf: BM25's, the port's)


def length_norm(lengths: np.ndarray, average: float) -> np.ndarray:
    """``K1 * ((1 - B) + B * length / average)`` per passage."""
    return K1 * ((1 - B) + B * lengths.astype(np.float64) / average)


def bm25(frequencies: np.ndarray, norms: np.ndarray, weight: float) -> np.ndarray:
    """Scores of the postings of one term: ``frequencies`` and the ``norms`` of their passages."""
    tf = frequencies.astype(np.float64)
    return weight * ((tf * (K1 + 1)) / (tf + norms))
