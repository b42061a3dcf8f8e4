"""``python -m tests.benchmarks.overhead --reports N``: what the HTTP layer costs per request.

One uvicorn worker serves the benchmark's index of N reports (built by ``python -m
tests.benchmarks --reports N``, or any index with ``--index-dir``); one client on one keep-alive
connection asks each URL ``--requests`` times in turn, so no other client's load is measured.
Per URL: the HTTP latency, the service's own ``took_ms`` where the answer has one, and their
difference, the overhead (routing, parameters, the answer's JSON, middleware, uvicorn), as
medians and p95 in milliseconds; and the worker's CPU time per request (user + system, all its
threads, from /proc): on a machine shared with other work the latencies measure the scheduler
as well, the CPU time much less. Cheap queries by default: the overhead is then most of the
latency.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from urllib.parse import quote, unquote

from tests.benchmarks import corpus
from tests.benchmarks.httpbench import Client, Server
from tests.benchmarks.run import DEFAULT_WORK_DIR, percentile

WORD = quote("乡村振兴")
URLS = (
    "/healthz",
    f"/api/search?q={WORD}&facet_size=1",
    f"/api/search?q={WORD}",
    f"/api/search?q={WORD}&size=50",
    f"/api/suggest?q={quote('乡')}",
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client: Client, url: str, requests: int, pid: int) -> dict:
    latency, took = [], []
    cpu = cpu_seconds(pid)
    for _ in range(requests):
        status, body, ms = client.get(url)
        if status != 200:
            raise RuntimeError(f"{url}: HTTP {status} {body[:200]!r}")
        latency.append(ms)
        if body.startswith(b'{"query"'):
            took.append(json.loads(body)["took_ms"])
    cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / requests
    row = {"url": url, "n": requests, "p50_ms": statistics.median(latency), "p95_ms": percentile(latency, 95), "cpu_ms": cpu_ms}
    if took:
        overhead = [a - b for a, b in zip(latency, took)]
        row |= {"took_p50_ms": statistics.median(took), "overhead_p50_ms": statistics.median(overhead), "overhead_p95_ms": percentile(overhead, 95)}
    return row


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.overhead", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000, help="the benchmark index of this many reports (default 1000)")
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR), help="where python -m tests.benchmarks built it")
    parser.add_argument("--index-dir", help="another index folder instead")
    parser.add_argument("--requests", type=int, default=500, help="requests per URL and round (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the URLs; the medians are over all of them (default 3)")
    parser.add_argument("--url", action="append", help="a URL to ask instead of the defaults (repeatable)")
    args = parser.parse_args(argv)
    index_dir = Path(args.index_dir) if args.index_dir else corpus.index_dir(Path(args.work_dir), args.reports)
    if not (index_dir / "CURRENT").exists():
        print(f"no index in {index_dir}: run python -m tests.benchmarks --reports {args.reports} first", file=sys.stderr)
        return 2
    urls = args.url or list(URLS)
    server = Server(index_dir)
    try:
        client = Client(server.port)
        for url in urls:  # warm: caches, the lexicon, the connection
            measure(client, url, 20, server.process.pid)
        rows = {url: [] for url in urls}
        for _ in range(args.rounds):
            for url in urls:
                rows[url].append(measure(client, url, args.requests, server.process.pid))
        client.close()
    finally:
        server.stop()
    print("| URL | requests | latency p50 | p95 | took_ms p50 | overhead p50 | overhead p95 | worker CPU per request |")
    print("|---|---|---|---|---|---|---|---|")
    for url, found in rows.items():

        def median(key: str, found=found) -> float | None:
            values = [r[key] for r in found if key in r]
            return statistics.median(values) if values else None

        cells = [median(k) for k in ("p50_ms", "p95_ms", "took_p50_ms", "overhead_p50_ms", "overhead_p95_ms", "cpu_ms")]
        print(f"| {unquote(url)} | {args.requests * args.rounds} | " + " | ".join(_ms(c) for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
