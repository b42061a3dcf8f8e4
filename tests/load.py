"""Bounded load test on loopback: ``python -m tests.load``.

Starts ``uvicorn app.main:app`` (one worker unless ``--workers``) on an index of the bundled
reports built into a temporary folder, or uses ``--url`` of a running server, then runs
``--clients`` concurrent clients for ``--seconds`` against a mix of every API endpoint
(searches with words, phrases, exclusions, OR and filters, several pages and sorts; documents,
trends, suggestions, similar passages, small exports, health). A warm-up (``--warmup``
seconds, same load, not counted) fills the caches first.

Prints requests, requests/s, errors (anything but 200, and transport errors), latency
percentiles (p50/p95/p99/max) and the server's resident memory (all its processes) averaged
over the first and the last 10 s. Exits 1 when there was an error or memory grew by more than
``--max-growth-mb``.

    python -m tests.load                           # 50 clients, 60 s
    python -m tests.load --clients 10 --seconds 10 # a quick look
    python -m tests.load --url http://127.0.0.1:8000 --pid 1234
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.server import build_index, rss_mb, serve

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "reports"

WORDS = [
    "光伏",
    "信访",
    "乡村振兴",
    "鄉村振興",
    "产业",
    "项目",
    "茶",
    "线虫",
    "松材线虫病",
    "强村公司",
    "两违",
    "河长制",
    "垃圾分类",
    "党建",
    "2023",
    "安全生产",
    "旅游",
    "民宿",
    "消薄",
    "共同富裕",
    "EOD",
    "189万",
    "防汛",
    "招商引资",
    "基层治理",
    "人居环境",
    "农房",
    "水电",
    "蛙",
    "网格",
    "c++",
    "1+3+N",
    "：",
]
QUERY_FORMS = ["{a}", "{a} {b}", '"{a}"', "{a} -{b}", "{a} OR {b}", "({a} OR {b}) {c}", "{a}{b}"]


@dataclass
class Corpus:
    """What the requests are made of: words, and ids and facet values read from the server."""

    townships: list[str]
    years: list[str]
    doc_ids: list[str]
    passage_ids: list[str]
    phrases: list[str]


@dataclass
class LoadResult:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds
    by_endpoint: dict[str, list[float]] = field(default_factory=dict)
    memory: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    seconds: float = 0.0

    def percentile(self, p: float, latencies: list[float] | None = None) -> float:
        ordered = sorted(self.latencies if latencies is None else latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def memory_between(self, start: float, end: float) -> float:
        values = [mb for t, mb in self.memory if start <= t < end]
        return sum(values) / len(values) if values else 0.0

    @property
    def memory_first(self) -> float:
        return self.memory_between(0, 10)

    @property
    def memory_last(self) -> float:
        return self.memory_between(self.seconds - 10, self.seconds + 1)

    def summary(self, clients: int) -> str:
        lines = [
            f"{clients} clients, {self.seconds:.0f} s: {self.requests} requests, {self.requests / max(self.seconds, 1e-9):.0f} requests/s, {len(self.errors)} errors",
            "latency ms: p50 {:.1f}  p95 {:.1f}  p99 {:.1f}  max {:.1f}".format(*(1000 * self.percentile(p) for p in (50, 95, 99, 100))),
        ]
        for endpoint, latencies in sorted(self.by_endpoint.items()):
            lines.append(
                f"  {endpoint:<24} {len(latencies):>6}  p50 {1000 * self.percentile(50, latencies):7.1f}  p99 {1000 * self.percentile(99, latencies):7.1f}"
            )
        if self.memory:
            lines.append(
                f"server RSS MB: first 10 s {self.memory_first:.1f}, last 10 s {self.memory_last:.1f} "
                f"(growth {self.memory_last - self.memory_first:+.1f} MB); peak {max(mb for _, mb in self.memory):.1f}"
            )
        for error in self.errors[:10]:
            lines.append(f"error: {error}")
        return "\n".join(lines)


async def read_corpus(client: httpx.AsyncClient, rng: random.Random) -> Corpus:
    hits = []
    for page in range(1, 6):
        browse = (await client.get("/api/search", params={"size": 100, "page": page})).json()
        hits += browse["hits"]
        if page >= browse["pages"]:
            break
    facets = browse["facets"]
    doc_ids = sorted({h["doc_id"] for h in hits})
    passage_ids = [h["passage_id"] for h in hits]
    phrases = []
    for doc_id in doc_ids:
        document = (await client.get(f"/api/documents/{doc_id}")).json()
        texts = [p["text"] for p in document["passages"] if len(p["text"]) > 12]
        for text in rng.sample(texts, min(8, len(texts))):
            start = rng.randrange(0, len(text) - 6)
            phrases.append(text[start : start + rng.randint(2, 6)].strip())
    return Corpus(
        townships=[v["value"] for v in facets["township"]],
        years=[v["value"] for v in facets["year"]],
        doc_ids=doc_ids,
        passage_ids=passage_ids,
        phrases=[p for p in phrases if p],
    )


def make_request(rng: random.Random, corpus: Corpus) -> tuple[str, dict]:
    """One request of the mix: (path, query parameters)."""
    words = WORDS + corpus.phrases
    q = rng.choice(QUERY_FORMS).format(a=rng.choice(words), b=rng.choice(words), c=rng.choice(words))
    roll = rng.random()
    if roll < 0.55:
        params: dict = {"q": q, "page": rng.choice([1, 1, 1, 2, 3]), "size": rng.choice([10, 10, 20, 50])}
        if rng.random() < 0.3:
            params["township"] = rng.sample(corpus.townships, min(len(corpus.townships), rng.randint(1, 2)))
        if rng.random() < 0.3:
            params["year"] = rng.choice(corpus.years)
        if rng.random() < 0.3:
            params["sort"] = rng.choice(["relevance", "year_desc", "year_asc", "document"])
        return "/api/search", params
    if roll < 0.62:
        return "/api/search", {"q": "", "page": rng.randint(1, 5)}
    if roll < 0.72:
        return f"/api/documents/{rng.choice(corpus.doc_ids)}", {}
    if roll < 0.80:
        return "/api/trends", {"q": q}
    if roll < 0.88:
        return "/api/suggest", {"q": rng.choice(words)[:2]}
    if roll < 0.94:
        return f"/api/passages/{rng.choice(corpus.passage_ids)}/similar", {"limit": 5}
    if roll < 0.97:
        return "/api/export", {"q": rng.choice(WORDS), "format": "jsonl"}
    return "/healthz", {}


async def run_load(url: str, clients: int, seconds: float, warmup: float = 5.0, pid: int | None = None, seed: int = 1) -> LoadResult:
    """``clients`` concurrent request loops for ``warmup`` + ``seconds``; counts only the latter."""
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    result = LoadResult()
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        corpus = await read_corpus(client, rng)
        started = time.monotonic()
        measure_from = started + warmup
        stop_at = measure_from + seconds

        async def worker(number: int) -> None:
            local = random.Random(seed * 1000 + number)
            while time.monotonic() < stop_at:
                path, params = make_request(local, corpus)
                began = time.monotonic()
                try:
                    response = await client.get(path, params=params)
                    await response.aread()
                    problem = None if response.status_code == 200 else f"{response.status_code} {path} {params}: {response.text[:200]}"
                except httpx.HTTPError as error:
                    problem = f"{type(error).__name__} {path} {params}: {error}"
                finished = time.monotonic()
                if began >= measure_from:
                    result.requests += 1
                    result.latencies.append(finished - began)
                    endpoint = (
                        "/api/documents"
                        if path.startswith("/api/documents/")
                        else "/api/passages/similar"
                        if path.startswith("/api/passages/")
                        else path
                    )
                    result.by_endpoint.setdefault(endpoint, []).append(finished - began)
                    if problem:
                        result.errors.append(problem)
                elif problem:  # an error during warm-up counts too
                    result.errors.append(problem)

        async def sample_memory() -> None:
            while time.monotonic() < stop_at:
                now = time.monotonic()
                if pid is not None and now >= measure_from:
                    result.memory.append((now - measure_from, rss_mb(pid)))
                await asyncio.sleep(1.0)

        await asyncio.gather(sample_memory(), *(worker(i) for i in range(clients)))
        result.seconds = time.monotonic() - measure_from
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the server started here")
    parser.add_argument("--url", help="a running server instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, for its memory")
    parser.add_argument("--index-dir", help="serve this index instead of building the bundled reports")
    parser.add_argument("--max-growth-mb", type=float, default=50, help="fail when RSS grows more than this")
    args = parser.parse_args(argv)

    if args.url:
        result = asyncio.run(run_load(args.url, args.clients, args.seconds, args.warmup, args.pid))
    else:
        workspace = Path(tempfile.mkdtemp(prefix="township-load-"))
        try:
            index_dir = Path(args.index_dir) if args.index_dir else workspace / "index"
            if not args.index_dir:
                print(f"building the bundled reports into {index_dir} …", flush=True)
                built = build_index(DATA_DIR, index_dir)
                if built.returncode:
                    print(built.stderr, file=sys.stderr)
                    return 1
            with serve(index_dir, workers=args.workers) as server:
                print(
                    f"serving {server.url} (pid {server.process.pid}, {args.workers} worker(s)); "
                    f"warm-up {args.warmup:g} s, then {args.clients} clients for {args.seconds:g} s",
                    flush=True,
                )
                result = asyncio.run(run_load(server.url, args.clients, args.seconds, args.warmup, server.process.pid))
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
    print(result.summary(args.clients))
    grew = result.memory and result.memory_last - result.memory_first > args.max_growth_mb
    return 1 if result.errors or grew else 0


if __name__ == "__main__":
    sys.exit(main())
