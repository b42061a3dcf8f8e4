"""Soak test on loopback: ``python -m tests.soak --reports N --minutes M``.

Builds (or reuses) the benchmark's generated corpus of N reports and its index in
``$TOWNSHIP_BENCH_DIR`` (:mod:`tests.benchmarks.corpus`), starts ``uvicorn app.main:app`` (a real
server, ``--workers``), and runs ``--clients`` clients for M minutes, each on its own keep-alive
connection, with a random mix of everything a public server is asked: searches (words, phrases,
exclusions, OR, filters, sorts, pages, page sizes, random ``facet_size``), browsing, the search
page, trends, export, suggestions, documents (API and page), similar passages, follow-ups,
comparisons (API and page), township pages, health; and invalid parameter values, which must be
answered 4xx. Odd query strings (punctuation, unbalanced quotes, other scripts) may be answered
200 or 4xx, never 5xx.

It prints each worker's resident memory after the warm-up (start), at the end and its largest,
the requests per kind with latencies, the errors (5xx, connection errors, time-outs, and a
status other than the one a request must get) with samples, and ends with the line
``rss_growth_pct=… errors=…`` (the largest growth of any worker, start to end). Exit status 1
when there was an error or a worker grew by more than ``--max-growth`` percent.

    python -m tests.soak --reports 1000 --minutes 5
    python -m tests.soak --reports 10000 --minutes 20 --workers 2
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, unquote, urlencode

from tests.benchmarks import corpus
from tests.benchmarks.httpbench import Client
from tests.benchmarks.queries import DEEP, EXCLUDED, FACET_TERMS, FIXED_PHRASES, ONE_CHAR, QUOTED, SEVERAL, TRADITIONAL, TWO_CHAR
from tests.benchmarks.run import DEFAULT_WORK_DIR, build_index, percentile
from tests.server import descendants, serve

OK, INVALID, ANY = "ok", "invalid", "any"  # what a request must get: 200, 4xx, anything but 5xx
WORDS = [*ONE_CHAR, *TWO_CHAR, *FIXED_PHRASES, *TRADITIONAL, *QUOTED, *EXCLUDED, *SEVERAL, *FACET_TERMS, *(w for w, _ in DEEP)]
ODD = ['"', "-", "(", ")", "OR", "“未闭合", "((光伏", "c++", "1+3+N", "：", "township:x", "🙂", "ǅ", "\u200b", "مرحبا", "%", "&", "#", "\\", "*", "?"]
SORTS = ("relevance", "year_desc", "year_asc", "document")
TIMEOUT_S = 30.0


@dataclass
class Material:
    """What requests are made of, read from the server once."""

    facets: dict[str, list[str]]
    doc_ids: list[str]
    passage_ids: list[str]
    townships: list[str]
    phrases: list[str]


@dataclass
class Request:
    kind: str
    url: str
    expect: str = OK


@dataclass
class Tally:
    requests: Counter = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)  # 5xx, connection, timeout, wrong status
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request, status: int, body: bytes, ms: float) -> None:
        problem = _problem(request.expect, status, body)
        with self.lock:
            self.requests[request.kind] += 1
            self.latencies.setdefault(request.kind, []).append(ms)
            if problem:
                self.errors[problem] += 1
                if len(self.samples) < 20:
                    self.samples.append(f"{problem}: {status} {unquote(request.url)[:160]} {_excerpt(body)}")

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())


def _excerpt(body: bytes) -> str:
    """What an answer says, briefly: a page's title, else the start of the body."""
    text = body.decode("utf-8", errors="replace")
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    return (title.group(1) if title else text)[:160].strip()


def _problem(expect: str, status: int, body: bytes) -> str | None:
    if status == 0:
        return "timeout" if b"timed out" in body or b"Timeout" in body else "connection"
    if status >= 500:
        return "5xx"
    if expect == OK and status != 200:
        return "wrong status (must be 200)"
    if expect == INVALID and not 400 <= status < 500:
        return "wrong status (must be 4xx)"
    return None


# ---------------------------------------------------------------------------- the request mix


def _url(path: str, params: dict | list | None = None) -> str:
    return f"{path}?{urlencode(params, doseq=True)}" if params else path


def _q(rng: random.Random, m: Material) -> str:
    words = WORDS + m.phrases
    form = rng.choice(("{a}", "{a} {b}", '"{a}"', "{a} -{b}", "{a} OR {b}", "({a} OR {b}) {c}", "{a}{b}"))
    return form.format(a=rng.choice(words), b=rng.choice(words), c=rng.choice(words))


def _filters(rng: random.Random, m: Material) -> dict:
    chosen = {}
    for facet, values in m.facets.items():
        if values and rng.random() < 0.12:
            chosen[facet] = rng.sample(values, min(len(values), rng.choice((1, 1, 2, 3))))
    return chosen


def _search_params(rng: random.Random, m: Material, q: str) -> dict:
    params = {"q": q, **_filters(rng, m), "page": rng.choice((1, 1, 1, 2, 3, rng.randint(1, 200))), "size": rng.randint(1, 100)}
    if rng.random() < 0.5:
        params["facet_size"] = rng.randint(1, 10_000)
    if rng.random() < 0.3:
        params["sort"] = rng.choice(SORTS)
    if rng.random() < 0.1:
        params["expand"] = "false"
    return params


def _invalid(rng: random.Random, m: Material) -> Request:
    """A request with one bad parameter value (or an unknown thing): it must be a 4xx."""
    bad = rng.choice(
        (
            {"size": rng.choice((0, 101, -1, "x", 10**9))},
            {"page": rng.choice((0, 10_001, -3, "1.5"))},
            {"facet_size": rng.choice((0, 10_001, -1, "many", 2**40))},
            {"year": rng.choice(("abcd", "20233", "23", "２０２３"))},
            {"about_year": "1.5e3"},
            {"q": "村" * rng.randint(501, 900)},
            {"township": [f"镇{i}" for i in range(51)]},
            {"township": "乡" * 101},
            {"sort": rng.choice(("bogus", "RELEVANCE", ""))},
        )
    )
    path = rng.choice(("/api/search", "/api/search", "/api/trends", "/api/export", "/"))
    roll = rng.random()
    if roll < 0.55:
        return Request("invalid parameter", _url(path, {"q": _q(rng, m), **bad}), INVALID)
    passage = rng.choice(m.passage_ids)
    values = rng.sample(m.townships, min(len(m.townships), 7))
    return rng.choice(
        (
            Request("invalid parameter", _url("/api/suggest", {"q": "乡", "limit": rng.choice((0, 11, -1))}), INVALID),
            Request("invalid parameter", _url("/api/suggest", {"q": "村" * 101}), INVALID),
            Request("invalid parameter", _url("/api/trends", {"q": "茶", "buckets": rng.choice((0, 1001, -5, "all"))}), INVALID),
            Request("invalid parameter", _url(f"/api/passages/{quote(passage)}/similar", {"limit": rng.choice((0, 51))}), INVALID),
            Request("invalid parameter", _url("/api/export", {"q": "茶", "format": "xml"}), INVALID),
            Request("invalid parameter", _url("/api/compare", {"by": "township", "value": values[:1]}), INVALID),
            Request("invalid parameter", _url("/api/compare", {"by": "township", "value": values[:7]}), INVALID),
            Request("invalid parameter", _url("/api/compare", {"by": "theme", "value": ["a", "b"]}), INVALID),
            Request("unknown thing", "/api/passages/no-such-passage/similar", INVALID),
            Request("unknown thing", "/api/passages/no-such-passage/followup", INVALID),
            Request("unknown thing", "/api/documents/no-such-document", INVALID),
            Request("unknown thing", "/documents/no-such-document", INVALID),
            Request("unknown thing", "/townships/" + quote("没有这个乡"), INVALID),
        )
    )


def next_request(rng: random.Random, m: Material) -> Request:
    """One request of the mix (weights: searches and browsing most, then everything else)."""
    roll = rng.random()
    if roll < 0.25:
        return Request("search", _url("/api/search", _search_params(rng, m, _q(rng, m))))
    if roll < 0.38:
        params = {**_filters(rng, m), "facet_size": rng.randint(1, 10_000), "page": rng.randint(1, 50)}
        return Request("browse", _url("/api/search", params))
    if roll < 0.43:
        return Request(
            "odd query",
            _url("/api/search", {"q": "".join(rng.choice(ODD) for _ in range(rng.randint(1, 6))), "facet_size": rng.randint(1, 10_000)}),
            ANY,
        )
    if roll < 0.50:
        return Request("search page", _url("/", _search_params(rng, m, rng.choice(("", _q(rng, m))))))
    if roll < 0.56:
        params = {"q": rng.choice(("", _q(rng, m))), **_filters(rng, m)}
        if rng.random() < 0.5:
            params["buckets"] = rng.randint(1, 1000)
        return Request("trends", _url("/api/trends", params))
    if roll < 0.62:
        return Request("suggest", _url("/api/suggest", {"q": rng.choice(WORDS + m.townships)[: rng.randint(1, 3)], "limit": rng.randint(1, 10)}))
    if roll < 0.67:
        doc = quote(rng.choice(m.doc_ids))
        return Request("document", f"/api/documents/{doc}" if rng.random() < 0.5 else _url(f"/documents/{doc}", {"q": _q(rng, m)}))
    if roll < 0.72:
        passage = quote(rng.choice(m.passage_ids))
        if rng.random() < 0.7:
            return Request("similar", _url(f"/api/passages/{passage}/similar", {"limit": rng.randint(1, 50)}))
        return Request("followup", f"/api/passages/{passage}/followup")
    if roll < 0.77:
        by = rng.choice(("township", "county", "year"))
        values = m.facets.get(by) or []
        if len(values) < 2:
            return Request("search", _url("/api/search", {"q": _q(rng, m)}))
        params = {
            "by": by,
            "value": rng.sample(values, rng.randint(2, min(6, len(values)))),
            "q": rng.choice(("", _q(rng, m))),
            "size": rng.randint(1, 20),
        }
        return Request("compare", _url(rng.choice(("/api/compare", "/api/compare", "/compare")), params))
    if roll < 0.79:
        # Export stays small: a filtered query (a whole common word would stream the collection).
        params = {"q": rng.choice(WORDS), "township": rng.choice(m.townships), "format": rng.choice(("csv", "jsonl"))}
        return Request("export", _url("/api/export", params))
    if roll < 0.81:
        return Request("township page", "/townships/" + quote(rng.choice(m.townships)))
    if roll < 0.82:
        return Request("health", "/healthz")
    return _invalid(rng, m)


def read_material(client: Client, rng: random.Random) -> Material:
    """Facet values, documents, passages and phrases, from the server's own answers."""
    status, body, _ = client.json(_url("/api/search", {"facet_size": 10_000, "size": 100}))
    if status != 200 or body is None:
        raise RuntimeError(f"/api/search answered {status}")
    facets = {name: [v["value"] for v in values] for name, values in body["facets"].items()}
    pages = body["pages"]
    hits = list(body["hits"])
    for page in rng.sample(range(2, pages + 1), min(8, max(0, pages - 1))):
        status, more, _ = client.json(_url("/api/search", {"size": 100, "page": page}))
        if status == 200 and more:
            hits += more["hits"]
    phrases = []
    for hit in rng.sample(hits, min(60, len(hits))):
        text = hit["text"].strip()
        if len(text) > 8:
            start = rng.randrange(0, len(text) - 6)
            phrases.append(text[start : start + rng.randint(2, 6)])
    return Material(
        facets=facets,
        doc_ids=sorted({h["doc_id"] for h in hits}),
        passage_ids=[h["passage_id"] for h in hits],
        townships=[v for v in facets.get("township", []) if v != "未识别"] or ["未识别"],
        phrases=phrases,
    )


# ---------------------------------------------------------------------------- memory


def worker_pids(server_pid: int) -> list[int]:
    """The processes that answer requests: uvicorn itself with one worker, else its worker
    children (not the supervisor, nor multiprocessing's helper processes)."""
    tree = descendants(server_pid)
    workers = []
    for pid in tree[1:]:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command or b"uvicorn" in command:
            workers.append(pid)
    return workers or [server_pid]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Memory:
    start: dict[int, float] = field(default_factory=dict)  # after the warm-up
    end: dict[int, float] = field(default_factory=dict)
    peak: dict[int, float] = field(default_factory=dict)
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (seconds, largest worker MB)

    def sample(self, pids: list[int], seconds: float) -> dict[int, float]:
        now = {pid: rss_mb(pid) for pid in pids}
        for pid, mb in now.items():
            self.peak[pid] = max(self.peak.get(pid, 0.0), mb)
        self.timeline.append((round(seconds, 1), round(max(now.values(), default=0.0), 1)))
        return now

    def growth_pct(self) -> float:
        """The largest growth of any worker from the end of the warm-up to the end (a worker
        that was not there at the start, a restarted one, counts from its first sample)."""
        growth = [100 * (self.end[pid] - start) / start for pid, start in self.start.items() if start and pid in self.end]
        return round(max(growth, default=0.0), 1)


# ---------------------------------------------------------------------------- the run


@dataclass
class SoakResult:
    seconds: float
    tally: Tally
    memory: Memory
    workers: int
    clients: int

    @property
    def errors(self) -> int:
        return self.tally.total_errors

    @property
    def requests(self) -> int:
        return sum(self.tally.requests.values())


def soak(port: int, server_pid: int, clients: int, seconds: float, warmup: float, seed: int, log=print) -> SoakResult:
    """``clients`` threads asking for ``warmup`` + ``seconds``; memory sampled every second."""
    with_material = Client(port, timeout=TIMEOUT_S)
    material = read_material(with_material, random.Random(seed))
    with_material.close()
    tally, memory = Tally(), Memory()
    stop = threading.Event()

    def client_loop(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        client = Client(port, timeout=TIMEOUT_S)
        while not stop.is_set():
            request = next_request(rng, material)
            status, body, ms = client.get(request.url)
            tally.add(request, status, body, ms)
        client.close()

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    warm_until, end_at = started + warmup, started + warmup + seconds
    next_log = started + 60
    while time.monotonic() < end_at:
        now = time.monotonic()
        sample = memory.sample(worker_pids(server_pid), now - started)
        if now >= warm_until:
            for pid, mb in sample.items():
                memory.start.setdefault(pid, mb)
        if now >= next_log:
            log(
                f"  {now - started:5.0f} s: {sum(tally.requests.values()):,} requests, {tally.total_errors} errors, largest worker {max(sample.values(), default=0):.0f} MB"
            )
            next_log += 60
        time.sleep(min(1.0, max(0.0, end_at - time.monotonic())))
    stop.set()
    for thread in threads:
        thread.join(TIMEOUT_S + 5)
    elapsed = time.monotonic() - started
    memory.end = memory.sample(worker_pids(server_pid), elapsed)
    for pid, mb in memory.end.items():
        memory.start.setdefault(pid, mb)
    return SoakResult(seconds=elapsed, tally=tally, memory=memory, workers=len(memory.end), clients=clients)


def report(result: SoakResult, max_growth: float) -> str:
    t, m = result.tally, result.memory
    lines = [
        f"{result.clients} clients, {result.seconds:.0f} s: {result.requests:,} requests ({result.requests / max(result.seconds, 1e-9):.1f}/s), {result.errors} errors",
        "",
        "| worker | RSS at start (after warm-up) | at end | largest | growth |",
        "|---|---:|---:|---:|---:|",
    ]
    for pid in sorted(m.end):
        start, end = m.start.get(pid, 0.0), m.end[pid]
        growth = f"{100 * (end - start) / start:+.1f} %" if start else "–"
        lines.append(f"| {pid} | {start:,.0f} MB | {end:,.0f} MB | {m.peak.get(pid, end):,.0f} MB | {growth} |")
    lines += [
        "",
        f"largest worker RSS seen: {max(m.peak.values(), default=0):,.0f} MB",
        "",
        "| requests | n | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, n in sorted(t.requests.items(), key=lambda kv: -kv[1]):
        latencies = t.latencies[kind]
        lines.append(f"| {kind} | {n:,} | {percentile(latencies, 50):.1f} | {percentile(latencies, 99):.1f} | {max(latencies):.0f} |")
    if t.errors:
        lines += ["", "errors: " + ", ".join(f"{kind} {n}" for kind, n in t.errors.items())]
        lines += [f"  {sample}" for sample in t.samples[:10]]
    growth = m.growth_pct()
    verdict = "ok" if not result.errors and growth <= max_growth else f"FAILED (limits: 0 errors, growth ≤ {max_growth:g} %)"
    lines += ["", f"verdict: {verdict}", f"rss_growth_pct={growth} errors={result.errors}"]
    return "\n".join(lines)


def prepare_index(work: Path, reports: int, seed: int, procs_: int, rebuild: bool = False, log=print) -> Path:
    """The benchmark's corpus and index (reused when built before, unless ``rebuild``)."""
    data_dir = corpus.generate(work, reports, seed, log=log)
    index_dir = corpus.index_dir(work, reports, seed)
    build_index(SimpleNamespace(skip_index=not rebuild, procs=procs_), data_dir, index_dir)
    return index_dir


def run(args) -> SoakResult:
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    index_dir = prepare_index(work, args.reports, args.seed, args.procs, log=_log)
    for attempt in (1, 2):
        env = {"TOWNSHIP_SEARCH_TIMEOUT": str(args.search_timeout)} if args.search_timeout else None
        with serve(index_dir, workers=args.workers, startup_seconds=600, env=env) as server:
            health = Client(server.port, timeout=TIMEOUT_S)
            status, body, _ = health.get("/healthz")
            health.close()
            if status != 200 and attempt == 1:
                # An index built by other code than this checkout's (the cached build is older):
                # the server refuses it and says why; build it again once.
                _log(f"the server refused the cached index ({status} {body[:200]!r}); rebuilding")
                prepare_index(work, args.reports, args.seed, args.procs, rebuild=True, log=_log)
                continue
            _log(
                f"serving {server.url} (pid {server.process.pid}, workers={args.workers}); {args.clients} clients for {args.minutes:g} min after {args.warmup:g} s warm-up"
            )
            return soak(server.port, server.process.pid, args.clients, args.minutes * 60, args.warmup, args.seed, log=_log)
    raise AssertionError("unreachable")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m tests.soak", description="soak test: memory and errors of a real server under a long random mix of requests"
    )
    main.add_argument("--reports", type=int, default=1000, help="reports of the generated corpus (default 1000)")
    main.add_argument("--minutes", type=float, default=5, help="minutes of requests after the warm-up (default 5)")
    main.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    main.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    main.add_argument("--warmup", type=float, default=15, help="seconds of requests before the start RSS is taken (default 15)")
    main.add_argument(
        "--search-timeout", type=float, help="the server's time limit per search, seconds (TOWNSHIP_SEARCH_TIMEOUT; default: the server's own, 5)"
    )
    main.add_argument("--max-growth", type=float, default=10, help="largest RSS growth of a worker, percent (default 10)")
    main.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED, help="corpus seed (the benchmark's by default)")
    main.add_argument("--procs", type=int, default=2, help="indexing processes when the index must be built (default 2)")
    main.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR), help="corpus and index (default: $TOWNSHIP_BENCH_DIR or /tmp/township-bench)")
    main.add_argument("--json", help="also write the figures to this file")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result = run(args)
    growth = result.memory.growth_pct()
    print(report(result, args.max_growth))
    if args.json:
        m = result.memory
        Path(args.json).write_text(
            json.dumps(
                {
                    "reports": args.reports,
                    "minutes": args.minutes,
                    "workers": args.workers,
                    "clients": args.clients,
                    "seconds": round(result.seconds, 1),
                    "requests": dict(result.tally.requests),
                    "errors": dict(result.tally.errors),
                    "error_samples": result.tally.samples,
                    "rss_start_mb": m.start,
                    "rss_end_mb": m.end,
                    "rss_peak_mb": m.peak,
                    "rss_timeline": m.timeline,
                    "rss_growth_pct": growth,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    return 1 if result.errors or growth > args.max_growth else 0


if __name__ == "__main__":
    sys.exit(main())
