"""BM25, as Whoosh's BM25F scorer computes it (same formula, same parameters, the same
floating-point operations in the same order), over whole posting arrays at once.

``tests/test_search_core.py`` compares every score with Whoosh's own scorer.
"""

from __future__ import annotations

from math import log

import numpy as np

K1 = 1.2
B = 0.75
HEADING_BOOST = 2.0  # a query word in the heading path counts this much more than in the body


def idf(documents: int, frequency: int) -> float:
    return log(documents / (frequency + 1)) + 1


def length_norm(lengths: np.ndarray, average: float) -> np.ndarray:
    """``K1 * ((1 - B) + B * length / average)`` per passage."""
    return K1 * ((1 - B) + B * lengths.astype(np.float64) / average)


def bm25(frequencies: np.ndarray, norms: np.ndarray, weight: float) -> np.ndarray:
    """Scores of the postings of one term: ``frequencies`` and the ``norms`` of their passages."""
    tf = frequencies.astype(np.float64)
    return weight * ((tf * (K1 + 1)) / (tf + norms))
