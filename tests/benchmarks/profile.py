"""Where a search's time goes: ``python -m tests.benchmarks.profile --reports N``.

On the benchmark's cached index of N reports (built by ``python -m tests.benchmarks --reports
N`` first) and its query mix, warm (one pass first, not measured):

* **service** (always): cProfile around the search service answering the mix in this process
  (what the API's ``took_ms`` measures): the functions ranked by their own time and by the
  time spent in them and below, as a share of the whole.
* **server** (when py-spy is installed: ``pip install py-spy``; it is not a dependency of the
  project): a real ``uvicorn app.main:app`` answering the mix over HTTP, one client, sampled by
  py-spy; every sample of every thread of the worker, attributed to the layer it is in
  (service, FastAPI's response validation and encoding, the HTTP stack) and to functions.

Figures are shares of the time measured: on a shared machine the milliseconds vary, the shares
much less.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from indexer import layout
from tests.benchmarks import corpus
from tests.benchmarks.queries import Corpus, query_mix

# A sample's layer: the first of these its stack passes through, leaf first.
LAYERS = (
    ("service: stored records and snippets (hits)", ("_hit (app/search/", "passages (app/search/")),
    ("service: facet counts", ("facet_counts.py",)),
    ("service: ranking (BM25, order)", ("relevance (app/search/", "_ordered (app/search/", "ranking.py")),
    ("service: matching (postings, verbatim check)", ("evaluate (app/search/", "term_match (app/search/")),
    ("service: other", ("app/search/",)),
    (
        "API: response model validation and encoding (FastAPI, pydantic)",
        ("serialize_response (fastapi/", "jsonable_encoder (fastapi/", "pydantic", "render (starlette/responses.py", "json/"),
    ),
    ("API: request parameters (FastAPI dependencies)", ("solve_dependencies (fastapi/",)),
    ("API: route code", ("app/routes/",)),
    ("HTTP stack (uvicorn, starlette, anyio, asyncio)", ("uvicorn/", "starlette/", "anyio/", "asyncio/", "h11/", "httptools", "selectors.py")),
)
# A thread waiting, not working (py-spy's idle detection misses some on a loaded machine).
IDLE = ("Condition.wait (threading.py)", "EpollSelector.select (selectors.py)", "Event.wait (threading.py)", "Queue.get (queue.py)")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*)\)$")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _mix(reports: int, seed: int, work: Path):
    index_dir = corpus.index_dir(work, reports, seed)
    generation = layout.current_generation(index_dir)
    return index_dir, query_mix(Corpus.load(generation))


# ---------------------------------------------------------------------------- service (cProfile)


def profile_service(index_dir: Path, mix: list, rounds: int, top: int) -> str:
    from app.search.engines import search_service
    from app.search.service import SearchRequest

    service = search_service(index_dir, timeout_seconds=600)
    requests = [SearchRequest(q=q.q, page=q.page, size=q.size, **{f: (v,) for f, v in q.filters.items()}) for q in mix]
    for request in requests:  # warm: the caches every later pass finds
        service.search(request)
    began = time.perf_counter()
    for request in requests:
        service.search(request)
    unprofiled = (time.perf_counter() - began) * 1000 / len(requests)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(rounds):
        for request in requests:
            service.search(request)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # own time of everything
    rows = [
        (f"{name} ({Path(file).parent.name}/{Path(file).name}:{line})" if file != "~" else name, row[2], row[3], row[1])
        for (file, line, name), row in stats.stats.items()
    ]
    searches = rounds * len(requests)
    lines = [
        f"service, in-process: {unprofiled:.2f} ms per search without the profiler; with cProfile (whose overhead inflates "
        f"small Python calls) {searches} searches in {wall:.2f} s, {1000 * wall / searches:.2f} ms per search",
        "",
        "| by own time | % | ms per search | calls per search |",
        "|---|---:|---:|---:|",
    ]
    for name, own, _, calls in sorted(rows, key=lambda r: -r[1])[:top]:
        lines.append(f"| `{name}` | {100 * own / total:.1f} | {1000 * own / searches:.2f} | {calls / searches:,.1f} |")
    lines += ["", "| by time in it and below | % | ms per search |", "|---|---:|---:|"]
    for name, _, cumulative, _ in sorted(rows, key=lambda r: -r[2])[: top * 2]:
        if cumulative < total * 1.0001:  # the profiler's own frames
            lines.append(f"| `{name}` | {100 * cumulative / total:.1f} | {1000 * cumulative / searches:.2f} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- server (py-spy)


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame.strip())
        if match:
            frames.append((match["function"], match["file"]))
    return frames


def attribute(raw: str, top: int) -> str:
    """py-spy's raw (collapsed) stacks → shares per layer and per function."""
    layers: Counter = Counter()
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = _frames(stack)
        if not frames:
            continue
        names = [f"{function} ({file})" for function, file in frames]
        if names[-1] in IDLE or (len(names) > 1 and names[-2] in IDLE):
            continue
        total += n
        own[names[-1]] += n
        for name in set(names):
            inclusive[name] += n
        for layer, markers in LAYERS:
            if any(marker in name for name in names for marker in markers):
                layers[layer] += n
                break
        else:
            layers["other"] += n
    if not total:
        return "py-spy recorded no samples"
    lines = ["| layer (first match, leaf to root, in the order listed) | % of samples |", "|---|---:|"]
    for layer, n in layers.most_common():
        lines.append(f"| {layer} | {100 * n / total:.1f} |")
    lines += ["", "| function: own samples | % |", "|---|---:|"]
    lines += [f"| `{name}` | {100 * n / total:.1f} |" for name, n in own.most_common(top)]
    lines += ["", "| function: samples in it and below | % |", "|---|---:|"]
    lines += [f"| `{name}` | {100 * n / total:.1f} |" for name, n in inclusive.most_common(top * 3) if n < total]
    return f"{total:,} samples of the worker's threads at work (waiting in select or on a condition left out)\n\n" + "\n".join(lines)


def profile_server(index_dir: Path, mix: list, seconds: float, top: int) -> str:
    from tests.benchmarks.httpbench import Client, Server

    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        return "server: py-spy is not installed (pip install py-spy); skipped"
    server = Server(index_dir)
    out = Path(tempfile.mkstemp(prefix="py-spy-", suffix=".txt")[1])
    try:
        client = Client(server.port)
        urls = [q.url() for q in mix]
        for url in urls:  # warm
            client.get(url)
        stop = threading.Event()
        asked = [0]

        def ask() -> None:
            while not stop.is_set():
                for url in urls:
                    client.get(url)
                    asked[0] += 1

        thread = threading.Thread(target=ask, daemon=True)
        thread.start()
        command = [
            py_spy,
            "record",
            "--pid",
            str(server.process.pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nolineno",
            "--output",
            str(out),
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        stop.set()
        thread.join()
        client.close()
        if done.returncode != 0:
            return f"server: py-spy failed: {done.stderr[-500:]}"
        return f"server over HTTP, one client, {asked[0]:,} searches in {seconds:g} s (py-spy, 200 samples/s)\n\n" + attribute(out.read_text(), top)
    finally:
        server.stop()
        out.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    from tests.benchmarks.run import DEFAULT_WORK_DIR

    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED)
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR))
    parser.add_argument("--rounds", type=int, default=3, help="profiled passes over the mix in-process (default 3)")
    parser.add_argument("--seconds", type=float, default=30, help="py-spy's sampling time on the server (default 30)")
    parser.add_argument("--top", type=int, default=15, help="functions listed per table (default 15)")
    args = parser.parse_args(argv)
    index_dir, mix = _mix(args.reports, args.seed, Path(args.work_dir))
    log(f"{len(mix)} queries on {index_dir}; load average {os.getloadavg()[0]:.1f}")
    print(profile_service(index_dir, mix, args.rounds, args.top))
    print()
    print(profile_server(index_dir, mix, args.seconds, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
