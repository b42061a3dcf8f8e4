"""The two kinds of memory a server keeps between requests, each bounded by construction.

* :class:`ByteBoundedCache`: values keyed by what requests ask (a term's postings, a filter's
  passages), least recently used first out, within a limit in bytes (a setting). A request can
  add an entry only by evicting others once the limit is reached.
* :class:`DerivedOnce`: structures derived once from a generation (collection order, BM25 norms,
  a facet's counts over everything), from a **fixed set of names** declared when the generation
  opens: no request can add one, so their size follows the collection, never the requests.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

import numpy as np

T = TypeVar("T")

LARGEST_SHARE = 8  # a value larger than limit / this is computed but not kept
# What keeping an entry costs besides its key and value: the ordered dict's slot and link, the
# (value, size) pair and the size (measured: ~250 bytes an entry of a word's frequency, of which
# the key and value are counted ~130). Small entries (a word's passage count) are most of it.
ENTRY_BYTES = 160


def nbytes(value) -> int:
    """What a cached value holds in memory, near enough (numpy arrays exactly, containers
    recursively, strings by their size)."""
    if isinstance(value, np.ndarray):
        return value.nbytes + 112
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return sys.getsizeof(value)
    if isinstance(value, (tuple, list, set, frozenset)):
        return sys.getsizeof(value) + sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(nbytes(k) + nbytes(v) for k, v in value.items())
    if hasattr(value, "nbytes") and callable(value.nbytes):
        return value.nbytes()
    if hasattr(value, "__dict__"):
        return sys.getsizeof(value) + nbytes(vars(value))
    return sys.getsizeof(value)


class ByteBoundedCache:
    """Least-recently-used values within ``limit_bytes`` (their keys counted too). Thread-safe;
    two requests computing the same missing value at once both compute it (the value is the
    same) and one is kept."""

    def __init__(self, limit_bytes: int):
        self.limit_bytes = max(0, int(limit_bytes))
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        value = compute()
        size = nbytes(value) + nbytes(key) + ENTRY_BYTES
        if size * LARGEST_SHARE <= self.limit_bytes:
            with self._lock:
                if key not in self._entries:
                    self._entries[key] = (value, size)
                    self._bytes += size
                while self._bytes > self.limit_bytes:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self._bytes -= dropped
        return value

    @property
    def held_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)


class DerivedOnce:
    """Structures derived from one generation, each built once (however many requests ask at
    the same moment: one builds, the others wait), named from a fixed set."""

    def __init__(self, names: Iterable[Hashable]):
        # A lock per name: building one structure may ask for another (BM25 bounds need the norms).
        self._locks = {name: threading.Lock() for name in names}
        self._values: dict[Hashable, object] = {}

    def get(self, name: Hashable, build: Callable[[], T]) -> T:
        lock = self._locks.get(name)
        if lock is None:
            raise KeyError(f"{name!r} is not one of the structures derived from a generation")
        value = self._values.get(name)
        if value is None:
            with lock:
                value = self._values.get(name)
                if value is None:
                    value = self._values[name] = build()
        return value
