"""What one search worker holds, step by step, over an index folder (read only).

    python -m tests.benchmarks.worker_memory --index-dir /path/to/index [--cache-mb 64] [--clients 8 --seconds 30]

Opens the generation in use the way a worker does (the search service over the local
searcher), then runs a few common searches, printing after each step this process's resident
memory split into anonymous (private to the worker) and file-backed (mapped files, shared by
the workers and dropped by the system when it needs the memory); with ``--clients``, then the
largest and the remaining memory after that many threads searched at once (one worker's thread
pool under concurrent clients); at the end the sizes of what the opened index keeps (arrays by
name, the caches). Nothing is written.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import threading
import time
from pathlib import Path

import numpy as np


def rollup() -> dict[str, float]:
    """This process's smaps_rollup in MB (Rss, Pss, Anonymous, file-backed)."""
    found = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "kB":
            found[parts[0].rstrip(":")] = int(parts[1]) / 1024
    found["File"] = found.get("Rss", 0) - found.get("Anonymous", 0)
    return found


def _line(step: str, started: float) -> None:
    gc.collect()
    m = rollup()
    print(
        f"{step:<34} rss {m['Rss']:7.1f}  anon {m['Anonymous']:7.1f}  file {m['File']:7.1f}  pss {m['Pss']:7.1f} MB"
        f"  ({time.perf_counter() - started:.1f} s)",
        flush=True,
    )


def _arrays(owner, prefix: str) -> list[tuple[str, int, bool]]:
    """(name, bytes, mapped) of the numpy arrays an object holds as attributes."""
    found = []
    for name, value in vars(owner).items():
        if isinstance(value, np.ndarray):
            base = value
            while isinstance(base, np.ndarray) and base.base is not None:
                base = base.base
            found.append((f"{prefix}{name}", value.nbytes, not isinstance(base, np.ndarray)))
    return found


def _load(service, requests: list, clients: int, seconds: float, started: float) -> None:
    """``clients`` threads asking ``requests`` round and round for ``seconds`` (as a worker's
    thread pool answers concurrent clients), the largest resident memory sampled meanwhile."""
    from app.search.service import SearchError

    stop = time.perf_counter() + seconds
    done = [0, 0]

    def client(first: int) -> None:
        i = first
        while time.perf_counter() < stop:
            try:
                service.search(requests[i % len(requests)])
                done[0] += 1
            except SearchError:
                done[1] += 1
            i += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    peak = {"Rss": 0.0, "Anonymous": 0.0}
    while any(thread.is_alive() for thread in threads):
        m = rollup()
        peak = {key: max(peak[key], m[key]) for key in peak}
        time.sleep(0.2)
    print(
        f"load: {clients} threads for {seconds:g} s: {done[0]} searches, {done[1]} over the time limit;"
        f" largest rss {peak['Rss']:.1f} anon {peak['Anonymous']:.1f} MB"
    )
    _line("after the load", started)
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    _line("after malloc_trim(0)", started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.worker_memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--cache-mb", type=float, default=64)
    parser.add_argument("--clients", type=int, default=0, help="then this many threads searching at once")
    parser.add_argument("--seconds", type=float, default=30, help="for this long")
    parser.add_argument("--timeout", type=float, default=60, help="seconds a search may take (a shared machine is slow)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    from app.memory import limit_allocator_arenas

    limit_allocator_arenas()  # as app.main does in a worker
    from app.search.caches import nbytes
    from app.search.engines import search_service
    from app.search.service import SearchRequest

    _line("imported", started)
    service = search_service(Path(args.index_dir), timeout_seconds=args.timeout)
    service.engine.cache_bytes = int(args.cache_mb * 1024 * 1024)
    searcher = service._searcher()
    _line("opened", started)
    service.documents()
    _line("document views", started)
    index = searcher.index
    searches = [
        ("browse (no query)", SearchRequest()),
        ("one character 发", SearchRequest(q="发")),
        ("two characters 发展", SearchRequest(q="发展")),
        ("word 工作", SearchRequest(q="工作")),
        ("filtered 发展 year=2020", SearchRequest(q="发展", year=("2020",))),
        ("browse year=2021 section=计划", SearchRequest(year=("2021",), section=("计划",))),
        ("phrase 乡村振兴 page 3", SearchRequest(q="乡村振兴", page=3)),
        ("newest first 经济", SearchRequest(q="经济", sort="year_desc")),
    ]
    for name, request in searches:
        t = time.perf_counter()
        result = service.search(request)
        _line(f"{name} ({result.total}, {1000 * (time.perf_counter() - t):.0f} ms)", started)
    if args.clients:
        _load(service, [request for _, request in searches], args.clients, args.seconds, started)
    print("\nwhat the opened index keeps (MB; mapped = a view of a file, shared)")
    rows = _arrays(index, "index.") + _arrays(index.storage, "storage.")
    rows += [(f"index.{name}", value.nbytes(), False) for name, value in vars(index).items() if callable(getattr(value, "nbytes", None))]
    for name, column in index.facets.items():
        rows += _arrays(column, f"facet.{name}.")
    for name, value in index.derived._values.items():
        # views of index.order (passages by report) are counted at their size too
        rows.append((f"derived {name}", nbytes(value), False))
    for field, lengths in getattr(index.storage, "_lengths", {}).items():
        rows.append((f"storage.lengths[{field}]", lengths.nbytes, False))
    private = 0
    for name, size, mapped in sorted(rows, key=lambda r: -r[1]):
        if size >= 1 << 20:
            print(f"  {name:<40} {size / 1048576:7.1f} {'mapped' if mapped else 'private'}")
        private += 0 if mapped else size
    print(f"  {'private arrays in total':<40} {private / 1048576:7.1f}")
    print(f"  {'term cache (held / limit)':<40} {index.term_cache.held_bytes / 1048576:7.1f} / {index.term_cache.limit_bytes / 1048576:.0f}")
    print(f"  documents: {len(index.documents)} records")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
