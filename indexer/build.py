"""Stage 8, build: the reports of a folder into a new index generation, published atomically.

Reports go through the pipeline in ``procs`` processes (:class:`indexer.parallel.ParallelIndexer`),
each writing the passages it makes into its own segments of the sink (Whoosh,
:mod:`indexer.whoosh_store.writer`, which stores the passage records); the main process keeps
the document records in report order as results come back. Memory is bounded by the segment
size, however large the collection.

A build is incremental when the generation in use was built by the same pipeline
(:mod:`indexer.incremental`): only new and changed reports go through the pipeline; the rest
keeps its segments (hard links, with the passages of changed and removed reports marked
deleted) and its document records (copied). When the segments grow too many, a second generation
follows with the smallest merged. The result is the generation a full build would make.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer import contract, domain, incremental, layout, records
from indexer.incremental import Changes, Entry, Previous
from indexer.parallel import ParallelIndexer
from indexer.pipeline import doc_id_for, process
from indexer.read import MAX_FILE_BYTES, KnownFiles, UnreadableReport, discover
from indexer.records import Document, Passage
from indexer.whoosh_store.reader import StoredPassages
from indexer.whoosh_store.writer import WhooshSink, segment_states

SMALL_MERGE = 5_000  # passages: merged by one process


class BuildFailed(Exception):
    """Nothing could be indexed; ``str(error)`` explains why."""


@dataclass
class BuildReport:
    index_dir: Path
    generation: Path | None
    documents: list[Document] = field(default_factory=list)  # every report of the new generation
    skipped: list[tuple[str, str]] = field(default_factory=list)
    passages: int = 0
    chars: int = 0
    seconds: float = 0.0
    mode: str = "full"  # "full", "incremental" or "up to date" (nothing changed, nothing published)
    reason: str = ""  # why the build was full
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    processed: list[Document] = field(default_factory=list)  # the reports this build read
    processed_chars: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per part of the build
    segments: int = 0
    rewritten: int = 0  # passages of unchanged reports indexed again (segments mostly deleted)
    merged: dict | None = None  # the merge that followed the update: segments, passages, seconds, generation

    @property
    def chars_per_second(self) -> float:
        return self.processed_chars / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        """One line: what kind of build it was, and what changed."""
        if self.mode == "up to date":
            return f"index is up to date: nothing added, changed or removed ({self.unchanged} reports unchanged)"
        changes = f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, {self.unchanged} unchanged"
        return f"full build ({self.reason}): {changes}" if self.mode == "full" else f"incremental build: {changes}"


class Timings(dict):
    @contextmanager
    def part(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self[name] = round(self.get(name, 0.0) + time.perf_counter() - started, 3)


def _unique_ids(relatives: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for relative in relatives:
        base = doc_id_for(relative)
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def _overrides_for(overrides: dict[str, dict], relative: str, doc_id: str) -> dict:
    name = relative.rsplit("/", 1)[-1]
    merged: dict = {}
    for key in (name, relative, doc_id):
        merged.update(overrides.get(key, {}))
    return merged


def _reindex(job: tuple) -> tuple[None, list[Passage]]:
    """A merge's job: the stored passages of an existing report, indexed again."""
    return None, job[1]


@dataclass
class Source:
    """A data folder ready to build: its report files (in collection order, with their ids),
    what was skipped, the pipeline fingerprint and the work that turns one report into records."""

    files: list
    skipped: list[tuple[str, str]]
    ids: list[str]
    fingerprint: dict
    work: Callable[[tuple], tuple[tuple, list[Passage]]]
    procs: int
    metadata_file: Path
    corrections: dict[str, str]  # file → fingerprint of the metadata corrections applying to it
    hashed_at: int  # time.time_ns() before the files were hashed (incremental.write_known_files)

    def manifest(self, report: BuildReport, data_dir: Path, changes: Changes, engine: dict) -> dict:
        """What a generation built from this folder records about itself."""
        manifest = manifest_of(report, data_dir, self.fingerprint, failed_files(report, changes), engine)
        # Where the corrections came from (the app writes curators' corrections there).
        manifest.update(metadata=str(self.metadata_file.resolve()), corrections=self.corrections)
        return manifest


def prepare(
    data_dir: Path,
    engine: dict,
    timings: Timings,
    metadata_path: Path | None = None,
    procs: int | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    known: KnownFiles | None = None,
) -> Source:
    """Discover ``data_dir``'s reports (:class:`BuildFailed` when there are none) for a sink whose
    ``manifest()`` is ``engine``; ``known``: the files the build in use hashed, not read again
    while their signature stays (:func:`incremental.known_files`)."""
    if not data_dir.is_dir():
        raise BuildFailed(f"data folder {data_dir} does not exist or is not a folder")
    with timings.part("discover"):
        hashed_at = time.time_ns()
        files, skipped = discover(data_dir, max_bytes, known)
    if not files:
        raise BuildFailed(f"no report files in {data_dir}" + "".join(f"\n  {f}: {r}" for f, r in skipped))
    metadata_file = metadata_path if metadata_path else domain.domain_dir() / "metadata.toml"
    overrides = domain.load_overrides(metadata_file)

    def work(job: tuple) -> tuple[tuple, list[Passage]]:
        """One report through the pipeline (in an indexing process when procs > 1)."""
        _, order, file, doc_id = job
        try:
            processed = process(file, doc_id, order, _overrides_for(overrides, file.relative, doc_id))
        except UnreadableReport as error:
            return (file.relative, None, str(error)), []
        except Exception as error:  # a report must never stop the others
            return (file.relative, None, f"could not be processed ({type(error).__name__}: {error})"), []
        return (file.relative, processed.document, ""), processed.passages

    ids = _unique_ids([f.relative for f in files])
    fingerprint = incremental.pipeline_fingerprint(metadata_file, engine)
    corrections = incremental.correction_fingerprints({f.relative: _overrides_for(overrides, f.relative, i) for f, i in zip(files, ids)})
    return Source(files, skipped, ids, fingerprint, work, procs or min(2, os.cpu_count() or 1), metadata_file, corrections, hashed_at)


def build(
    data_dir: Path,
    index_dir: Path = layout.DEFAULT_INDEX_DIR,
    metadata_path: Path | None = None,
    procs: int | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    on_report: Callable[[str], None] | None = None,
    full: bool = False,
    on_plan: Callable[[int], None] | None = None,
) -> BuildReport:
    """Index ``data_dir`` into a new generation of ``index_dir``: incremental unless ``full``
    or the generation in use was built otherwise. ``on_plan(n)`` learns how many reports go
    through the pipeline, ``on_report(file)`` is called after each.
    (PostgreSQL: :func:`indexer.postgres_store.build.build`.)"""
    started = time.perf_counter()
    timings = Timings()
    source = prepare(data_dir, WhooshSink.manifest(), timings, metadata_path, procs, max_bytes, incremental.known_files(index_dir))
    files, skipped, ids, fingerprint, work, procs = source.files, source.skipped, source.ids, source.fingerprint, source.work, source.procs

    with layout.build_lock(index_dir):
        with timings.part("plan"):
            previous, reason = incremental.previous_generation(index_dir, fingerprint, full)
            changes = incremental.classify(files, ids, previous, source.corrections)
            report = new_report(index_dir, skipped, changes, reason)
            update = None
            if not reason:
                if nothing_changed(changes, previous, skipped):
                    return up_to_date(report, previous, timings, started)
                try:
                    update = _Update(previous, changes)
                except (incremental.Unusable, OSError, ValueError, KeyError) as error:
                    report.mode, report.reason = "full", f"the index in use cannot be updated ({error})"
        if on_plan:
            on_plan(sum(1 for e in changes.entries if update is None or not e.reused))
        workspace = layout.new_workspace(index_dir)
        try:
            try:
                _write(workspace, changes.entries, update, work, procs, report, timings, on_report)
            except (incremental.Unusable, OSError) as error:
                if update is None:
                    raise
                # A file of the generation in use is missing or damaged: build everything.
                update.stored.close()
                update = None
                shutil.rmtree(workspace, ignore_errors=True)
                workspace = layout.new_workspace(index_dir)
                report = new_report(index_dir, skipped, changes, f"the index in use cannot be updated ({type(error).__name__}: {error})")
                _write(workspace, changes.entries, None, work, procs, report, timings, on_report)
            if not report.documents:
                reasons = "".join(f"\n  {f}: {r}" for f, r in report.skipped)
                raise BuildFailed(f"none of the {len(files)} report files in {data_dir} could be indexed:{reasons}")
            with timings.part("records"):
                records.write_jsonl(workspace / "documents.jsonl", report.documents)
                incremental.write_known_files(workspace, files, source.hashed_at)
                report.seconds = time.perf_counter() - started
                manifest = source.manifest(report, data_dir, changes, WhooshSink.manifest())
                (workspace / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
            with timings.part("publish"):
                report.generation = layout.publish(index_dir, workspace)
        except BaseException:
            shutil.rmtree(workspace, ignore_errors=True)
            raise
        finally:
            if update:
                update.stored.close()
        if report.mode == "incremental":
            with timings.part("merge"):
                try:
                    report.merged = _merge(index_dir, report.generation, manifest, report.documents, procs)
                except Exception as error:  # the update is published; merging can wait for the next build
                    report.merged = {"error": f"{type(error).__name__}: {error}"}
    report.seconds = time.perf_counter() - started
    return report


def new_report(index_dir: Path | str, skipped: list, changes: Changes, reason: str) -> BuildReport:
    report = BuildReport(index_dir=index_dir, generation=None, skipped=list(skipped), mode="full" if reason else "incremental", reason=reason)
    report.added = [e.file.relative for e in changes.entries if e.status == "added"]
    report.changed = [e.file.relative for e in changes.entries if e.status == "changed"]
    report.removed = list(changes.removed)
    report.unchanged = changes.count("unchanged")
    return report


def up_to_date(report: BuildReport, previous: Previous, timings: Timings, started: float) -> BuildReport:
    report.mode = "up to date"
    report.generation = previous.generation
    report.documents = previous.documents
    report.skipped = previous.skipped
    report.passages = sum(d.passages for d in previous.documents)
    report.chars = sum(d.chars for d in previous.documents)
    report.segments = previous.manifest.get("segments", 0)
    report.timings = timings
    report.seconds = time.perf_counter() - started
    return report


class _Update:
    """What an incremental build reuses of the generation in use: its segments, with the
    passages of stale reports to delete (read back from its stored records to know their
    terms), and the live passages of segments mostly deleted, to index again."""

    def __init__(self, previous: Previous, changes: Changes):
        self.previous = previous
        kept = {e.old.doc_id: e.old.passages for e in changes.entries if e.old is not None}
        stale = {d.doc_id for d in changes.stale}
        self.plans = incremental.plan_segments(previous, segment_states(previous.generation), stale, kept)
        # Deleting passages costs analysing them (for exact statistics); where that is more
        # than what stays, the segment's live passages are indexed again instead.
        self.rewrite = [plan for plan in self.plans if 0 < plan.live < len(plan.delete)]
        self.stored = StoredPassages(previous.generation)

    def carry(self, sink: WhooshSink) -> None:
        """Every segment that keeps live passages, into ``sink``, its stale passages deleted."""
        for plan in self.plans:
            if not plan.live or plan in self.rewrite:
                continue  # nothing left in it, or indexed again: not carried
            docnums = [docnum for docnum, _, _ in plan.delete]
            sink.carry(self.previous.generation, plan.segment_id, zip(docnums, self.stored.passages(plan.segment_id, docnums)))


def _write(
    workspace: Path,
    entries: list[Entry],
    update: _Update | None,
    work: Callable,
    procs: int,
    report: BuildReport,
    timings: Timings,
    on_report: Callable[[str], None] | None,
) -> None:
    """The segments of a new generation; ``report`` gets the documents."""
    sink = WhooshSink(workspace)
    if update:
        with timings.part("reuse"):
            update.carry(sink)
    jobs = [("report", e.order, e.file, e.doc_id) for e in entries if update is None or not e.reused]
    reports = len(jobs)
    if update:
        jobs += [("records", update.stored.passages(plan.segment_id, run)) for plan in update.rewrite for run in plan.live_runs]
        report.rewritten = sum(plan.live for plan in update.rewrite)
    indexer = ParallelIndexer(sink.segment_writer, procs=procs if len(jobs) > 1 else 1)
    with timings.part("index"):
        collect(entries, update is not None, run_jobs(indexer, work, jobs, reports), report, on_report)
        sink.commit(indexer.segments)
    report.passages = sum(d.passages for d in report.documents)
    report.chars = sum(d.chars for d in report.documents)
    report.segments = len(sink.carried) + len(indexer.segments)
    report.timings = timings


def run_jobs(indexer: ParallelIndexer, work: Callable, jobs: list[tuple], reports: int):
    """The results of ``jobs`` in order (``reports`` of them go through the pipeline, the rest are
    records indexed again)."""
    if indexer.procs > 1 and reports:
        # Every stage loads its tables lazily (jieba's part-of-speech tags take a second):
        # load them here once, so the forked indexing processes share them.
        work(jobs[0])
    return indexer.map(lambda job: _reindex(job) if job[0] == "records" else work(job), jobs)


def collect(entries: list[Entry], incremental_build: bool, results, report: BuildReport, on_report: Callable[[str], None] | None) -> None:
    """Every report of the new generation into ``report``, in collection order: unchanged ones
    (incremental builds) from the generation in use, the others from ``results``; then waits for
    the indexing processes to hand over their segments (the sink stores the passages)."""
    for entry in entries:
        if incremental_build and entry.reused:
            if entry.old is None:
                report.skipped.append((entry.file.relative, entry.failure))
            else:
                report.documents.append(replace(entry.old, order=entry.order))
            continue
        relative, document, failure = next(results)
        if document is None:
            report.skipped.append((relative, failure))
        else:
            report.documents.append(document)
            report.processed.append(document)
            report.processed_chars += document.chars
        if on_report:
            on_report(relative)
    for _ in results:  # the workers hand over their segments when the jobs run out
        pass


def failed_files(report: BuildReport, changes: Changes) -> list:
    """(file, reason) of the reports that could not be indexed (the manifest's ``failed``)."""
    reasons = dict(report.skipped)
    return [(e.file, reasons[e.file.relative]) for e in changes.entries if e.file.relative in reasons]


def nothing_changed(changes: Changes, previous: Previous, skipped: list) -> bool:
    return changes.none and previous.skipped == skipped + [(e.file.relative, e.failure) for e in changes.entries if e.failure]


def manifest_of(report: BuildReport, data_dir: Path, fingerprint: dict, failed: list, engine: dict) -> dict:
    """What a generation records about itself (``engine``: its sink's ``manifest()``)."""
    return {
        "format_version": contract.FORMAT_VERSION,
        "analysis": contract.analysis_fingerprint(),
        **engine,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "data_dir": str(data_dir.resolve()),
        "documents": len(report.documents),
        "passages": report.passages,
        "chars": report.chars,
        "seconds": round(report.seconds, 3),
        "segments": report.segments,
        "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
        # Reports that could not be indexed, by content: an incremental build skips them again
        # without reading them while they stay the same.
        "failed": [{"file": file.relative, "sha1": file.sha1, "reason": reason} for file, reason in failed],
        "pipeline": fingerprint,
        "build": {
            "mode": report.mode,
            "reason": report.reason,
            "added": len(report.added),
            "changed": len(report.changed),
            "removed": len(report.removed),
            "unchanged": report.unchanged,
            "rewritten": report.rewritten,
            "timings": dict(report.timings),
        },
    }


def _merge(index_dir: Path, generation: Path, manifest: dict, documents: list[Document], procs: int) -> dict | None:
    """When the segments of ``generation`` call for it (:func:`incremental.segments_to_merge`),
    publish a generation with the chosen ones merged: their live passages indexed again into
    new segments, every other file shared. Document records are unchanged (a hard link)."""
    started = time.perf_counter()
    previous = Previous(generation, manifest, documents, {})
    plans = incremental.plan_segments(previous, segment_states(generation), set(), {d.doc_id: d.passages for d in documents})
    merging = incremental.segments_to_merge(plans)
    if not merging:
        return None
    workspace = layout.new_workspace(index_dir)
    stored = StoredPassages(generation)
    try:
        sink = WhooshSink(workspace)
        for plan in plans:
            if plan.live and plan not in merging:
                sink.carry(generation, plan.segment_id)
        jobs = (("records", stored.passages(plan.segment_id, run)) for plan in merging for run in plan.live_runs)
        # A small merge in one process makes one segment (two processes would make two).
        indexer = ParallelIndexer(sink.segment_writer, procs=procs if sum(p.live for p in merging) > SMALL_MERGE else 1)
        for _ in indexer.map(_reindex, jobs):
            pass
        sink.commit(indexer.segments)
        for name in ("documents.jsonl", incremental.FILES):
            os.link(generation / name, workspace / name)
        merged = {
            "segments": len(merging),
            "passages": sum(p.live for p in merging),
            "into": len(indexer.segments),
            "seconds": round(time.perf_counter() - started, 3),
        }
        manifest = {**manifest, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "segments": len(sink.carried) + len(indexer.segments)}
        manifest["build"] = {**manifest["build"], "merged": merged}
        (workspace / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        merged["generation"] = str(layout.publish(index_dir, workspace))
    except BaseException:
        shutil.rmtree(workspace, ignore_errors=True)
        raise
    finally:
        stored.close()
    return merged
