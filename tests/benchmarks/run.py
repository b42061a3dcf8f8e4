"""The benchmark: corpus → index build → HTTP latency and load → scan, FTS5 and Tantivy baselines → report."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from indexer import layout
from indexer.domain import PROJECT_ROOT
from tests.benchmarks import baselines, corpus, postgres, procs, tantivy_column
from tests.benchmarks.httpbench import Client, Server, load
from tests.benchmarks.queries import CLASS_NAMES, CLASSES, BenchQuery, Corpus, query_mix

DEFAULT_WORK_DIR = Path(os.environ.get("TOWNSHIP_BENCH_DIR") or Path(tempfile.gettempdir()) / "township-bench")


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0–100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def stats(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- steps


def build_index(args, data_dir: Path, index_dir: Path, pg=None) -> dict:
    """Build (or with --skip-index reuse) the index: in ``index_dir``, or into ``pg``'s database."""
    saved = index_dir / "bench-build.json"
    if args.skip_index:
        try:
            if pg is not None:
                if pg.manifest() is None:
                    raise layout.IndexMissing("empty database")
            else:
                layout.current_generation(index_dir)
            log(f"reusing the index at {pg.dsn if pg else index_dir} (--skip-index)")
            return json.loads(saved.read_text()) if saved.exists() and pg is None else {"reused": True}
        except layout.IndexMissing:
            log("no index to reuse; building")
    if pg is not None:
        command = pg.build_command(data_dir, args.procs)
    else:
        command = [
            sys.executable,
            "-m",
            "indexer",
            "build",
            "--data-dir",
            str(data_dir),
            "--index-dir",
            str(index_dir),
            "--quiet",
            "--procs",
            str(args.procs),
            "--full",
        ]
    log(f"indexing: {' '.join(command[1:])}")
    measured = procs.run_measured(command, cwd=PROJECT_ROOT)
    if measured["returncode"] != 0:
        raise SystemExit(f"build failed:\n{measured['output'][-3000:]}")
    manifest = pg.manifest() if pg is not None else layout.read_manifest(layout.current_generation(index_dir))
    result = {
        "command": "python -m indexer " + " ".join(command[3:]),
        "wall_s": round(measured["wall_s"], 2),
        "build_s": manifest.get("seconds"),
        "cpu_s": round(measured["cpu_s"], 1),
        "cores_used": round(measured["cores_used"], 2),
        "peak_rss_mb": round(measured["peak_rss_mb"], 1),
        "peak_pss_mb": round(measured["peak_pss_mb"], 1),
        "max_processes": measured["max_processes"],
        "chars": manifest["chars"],
        "chars_per_s": round(manifest["chars"] / measured["wall_s"]),
        "documents": manifest["documents"],
        "passages": manifest["passages"],
        "skipped": len(manifest.get("skipped", [])),
    }
    if pg is None:
        saved.write_text(json.dumps(result, indent=2))
    return result


def metadata_accuracy(generation: Path | None, data_dir: Path, rows: list[dict] | None = None) -> dict:
    truth = corpus.truth(data_dir)
    rows = rows if rows is not None else [json.loads(line) for line in (generation / "documents.jsonl").open(encoding="utf-8")]
    township = sum(1 for r in rows if truth.get(r["source"], {}).get("township") == r["township"])
    year = sum(1 for r in rows if truth.get(r["source"], {}).get("year") == r["year"])
    return {"documents": len(rows), "township_correct": township / len(rows), "year_correct": year / len(rows)}


def run_scan(data: Corpus, mix: list[BenchQuery], rounds: int) -> tuple[list[dict], dict[int, list[float]]]:
    answers = [baselines.scan(data, q) for q in mix]
    timings: dict[int, list[float]] = {i: [] for i in range(len(mix))}
    for _ in range(rounds):
        for i, q in enumerate(mix):
            started = time.perf_counter()
            baselines.scan(data, q)
            timings[i].append((time.perf_counter() - started) * 1000)
    return answers, timings


def run_fts5(data: Corpus, mix: list[BenchQuery], path: Path, rounds: int, truth: list[dict]) -> dict:
    fts = baselines.Fts5(path, data)
    timings: dict[int, list[float]] = {i: [] for i in range(len(mix))}
    for _ in range(rounds):
        for i, q in enumerate(mix):
            started = time.perf_counter()
            fts.search(q)
            timings[i].append((time.perf_counter() - started) * 1000)
    recall = {}
    for i, q in enumerate(mix):
        expected = set(truth[i]["found"])
        recall[i] = (len(fts.found(q) & expected), len(expected))
    result = {"build_s": round(fts.build_s, 1), "size_mb": round(fts.size_mb(), 1), "timings": timings, "recall": recall}
    fts.close()
    path.unlink(missing_ok=True)
    return result


def api_pass(client: Client, mix: list[BenchQuery]) -> tuple[dict[int, float], dict[int, dict], list[str]]:
    timings, bodies, errors = {}, {}, []
    for i, q in enumerate(mix):
        status, body, ms = client.json(q.url())
        timings[i] = ms
        if status != 200 or body is None:
            errors.append(f"{status} {q.label()}")
        else:
            bodies[i] = body
    return timings, bodies, errors


HTTP_EXPORT_ROWS = 3000  # larger answers are read in-process (see api_recall)


def api_recall(
    client: Client, index_dir: Path, data: Corpus, mix: list[BenchQuery], truth: list[dict], bodies: dict[int, dict], pg=None
) -> tuple[dict[int, tuple[int, int, int]], dict]:
    """Per query (found, expected, returned): every passage the scan finds must be in the API's answer.

    The API's answer is every hit of /api/export (all pages, same filters). /api/export streams
    about a thousand rows a second, so answers larger than HTTP_EXPORT_ROWS are taken from
    the service's ``export`` in this process instead (the generator that route streams). For
    the empty query the count is compared (browsing returns every passage)."""
    from app.search.engines import search_service, service_for
    from app.search.service import SearchRequest

    index_of = {pid: i for i, pid in enumerate(data.ids)}
    service = None
    result = {}
    http_rows = 0
    http_seconds = 0.0
    in_process = 0
    for i, q in enumerate(mix):
        expected = set(truth[i]["found"])
        total = bodies.get(i, {}).get("total", -1)
        if not q.includes:
            result[i] = (len(expected) if total == len(expected) else 0, len(expected), total)
            continue
        if 0 <= total <= HTTP_EXPORT_ROWS:
            started = time.perf_counter()
            status, body, _ = client.get(q.url("/api/export", page=False, format="jsonl"))
            if status != 200:
                result[i] = (0, len(expected), -1)
                continue
            ids = [json.loads(line)["passage_id"] for line in body.decode("utf-8").splitlines() if line.strip()]
            http_seconds += time.perf_counter() - started
            http_rows += len(ids)
        else:
            if service is None:
                service = service_for(pg.settings(600)) if pg is not None else search_service(index_dir, timeout_seconds=600)
                service.stats()  # open the generation before any query
            request = SearchRequest(q=q.q, **{facet: (value,) for facet, value in q.filters.items()})
            ids = [hit.passage_id for hit in service.export(request)]
            in_process += 1
        returned = {index_of.get(pid, -1) for pid in ids}
        result[i] = (len(expected & returned), len(expected), len(returned))
    export = {"http_rows": http_rows, "http_rows_per_s": round(http_rows / http_seconds) if http_seconds else None, "queries_in_process": in_process}
    return result, export


# ---------------------------------------------------------------------------- report


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _recall(found: int, expected: int) -> str:
    return f"{found / expected:.3f}" if expected else "–"


def markdown(result: dict, mix: list[BenchQuery]) -> str:
    b = result["build"]
    lines = [
        f"### {result['reports']:,} reports · {result['passages']:,} passages · {result['chars'] / 1e6:.1f} M characters",
        "",
        f"Machine: {result['machine']}. Command: `{result['command']}`",
        "",
        "| indexing | wall | characters/s | index on disk | peak memory (RSS / PSS, all processes) | cores used |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    if "wall_s" in b:
        lines.append(
            f"| {b['documents']:,} reports, procs={result['procs']} | {b['wall_s']:.1f} s | {b['chars_per_s']:,} | {result['index_mb']:.0f} MB "
            f"({'grams index' if result.get('engine') == 'postgres' else 'Whoosh'} {result['whoosh_mb']:.0f} MB) | {b['peak_rss_mb']:.0f} / {b['peak_pss_mb']:.0f} MB | {b['cores_used']:.2f} |"
        )
    else:
        lines.append("| (index reused, not measured) | | | | | |")
    lines += [
        "",
        f"Search, sequential, one client: **cold** = each query once right after the server started "
        f"(ready after {result['server']['ready_s']:.1f} s); **warm** = {result['warm_rounds']} more rounds. "
        "Recall: passages the API returns (every page, via /api/export) among those the scan finds. "
        "scan = brute force over the normalized passages in memory (no index, no ranking, no snippets); "
        "FTS5 = SQLite FTS5 trigram + GROUP BY facets + 10 snippets.",
        "",
        "| query class | n | API cold p50 / p95 / p99 ms | API warm p50 / p95 / p99 ms | API recall | scan p50 / p95 ms | FTS5 p50 / p95 ms | FTS5 recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["classes"] + [result["overall"]]:
        fts = row["fts5"]
        fts_cell = f"{_ms(fts['p50'])} / {_ms(fts['p95'])}" if fts["answerable"] else "cannot answer (< 3 chars)"
        if result["fts5"]["build_s"] is None:
            fts_cell = "not run"
        elif fts["answerable"] and fts["answerable"] < row["n"]:
            fts_cell += f" ({fts['answerable']} of {row['n']} answerable)"
        name = CLASS_NAMES.get(row["class"], row["class"])
        lines.append(
            f"| {name} | {row['n']} | {_ms(row['cold']['p50'])} / {_ms(row['cold']['p95'])} / {_ms(row['cold']['p99'])} "
            f"| {_ms(row['warm']['p50'])} / {_ms(row['warm']['p95'])} / {_ms(row['warm']['p99'])} | {row['recall']} "
            f"| {_ms(row['scan']['p50'])} / {_ms(row['scan']['p95'])} | {fts_cell} | {fts['recall']} |"
        )
    c = result["load"]
    lines += [
        "",
        "FTS5 trigram cannot answer 1–2-character strings (信访, 低保, 茶): those queries find nothing there. "
        + (
            f"FTS5 database {result['fts5']['size_mb']:.0f} MB, built in {result['fts5']['build_s']:.1f} s."
            if result["fts5"]["build_s"] is not None
            else "FTS5 not run (--without-fts5)."
        ),
        "",
        "| load | requests/s | requests | errors | p50 ms | p95 ms | p99 ms | server RSS after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| {c['clients']} clients × {c['seconds']:.0f} s, workers={result['workers']} | {c['rps']:.1f} | {c['requests']:,} | {c['errors']} "
        f"| {_ms(c['p50'])} | {_ms(c['p95'])} | {_ms(c['p99'])} | {result['server_rss_mb']:.0f} MB"
        + (f" (database PSS {result['database_rss_mb']:.0f} MB)" if result.get("database_rss_mb") else "")
        + " |",
        "",
        f"Metadata read back from the generated reports: township {result['metadata']['township_correct']:.1%}, year {result['metadata']['year_correct']:.1%}. "
        f"Load average (1/5/15 min, other work on the machine) at start {result['load_average']['start']}, at end {result['load_average']['end']}. "
        f"/api/export streamed {result['export']['http_rows_per_s'] or '–'} rows/s; {result['export']['queries_in_process']} larger answers were read through the service in-process.",
    ]
    return "\n".join(lines)


def summary_line(result: dict) -> str:
    keys = (
        "reports",
        "passages",
        "index_chars_per_s",
        "index_mb",
        "api_p50_ms",
        "api_p95_ms",
        "api_p99_ms",
        "api_warm_p95_ms",
        "rps",
        "errors",
        "recall",
        "scan_p95_ms",
        "fts5_p95_ms",
        "server_rss_mb",
        "server_ready_s",
    )
    keys += ("api_took_warm_p95_ms", "tantivy_warm_p95_ms", "api_tantivy_warm_p95", "tantivy_recall")
    return "SUMMARY " + " ".join(f"{k}={result.get(k)}" for k in keys)


# ---------------------------------------------------------------------------- main


def run(args) -> dict:
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    load_start = [round(x, 2) for x in os.getloadavg()]
    log(f"corpus: {args.reports} reports (seed {args.seed}) in {work}")
    data_dir = corpus.generate(work, args.reports, args.seed, log=log)
    index_dir = corpus.index_dir(work, args.reports, args.seed)
    pg = postgres.Bench(work) if args.engine == "postgres" else None
    try:
        return _run(args, work, load_start, data_dir, index_dir, pg)
    finally:
        if pg is not None:
            pg.close()


def api_summary(overall: dict, loaded, errors: list) -> dict:
    """The API's cold and warm percentiles over the whole mix, the load's rate and every error."""
    cold_warm = {f"api_{pre}{q}_ms": round(overall[phase][q], 1) for pre, phase in (("", "cold"), ("warm_", "warm")) for q in ("p50", "p95", "p99")}
    return {**cold_warm, "rps": round(loaded.rps, 1), "errors": loaded.errors + len(errors)}


def server_result(
    args, data: Corpus, mix: list[BenchQuery], ready_s: float, cold, warm, took_warm, errors, loaded, memory_ready, memory_cold, memory_after
) -> dict:
    """--server-only: the server's figures on an index already measured in full (a code change
    measured again without the scan, the recall check and the baselines, an hour at 100,000 reports)."""
    load_stats = stats(loaded.latencies_ms)

    def row(name: str, members: list[int]) -> dict:
        return {
            "class": name,
            "n": len(members),
            "cold": stats([cold[i] for i in members]),
            "warm": stats([ms for i in members for ms in warm[i]]),
            "took_warm": stats([ms for i in members for ms in took_warm[i]]),
        }

    classes = [row(c, [i for i, q in enumerate(mix) if q.cls == c]) for c in CLASSES if any(q.cls == c for q in mix)]
    overall = row("**all queries**", list(range(len(mix))))
    result = {
        "reports": args.reports,
        "passages": len(data),
        "server_only": True,
        **api_summary(overall, loaded, errors),
        "recall": None,
        "server_ready_s": round(ready_s, 2),
        "server_rss_mb_per_worker": [round(mb, 1) for mb in memory_after["rss_each_mb"][: args.workers]],
        "server": {
            "rss_ready_mb": round(memory_ready["rss_mb"], 1),
            "rss_after_cold_mb": round(memory_cold["rss_mb"], 1),
            "rss_after_load_mb": round(memory_after["rss_mb"], 1),
            "pss_after_load_mb": round(memory_after["pss_mb"], 1),
        },
        "load": {
            "clients": loaded.clients,
            "requests": loaded.requests,
            "errors": loaded.errors,
            "error_samples": loaded.error_samples[:10],
            **{k: load_stats[k] for k in ("p50", "p95", "p99", "max")},
        },
        "sequential_errors": errors[:20],
        "classes": classes,
        "overall": overall,
        "queries": [
            {"class": q.cls, "query": q.label(), "cold_ms": round(cold[i], 2), "warm_ms": [round(ms, 2) for ms in warm[i]]} for i, q in enumerate(mix)
        ],
        "workers": args.workers,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}",
        "command": "python -m tests.benchmarks " + " ".join(args.argv),
    }
    lines = [
        f"Server only (no scan, recall or baselines): {len(data):,} passages, {args.workers} worker(s), ready in {ready_s:.2f} s.",
        "",
        "| query class | n | API cold p50 / p95 / p99 ms | API warm p50 / p95 / p99 ms | service warm p95 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in classes + [overall]:
        lines.append(
            f"| {CLASS_NAMES.get(r['class'], r['class'])} | {r['n']} | {_ms(r['cold']['p50'])} / {_ms(r['cold']['p95'])} / {_ms(r['cold']['p99'])} "
            f"| {_ms(r['warm']['p50'])} / {_ms(r['warm']['p95'])} / {_ms(r['warm']['p99'])} | {_ms(r['took_warm']['p95'])} |"
        )
    lines += [
        "",
        f"Load: {loaded.clients} clients, {loaded.rps:.1f} requests/s, {loaded.errors} errors, p50 / p95 / p99 "
        f"{_ms(load_stats['p50'])} / {_ms(load_stats['p95'])} / {_ms(load_stats['p99'])} ms. Server RSS ready / after cold / after load: "
        f"{memory_ready['rss_mb']:,.0f} / {memory_cold['rss_mb']:,.0f} / {memory_after['rss_mb']:,.0f} MB; per worker after load "
        + " / ".join(f"{mb:,.0f}" for mb in result["server_rss_mb_per_worker"])
        + " MB.",
    ]
    result["markdown"] = "\n".join(lines)
    return result


def _run(args, work: Path, load_start: list, data_dir: Path, index_dir: Path, pg) -> dict:
    build = build_index(args, data_dir, index_dir, pg)
    generation = None if pg is not None else layout.current_generation(index_dir)
    data = postgres.corpus_from_database(pg.dsn) if pg is not None else Corpus.load(generation)
    mix = query_mix(data)
    scan_rounds = args.rounds
    if not args.server_only:
        log(f"{len(data):,} passages, {len(mix)} queries; scanning")
        truth, scan_ms = run_scan(data, mix, scan_rounds)

    log(f"starting uvicorn (workers={args.workers})")
    server = Server(index_dir, workers=args.workers, env=pg.env if pg is not None else None)
    try:
        memory_ready = server.memory()
        client = Client(server.port)
        cold, bodies, errors = api_pass(client, mix)
        memory_cold = server.memory()
        warm: dict[int, list[float]] = {i: [] for i in range(len(mix))}
        took_warm: dict[int, list[float]] = {i: [] for i in range(len(mix))}  # the service's own time
        for _ in range(args.rounds):
            timings, warm_bodies, more = api_pass(client, mix)
            errors += more
            for i, ms in timings.items():
                warm[i].append(ms)
                if i in warm_bodies:
                    took_warm[i].append(warm_bodies[i]["took_ms"])
        memory_warm = server.memory()
        log(f"load: {args.clients} clients for {args.duration:g} s")
        loaded = load(server.port, [q.url() for q in mix], args.clients, args.duration)
        memory_after = server.memory()
        database_mb = pg.memory_mb() if pg is not None else None
        if not args.server_only:
            log("recall via /api/export")
            recall, export = api_recall(client, index_dir, data, mix, truth, bodies, pg)
        client.close()
    finally:
        server.stop()
    if args.server_only:
        return server_result(args, data, mix, server.ready_s, cold, warm, took_warm, errors, loaded, memory_ready, memory_cold, memory_after)

    log("SQLite FTS5 trigram" + (" (skipped: --without-fts5)" if args.without_fts5 else ""))
    if args.without_fts5:  # its build grows past an hour at 100,000 reports; the column then says "not run"
        fts = {"build_s": None, "size_mb": None, "timings": {i: [] for i in range(len(mix))}, "recall": dict.fromkeys(range(len(mix)), (0, 0))}
    else:
        fts = run_fts5(data, mix, work / f"fts5-{args.reports}.sqlite", scan_rounds, truth)
    records = pg.passages_folder(work) if pg is not None else generation  # the passages Tantivy indexes
    tantivy = tantivy_column.run_column(
        records, index_dir.with_name(index_dir.name.replace("index-", "tantivy-", 1)), mix, truth, scan_rounds, args.skip_index, log=log
    )
    took_cold = {i: body["took_ms"] for i, body in bodies.items()}

    def row(name: str, members: list[int]) -> dict:
        found = sum(recall[i][0] for i in members)
        expected = sum(recall[i][1] for i in members)
        answerable = [i for i in members if baselines.fts5_answerable(mix[i])]
        fts_found = sum(fts["recall"][i][0] for i in members)
        fts_expected = sum(fts["recall"][i][1] for i in members)
        tantivy_found = sum(tantivy["recall"][i][0] for i in members)
        out = {
            "class": name,
            "n": len(members),
            "cold": stats([cold[i] for i in members]),
            "warm": stats([ms for i in members for ms in warm[i]]),
            "recall": _recall(found, expected),
            "recall_found": found,
            "recall_expected": expected,
            "scan": stats([ms for i in members for ms in scan_ms[i]]),
            "fts5": {
                **stats([ms for i in answerable for ms in fts["timings"][i]]),
                "answerable": len(answerable),
                "recall": _recall(fts_found, fts_expected),
            },
            "took_cold": stats([took_cold[i] for i in members if i in took_cold]),
            "took_warm": stats([ms for i in members for ms in took_warm[i]]),
            "tantivy": {
                "cold": stats([tantivy["cold"][i] for i in members]),
                "warm": stats([ms for i in members for ms in tantivy["warm"][i]]),
                "recall": _recall(tantivy_found, expected),
            },
        }
        return {**out, "ratios": tantivy_column.ratios(out)}

    classes = [row(c, [i for i, q in enumerate(mix) if q.cls == c]) for c in CLASSES if any(q.cls == c for q in mix)]
    overall = row("all", list(range(len(mix))))
    overall["class"] = "**all queries**"
    found_all = sum(r[0] for r in recall.values())
    expected_all = sum(r[1] for r in recall.values())
    misses = [{"query": mix[i].label(), "class": mix[i].cls, "found": f, "expected": e, "returned": n} for i, (f, e, n) in recall.items() if f < e]
    load_stats = stats(loaded.latencies_ms)
    # The index on disk: the generation's folder (of which Whoosh's files), or the database (of which the grams index).
    index_mb, whoosh_mb = pg.sizes_mb() if pg is not None else (procs.du_mb(generation), procs.du_mb(generation / "whoosh"))
    result = {
        "reports": build.get("documents", args.reports) if isinstance(build.get("documents"), int) else args.reports,
        "passages": len(data),
        "chars": data.chars,
        "index_chars_per_s": build.get("chars_per_s"),
        "engine": args.engine,
        "database_rss_mb": database_mb,
        "index_mb": round(index_mb, 1),
        "whoosh_mb": round(whoosh_mb, 1),
        **api_summary(overall, loaded, errors),
        "recall": round(found_all / expected_all, 4) if expected_all else None,
        "scan_p50_ms": round(overall["scan"]["p50"], 2),
        "scan_p95_ms": round(overall["scan"]["p95"], 2),
        "fts5_p50_ms": round(overall["fts5"]["p50"], 2) if overall["fts5"]["p50"] is not None else None,
        "fts5_p95_ms": round(overall["fts5"]["p95"], 2) if overall["fts5"]["p95"] is not None else None,
        "fts5_recall": overall["fts5"]["recall"],
        "server_rss_mb": round(memory_after["rss_mb"], 1),
        "server_ready_s": round(server.ready_s, 2),
        "tantivy_warm_p50_ms": round(overall["tantivy"]["warm"]["p50"], 2),
        "tantivy_warm_p95_ms": round(overall["tantivy"]["warm"]["p95"], 2),
        "api_took_warm_p95_ms": round(overall["took_warm"]["p95"], 2),
        "api_tantivy_warm_p95": overall["ratios"]["http_p95"],
        "tantivy_recall": overall["tantivy"]["recall"],
        # one figure per uvicorn worker (the largest processes of the tree; with --workers N
        # uvicorn adds a small supervisor process)
        "server_rss_mb_per_worker": [round(mb, 1) for mb in memory_after["rss_each_mb"][: args.workers]],
        "server": {
            "ready_s": round(server.ready_s, 2),
            "rss_ready_mb": round(memory_ready["rss_mb"], 1),
            "rss_after_cold_mb": round(memory_cold["rss_mb"], 1),
            "rss_after_warm_mb": round(memory_warm["rss_each_mb"][0], 1),  # the largest process: a worker
            "rss_after_load_mb": round(memory_after["rss_mb"], 1),
            "pss_after_load_mb": round(memory_after["pss_mb"], 1),
        },
        "load": {
            "clients": loaded.clients,
            "seconds": round(loaded.seconds, 1),
            "requests": loaded.requests,
            "errors": loaded.errors,
            "error_samples": loaded.error_samples[:10],
            "rps": round(loaded.rps, 1),
            **{k: load_stats[k] for k in ("p50", "p95", "p99", "max")},
        },
        "export": export,
        "load_average": {"start": load_start, "end": [round(x, 2) for x in os.getloadavg()]},
        "sequential_errors": errors[:20],
        "recall_misses": misses[:50],
        "build": build,
        "fts5": {"build_s": fts["build_s"], "size_mb": fts["size_mb"]},
        "tantivy": tantivy_column.summary(tantivy, mix),
        "metadata": metadata_accuracy(generation, data_dir, pg.documents() if pg is not None else None),
        "classes": classes,
        "overall": overall,
        "queries": [
            {
                "class": q.cls,
                "query": q.label(),
                "cold_ms": round(cold[i], 2),
                "warm_ms": [round(ms, 2) for ms in warm[i]],
                "scan_ms": [round(ms, 2) for ms in scan_ms[i]],
                "fts5_ms": [round(ms, 2) for ms in fts["timings"][i]],
                "expected": recall[i][1],
                "api_found": recall[i][0],
                "api_returned": recall[i][2],
                "api_total": bodies.get(i, {}).get("total"),
                "fts5_found": fts["recall"][i][0],
                "api_took_ms": [took_cold.get(i), *took_warm[i]],
                "tantivy_ms": [round(tantivy["cold"][i], 2), *(round(ms, 2) for ms in tantivy["warm"][i])],
                "tantivy_found": tantivy["recall"][i][0],
                "tantivy_total": tantivy["answers"][i]["total"],
            }
            for i, q in enumerate(mix)
        ],
        "procs": args.procs,
        "workers": args.workers,
        "warm_rounds": args.rounds,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}",
        "command": "python -m tests.benchmarks " + " ".join(args.argv),
        "generation": str(generation) if generation is not None else pg.dsn,
        "corpus_dir": str(data_dir),
    }
    result["markdown"] = markdown(result, mix) + tantivy_column.markdown(result, _ms, lambda c: CLASS_NAMES.get(c, c))
    return result


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m tests.benchmarks", description="benchmark: scaled corpus, indexing, HTTP latency and load, scan, FTS5 and Tantivy baselines"
    )
    main.add_argument("--reports", type=int, default=100, help="reports to generate (100, 1000, 10000)")
    main.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED, help="corpus seed (fixed by default)")
    main.add_argument(
        "--work-dir", default=str(DEFAULT_WORK_DIR), help="corpus, index and results (default: $TOWNSHIP_BENCH_DIR or /tmp/township-bench)"
    )
    main.add_argument(
        "--without-fts5", action="store_true", help="leave out the SQLite FTS5 column (its build takes over an hour at 100,000 reports)"
    )
    main.add_argument(
        "--server-only", action="store_true", help="only the server's figures (cold, warm, load, memory): no scan, recall check or baselines"
    )
    main.add_argument("--skip-index", action="store_true", help="reuse the index of an earlier run with the same corpus")
    main.add_argument("--procs", type=int, default=2, help="indexing processes (default 2)")
    main.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    main.add_argument("--clients", type=int, default=16, help="concurrent clients in the load test (default 16)")
    main.add_argument("--duration", type=float, default=30, help="seconds of the load test (default 30)")
    main.add_argument("--rounds", type=int, default=3, help="warm rounds over the query mix (also scan and FTS5 rounds)")
    main.add_argument("--json", help="where to write the JSON results (default: <work-dir>/results-<reports>.json)")
    main.add_argument(
        "--engine",
        choices=("whoosh", "postgres"),
        default="whoosh",
        help="the engine served: whoosh (files) or postgres (a throwaway cluster in the work folder, or $TOWNSHIP_PG_DSN)",
    )
    main.add_argument(
        "--update", action="store_true", help="instead: an incremental update (10 added, 5 changed, 5 removed) under load, beside a full rebuild"
    )
    main.add_argument("--update-clients", type=int, default=8, help="clients asking during the update (default 8)")
    main.add_argument("--verify", action="store_true", help="with --update: also build the changed folder in full and compare the records")
    return main


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    args.argv = argv
    if args.update:
        from tests.benchmarks import update

        result = update.run_update(args)
        problems = ("failed requests", result["failure_samples"])
        return _report(args, result, "results-update", problems, update.summary_line(result), update.ok(result))
    result = run(args)
    if args.server_only:
        return _report(args, result, "results-server", ("failed requests", result["sequential_errors"]), summary_line(result), result["errors"] == 0)
    passed = result["errors"] == 0 and result["recall"] in (None, 1.0) and not result["tantivy"]["misses"]
    problems = result["recall_misses"] + result["tantivy"]["misses"]
    return _report(args, result, "results", ("recall misses", problems), summary_line(result), passed)


def _report(args, result: dict, name: str, problems: tuple[str, list], summary: str, passed: bool) -> int:
    """Write the JSON, print the Markdown, the problems and the summary line; the exit status."""
    path = Path(args.json) if args.json else Path(args.work_dir) / f"{name}-{args.reports}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(result["markdown"])
    print()
    print(f"JSON: {path}")
    if problems[1]:
        print(f"{problems[0]}: {json.dumps(problems[1][:5], ensure_ascii=False)}")
    print(summary)
    return 0 if passed else 1
