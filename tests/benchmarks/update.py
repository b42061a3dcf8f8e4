"""``python -m tests.benchmarks --reports N --update``: an incremental update under load.

On the benchmark's corpus of N reports (its data folder made of hard links to the generated
files, so changing it never touches the corpus): a full build (measured: the full-rebuild
figure), a server started on it and warmed up with the query mix, 8 clients asking the mix
throughout; then 10 reports are added, 5 changed and 5 removed and ``python -m indexer build``
runs. Measured: the build's wall time, CPU and memory, when it published, and how long the
server took to answer from the new generation (the added and changed reports found, a removed
one gone); every request of the clients must succeed. ``--verify`` also builds the changed
folder in full and compares the records byte for byte.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from indexer import layout
from indexer.domain import PROJECT_ROOT
from indexer.whoosh_store.reader import iter_passages
from tests.benchmarks import corpus, procs
from tests.benchmarks.httpbench import Client, Server, load
from tests.benchmarks.queries import Corpus, query_mix

ADDED, CHANGED, REMOVED = 10, 5, 5
ADDED_MARK = "琥珀新增标记"  # in no generated report: a line of every added report
CHANGED_MARK = "琥珀改动标记"  # and of every changed one
PICKUP_LIMIT_S = 5.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _restore(base: Path, data: Path) -> None:
    """Make ``data`` hold exactly the corpus's report files (hard links to them)."""
    data.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in base.iterdir() if not p.name.startswith(".")}
    for path in data.iterdir():
        source = wanted.get(path.name)
        if source is None or path.stat().st_ino != source.stat().st_ino:
            path.unlink()
    for name, source in wanted.items():
        if not (data / name).exists():
            os.link(source, data / name)


def _replace(path: Path, text: str, encoding: str) -> None:
    """New content under ``path`` without writing into the (hard-linked) old file."""
    temporary = path.with_name("." + path.name + ".new")
    temporary.write_bytes(text.encode(encoding))
    os.replace(temporary, path)


def apply_update(data: Path, reports: int, seed: int) -> dict:
    """Add, change and remove reports; returns what was done."""
    names = corpus.township_names(max(5, reports // 5), seed)
    rng = random.Random(f"{seed}-update")
    existing = sorted(p.name for p in data.iterdir() if not p.name.startswith("."))
    picked = rng.sample(existing, CHANGED + REMOVED)
    changed, removed = picked[:CHANGED], picked[CHANGED:]
    added = []
    for k in range(ADDED):
        generated = corpus.report(reports + k, seed, names)
        _replace(data / generated.relative, generated.text + f"{ADDED_MARK}{k}号。\n", generated.encoding)
        added.append(generated.relative)
    for k, name in enumerate(changed):
        generated = corpus.report(reports + ADDED + k, seed, names)
        _replace(data / name, generated.text + f"{CHANGED_MARK}{k}号。\n", generated.encoding)
    for name in removed:
        (data / name).unlink()
    return {"added": added, "changed": changed, "removed": removed}


def _build(data: Path, index: Path, procs_count: int, *extra: str) -> dict:
    command = [
        sys.executable,
        "-m",
        "indexer",
        "build",
        "--data-dir",
        str(data),
        "--index-dir",
        str(index),
        "--quiet",
        "--procs",
        str(procs_count),
        *extra,
    ]
    measured = procs.run_measured(command, cwd=PROJECT_ROOT)
    if measured["returncode"] != 0:
        raise SystemExit(f"build failed:\n{measured['output'][-3000:]}")
    return measured


def _picked_up(client: Client, update: dict) -> bool:
    for mark, expected in ((ADDED_MARK, ADDED), (CHANGED_MARK, CHANGED)):
        status, body, _ = client.json("/api/search?" + urlencode({"q": mark, "size": 1}))
        if status != 200 or body["total"] < expected:
            return False
    gone = update["removed"][0].rsplit(".", 1)[0]
    status, _, _ = client.get(f"/api/documents/{quote(gone)}")
    return status == 404


def run_update(args) -> dict:
    work = Path(args.work_dir)
    base = corpus.generate(work, args.reports, args.seed, log=log)
    root = work / f"update-{args.reports}-s{args.seed}-v{corpus.GENERATOR_VERSION}"
    data, index = root / "data", root / "index"
    _restore(base, data)
    saved = root / "full-build.json"
    if args.skip_index and saved.exists() and (index / layout.POINTER).exists():
        log("bringing the index back to the corpus (incremental)")
        _build(data, index, args.procs)
        full = json.loads(saved.read_text())
    else:
        log(f"full build of {args.reports} reports")
        measured = _build(data, index, args.procs, "--full")
        full = {k: round(measured[k], 2) for k in ("wall_s", "cpu_s", "peak_rss_mb", "peak_pss_mb")}
        saved.write_text(json.dumps(full))
    generation = layout.current_generation(index)
    mix = query_mix(Corpus.load(generation))
    urls = [q.url() for q in mix]

    log(f"starting uvicorn (workers={args.workers}) and warming it up")
    server = Server(index, workers=args.workers)
    try:
        client = Client(server.port)
        for url in urls:
            client.get(url)
        update = apply_update(data, args.reports, args.seed)
        published = {}
        stop = threading.Event()
        loaded = []
        clients = threading.Thread(target=lambda: loaded.append(load(server.port, urls, args.update_clients, 3600, stop)))
        clients.start()
        try:
            time.sleep(2.0)
            before = layout.generation_token(index)
            started = time.perf_counter()

            def watch_pointer() -> None:
                while "at" not in published and time.perf_counter() - started < 3600:
                    if layout.generation_token(index) != before:
                        published["at"] = time.perf_counter() - started
                    time.sleep(0.01)

            watcher = threading.Thread(target=watch_pointer, daemon=True)
            watcher.start()
            log("update: 10 added, 5 changed, 5 removed; python -m indexer build")
            measured = _build(data, index, args.procs)
            watcher.join(timeout=5)
            if "at" not in published:
                raise SystemExit("the build published nothing")
            pickup = None
            while time.perf_counter() - started < published["at"] + 60:
                if _picked_up(client, update):
                    pickup = time.perf_counter() - started - published["at"]
                    break
                time.sleep(0.05)
            time.sleep(2.0)
        finally:
            stop.set()
            clients.join()
        client.close()
        memory = server.memory()
    finally:
        server.stop()
    manifest = layout.read_manifest(layout.current_generation(index))
    result = {
        "reports": args.reports,
        "documents_after": manifest["documents"],
        "passages_after": manifest["passages"],
        "update": {"added": len(update["added"]), "changed": len(update["changed"]), "removed": len(update["removed"])},
        "incremental": {
            "wall_s": round(measured["wall_s"], 2),
            "published_s": round(published["at"], 2),
            "cpu_s": round(measured["cpu_s"], 1),
            "peak_rss_mb": round(measured["peak_rss_mb"], 1),
            "mode": manifest["build"]["mode"],
            "timings": manifest["build"]["timings"],
            "merged": manifest["build"].get("merged"),
            "segments": manifest.get("segments"),
        },
        "full": full,
        "pickup_s": round(pickup, 2) if pickup is not None else None,
        "clients": args.update_clients,
        "requests": loaded[0].requests,
        "failed": loaded[0].errors,
        "failure_samples": loaded[0].error_samples[:10],
        "server_rss_mb": round(memory["rss_mb"], 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "command": "python -m tests.benchmarks " + " ".join(args.argv),
    }
    if args.verify:
        log("verifying: a full build of the changed folder")
        check = root / "verify-index"
        _build(data, check, args.procs, "--full")
        mine, theirs = layout.current_generation(index), layout.current_generation(check)
        records = [sorted((vars(p) for p in iter_passages(g)), key=lambda r: r["passage_id"]) for g in (mine, theirs)]
        result["verified"] = (mine / "documents.jsonl").read_bytes() == (theirs / "documents.jsonl").read_bytes() and records[0] == records[1]
    result["markdown"] = markdown(result)
    return result


def markdown(r: dict) -> str:
    inc, full = r["incremental"], r["full"]
    parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in inc["timings"].items())
    lines = [
        f"### Incremental update · {r['reports']:,} reports: {ADDED} added, {CHANGED} changed, {REMOVED} removed",
        "",
        "| | incremental build | full rebuild |",
        "|---|---:|---:|",
        f"| wall (`python -m indexer build`) | **{inc['wall_s']:.1f} s** (published after {inc['published_s']:.1f} s) | {full['wall_s']:.1f} s |",
        f"| CPU-seconds | {inc['cpu_s']:.1f} | {full['cpu_s']:.1f} |",
        f"| peak memory, RSS of all processes | {inc['peak_rss_mb']:.0f} MB | {full['peak_rss_mb']:.0f} MB |",
        "",
        f"Parts of the incremental build: {parts}. Segments after it: {inc['segments']}"
        + (f"; then merged {inc['merged']['segments']} segments" if inc.get("merged") else "")
        + ".",
        f"Server (1 worker, {r['clients']} clients asking the query mix throughout): answered from the new generation "
        f"**{r['pickup_s']} s** after it was published; {r['requests']:,} requests, **{r['failed']} failed**; RSS after {r['server_rss_mb']:.0f} MB.",
        f"Load average at the end: {r['load_average']}."
        + (f" Records identical to a full build of the changed folder: {r['verified']}." if "verified" in r else ""),
    ]
    return "\n".join(lines)


def summary_line(r: dict) -> str:
    return (
        f"SUMMARY-UPDATE reports={r['reports']} incremental_s={r['incremental']['wall_s']} published_s={r['incremental']['published_s']} "
        f"full_s={r['full']['wall_s']} pickup_s={r['pickup_s']} requests={r['requests']} failed={r['failed']}"
    )


def ok(r: dict) -> bool:
    return r["failed"] == 0 and r["pickup_s"] is not None and r["pickup_s"] <= PICKUP_LIMIT_S and r.get("verified", True)
