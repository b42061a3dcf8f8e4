"""Sets of document numbers as sorted, unique int32 arrays, and their algebra.

A small set against a large one is a binary search; two large ones meet in a boolean mask
over the collection (a few hundred kilobytes at 400,000 passages).
"""

from __future__ import annotations

import numpy as np

EMPTY = np.zeros(0, dtype=np.int32)


def from_mask(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask).astype(np.int32)


def member(values: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Bool per element of ``values``: is it in ``docs`` (sorted)."""
    if not len(docs) or not len(values):
        return np.zeros(len(values), dtype=np.bool_)
    index = np.searchsorted(docs, values)
    index[index == len(docs)] = 0
    return docs[index] == values


def intersect(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return EMPTY
    if len(a) * 16 < len(b):
        return a[member(a, b)]
    mask = np.zeros(size, dtype=np.bool_)
    mask[b] = True
    return a[mask[a]]


def union(parts: list[np.ndarray], size: int) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    if sum(len(p) for p in parts) * 16 < size:
        return np.unique(np.concatenate(parts)).astype(np.int32)
    mask = np.zeros(size, dtype=np.bool_)
    for part in parts:
        mask[part] = True
    return from_mask(mask)


def difference(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    if not len(a) or not len(b):
        return a
    if len(a) * 16 < size:  # few to test: a binary search each
        return a[~member(a, b)]
    mask = np.zeros(size, dtype=np.bool_)
    mask[b] = True
    return a[~mask[a]]
