"""``python -m indexer build --engine postgres``: a data folder into a new generation of a
PostgreSQL database, published atomically, incremental like the Whoosh build.

The state of what is indexed comes from the database (the generation in use: its reports, their
content hashes, the pipeline that built them), so a build from another machine is incremental
too. Only new and changed reports go through the pipeline (in ``procs`` processes, each copying
its passages over its own connection); unchanged reports keep their rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from indexer import incremental, layout
from indexer.build import (
    BuildFailed,
    BuildReport,
    Timings,
    collect,
    new_report,
    nothing_changed,
    prepare,
    run_jobs,
    up_to_date,
)
from indexer.parallel import ParallelIndexer
from indexer.postgres_store import redacted
from indexer.postgres_store.store import Database, PostgresSink, analyze, purge, resolve_dsn


def build(
    data_dir: Path,
    dsn: str | None = None,
    *,
    full: bool = False,
    on_report: Callable[[str], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    **reading,
) -> BuildReport:
    """Index ``data_dir`` into the database at ``dsn`` (or ``$TOWNSHIP_PG_DSN``), as
    :func:`indexer.build.build` does into a folder; ``reading``: its ``metadata_path``, ``procs``
    and ``max_bytes``."""
    started = time.perf_counter()
    timings = Timings()
    dsn = resolve_dsn(dsn)
    source = prepare(data_dir, PostgresSink.manifest(), timings=timings, **reading)
    with Database.locked(dsn) as database, layout.building():
        with timings.part("plan"):
            previous, reason = database.previous(source.fingerprint, full)
            changes = incremental.classify(source.files, source.ids, previous, source.corrections)
            report = new_report(redacted(dsn), source.skipped, changes, reason)
            if not reason and nothing_changed(changes, previous, source.skipped):
                report = up_to_date(report, previous, timings, started)
                report.generation = f"generation {previous.generation}"
                return report
        generation = database.next_generation()
        update = previous if not reason else None
        sink = PostgresSink(database, generation, update)
        if update:
            with timings.part("reuse"):
                sink.carry([e.old.doc_id for e in changes.entries if e.old is not None], [d.doc_id for d in changes.stale])
        jobs = [("report", e.order, e.file, e.doc_id) for e in changes.entries if update is None or not e.reused]
        if on_plan:
            on_plan(len(jobs))
        indexer = ParallelIndexer(sink.segment_writer, procs=source.procs if len(jobs) > 1 else 1)
        with timings.part("index"):
            collect(changes.entries, update is not None, run_jobs(indexer, source.work, jobs, len(jobs)), report, on_report)
        if not report.documents:
            reasons = "".join(f"\n  {f}: {r}" for f, r in report.skipped)
            raise BuildFailed(f"none of the {len(source.files)} report files in {data_dir} could be indexed:{reasons}")
        report.passages = sum(d.passages for d in report.documents)
        report.chars = sum(d.chars for d in report.documents)
        report.segments = len(indexer.segments)
        with timings.part("publish"):
            report.seconds = time.perf_counter() - started
            manifest = source.manifest(report, data_dir, changes, PostgresSink.manifest())
            manifest["server_version"] = database.execute("SHOW server_version").fetchone()[0]
            sink.commit(indexer.segments, report.documents, manifest)
        report.generation = f"generation {generation}"
        with timings.part("analyze"):
            if update is None or len(jobs) > len(changes.entries) // 10:
                analyze(database)
        with timings.part("purge"):
            purge(database, wait=update is None)
        report.timings = timings
    report.seconds = time.perf_counter() - started
    return report
