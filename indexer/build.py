"""Stage 8, build: every report of a folder through the pipeline into a new index generation.

Reports go through the pipeline in ``procs`` processes (:class:`indexer.parallel.ParallelIndexer`),
each writing the passages it makes into its own segments of the sink (Whoosh,
:mod:`indexer.whoosh_store.writer`); the main process writes the JSON Lines records in report
order as results come back. Memory is bounded by the segment size, however large the collection.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from indexer import contract, domain, layout, records
from indexer.parallel import ParallelIndexer
from indexer.pipeline import doc_id_for, process
from indexer.read import MAX_FILE_BYTES, ReportFile, UnreadableReport, discover
from indexer.records import Document, Passage
from indexer.whoosh_store.writer import WhooshSink


class BuildFailed(Exception):
    """Nothing could be indexed; ``str(error)`` explains why."""


@dataclass
class BuildReport:
    index_dir: Path
    generation: Path | None
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    passages: int = 0
    chars: int = 0
    seconds: float = 0.0

    @property
    def chars_per_second(self) -> float:
        return self.chars / self.seconds if self.seconds else 0.0


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


def build(
    data_dir: Path,
    index_dir: Path = layout.DEFAULT_INDEX_DIR,
    metadata_path: Path | None = None,
    procs: int | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    on_report: Callable[[str], None] | None = None,
) -> BuildReport:
    started = time.perf_counter()
    if not data_dir.is_dir():
        raise BuildFailed(f"data folder {data_dir} does not exist or is not a folder")
    files, skipped = discover(data_dir, max_bytes)
    report = BuildReport(index_dir=index_dir, generation=None, skipped=list(skipped))
    if not files:
        raise BuildFailed(f"no report files in {data_dir}" + "".join(f"\n  {f}: {r}" for f, r in skipped))
    overrides = domain.load_overrides(metadata_path if metadata_path else domain.domain_dir() / "metadata.toml")
    procs = procs or min(2, os.cpu_count() or 1)
    ids = _unique_ids([f.relative for f in files])

    with layout.build_lock(index_dir):
        workspace = layout.new_workspace(index_dir)
        try:
            passages_file = (workspace / "passages.jsonl").open("w", encoding="utf-8")

            def work(job: tuple[int, ReportFile, str]) -> tuple[tuple, list[Passage]]:
                """One report through the pipeline (in an indexing process when procs > 1)."""
                order, file, doc_id = job
                try:
                    processed = process(file, doc_id, order, _overrides_for(overrides, file.relative, doc_id))
                except UnreadableReport as error:
                    return (file.relative, None, str(error)), []
                except Exception as error:  # a report must never stop the others
                    return (file.relative, None, f"could not be processed ({type(error).__name__}: {error})"), []
                lines = "".join(records.to_json(passage) + "\n" for passage in processed.passages)
                return (file.relative, processed.document, lines), processed.passages

            sink = WhooshSink(workspace)
            indexer = ParallelIndexer(sink.segment_writer, procs=procs)
            if indexer.procs > 1:
                # Every stage loads its tables lazily (jieba's part-of-speech tags take a second):
                # load them here once, so the forked indexing processes share them.
                work((0, files[0], ids[0]))
            jobs = ((order, file, doc_id) for order, (file, doc_id) in enumerate(zip(files, ids)))
            with passages_file:
                for relative, document, outcome in indexer.map(work, jobs):  # in report order
                    if document is None:
                        report.skipped.append((relative, outcome))
                    else:
                        report.documents.append(document)
                        report.chars += document.chars
                        passages_file.write(outcome)
                    if on_report:
                        on_report(relative)
            sink.commit(indexer.segments)
            report.passages = indexer.count
            if not report.documents:
                reasons = "".join(f"\n  {f}: {r}" for f, r in report.skipped)
                raise BuildFailed(f"none of the {len(files)} report files in {data_dir} could be indexed:{reasons}")
            records.write_jsonl(workspace / "documents.jsonl", report.documents)
            report.seconds = time.perf_counter() - started
            manifest = {
                "format_version": contract.FORMAT_VERSION,
                "analysis": contract.analysis_fingerprint(),
                **sink.manifest(),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "data_dir": str(data_dir),
                "documents": len(report.documents),
                "passages": report.passages,
                "chars": report.chars,
                "seconds": round(report.seconds, 3),
                "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
            }
            (workspace / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
            report.generation = layout.publish(index_dir, workspace)
        except BaseException:
            shutil.rmtree(workspace, ignore_errors=True)
            raise
    report.seconds = time.perf_counter() - started
    return report
