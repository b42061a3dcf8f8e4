"""Resident memory of a server process.

glibc's allocator gives every thread that allocates its own arena and keeps freed memory there
for reuse. Searches run in uvicorn's thread pool, each allocating short-lived numpy arrays, so
under 16 concurrent clients a worker on 10,000 reports grew from 370 MB to 550 MB with no more
live data (measured with tests/benchmarks). A CPU-bound worker gains nothing from more than a
couple of arenas.

Large blocks (a score or mask per passage: megabytes at 10,000 reports) are mapped and unmapped
one by one, but glibc raises that threshold to the largest block freed (up to 32 MB), after
which such temporaries come from the arenas, interleaved with long-lived small objects (cache
entries), and a freed one can only be reused, never returned. A fixed threshold keeps them
mapped (with 4 threads of 1.6–4 MB temporaries and 34 MB kept: 83 → 67 MB resident).
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # mallopt parameters (glibc's malloc.h)
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 1 << 20


def limit_allocator_arenas(arenas: int = 2, mmap_threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Cap glibc's arenas for this process (before its threads start) and fix the size from
    which blocks are mapped of their own; False where that is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, arenas)) and bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold))
    except (OSError, AttributeError):
        return False
