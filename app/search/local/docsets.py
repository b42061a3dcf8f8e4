"""Sets of document numbers as sorted, unique int32 arrays, and their algebra.

A small set against a large one is a binary search; two large ones meet in a boolean mask
over the collection (a few hundred kilobytes at 400,000 passages).
"""

from __future__ import annotations

import numpy as np

EMPTY = np.zeros(0, dtype=np.int32)


def from_mask(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask).astype(np.int32)


def member(values: np.ndarray, docs: np.ndarray, size: int | None = None) -> np.ndarray:
    """Bool per element of ``values``: is it in ``docs`` (sorted). With the collection's
    ``size``, many values are looked up in a mask over it rather than one binary search each."""
    if not len(docs) or not len(values):
        return np.zeros(len(values), dtype=np.bool_)
    if values is docs:
        return np.ones(len(values), dtype=np.bool_)
    if size is not None and len(values) * 16 > size:
        mask = np.zeros(size, dtype=np.bool_)
        mask[docs] = True
        return mask[values]
    index = np.searchsorted(docs, values)
    index[index == len(docs)] = 0
    return docs[index] == values


def locate(values: np.ndarray, docs: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``docs`` is in ``values`` (sorted): a bool per element of ``docs``, and
    the positions in ``values`` of those found, in the order of ``docs``."""
    if not len(values) or not len(docs):
        return np.zeros(len(docs), dtype=np.bool_), np.zeros(0, dtype=np.intp)
    if docs is values:
        return np.ones(len(docs), dtype=np.bool_), np.arange(len(docs))
    if len(docs) * 16 > size:  # many to find: a table over the collection
        table = np.full(size, -1, dtype=np.int32)
        table[values] = np.arange(len(values), dtype=np.int32)
        at = table[docs]
        found = at >= 0
        return found, at[found]
    at = np.searchsorted(values, docs)
    at[at == len(values)] = 0
    found = values[at] == docs
    return found, at[found]


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
        # sorted runs one after the other: a merge (timsort finds the runs), then duplicates out
        merged = np.sort(np.concatenate(parts), kind="stable")
        return merged[np.concatenate(([True], merged[1:] != merged[:-1]))].astype(np.int32, copy=False)
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
