"""Incremental builds: what changed in a data folder since the generation in use, and what of
that generation a new one can reuse. Engine-independent; :mod:`indexer.build` does the writing.

* **When.** A generation records the fingerprint of everything that decides what a report
  becomes (:func:`pipeline_fingerprint`: the analysis, the engine, the reader packages, the
  code of ``indexer/``, ``data/*.toml``, ``data/userdict.txt``). A build is incremental when
  the generation in use has the same one; otherwise it is full, and says why
  (:func:`previous_generation`). The metadata corrections file is compared report by report
  (:func:`correction_fingerprints`): a correction sends only the reports it corrects through
  the pipeline again.
* **What.** A file is unchanged when its place in the folder, its content (SHA-1), its
  document id and its corrections are those of a report of the generation in use (:func:`classify`). Its records
  are copied (``Document.order`` recomputed for the new file list), its passages stay where
  they are in the engine's segments; the passages of changed and removed reports are deleted
  there (:func:`plan_segments`), and new and changed reports are indexed into new segments.
* **Merges.** Every update adds segments; :func:`segments_to_merge` keeps their number bounded
  (tiers of similar size, a tier of ``MERGE_FACTOR`` merged into one; segments half deleted
  rewritten). Merging re-indexes the live passages of the chosen segments, read back from
  the engine's stored records: measured on 1,454 passages, analysing them takes 1.4 s and writing the
  segment 1.8 s, while only decoding every posting list (what merging postings would start
  with, before writing the same segment) takes 0.5 s: too little gain for a second writer.

Costs at 10,000 reports (384,000 passages, measured part by part on the benchmark's corpus):
proportional to the collection, but parsing and analysing no text, about 5 s: hashing the
folder's files (2.3 s), reading ``documents.jsonl`` (0.2 s) and the segments' document
columns (mapped), writing ``documents.jsonl`` (0.3 s) and the generation's merged columns.
Proportional to what changed: the pipeline for new and changed reports, reading and
analysing the deleted passages (0.3 s for 10 reports), merges (after the update is
published). Plus starting a process and loading jieba's tables (2–3 s).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib import metadata as package_metadata
from pathlib import Path

import numpy as np

from indexer import contract, domain, layout, records
from indexer.read import KnownFiles, ReportFile
from indexer.records import Document

# Reader packages: another version may read a report differently.
READER_PACKAGES = ("lxml", "readability-lxml", "python-docx", "pdfminer.six")
CODE_DIRECTORY = Path(__file__).resolve().parent

MERGE_FACTOR = 8  # segments of one size tier merged into one
MERGE_FLOOR = 100  # passages: smaller segments all count as this size
GROWN = 10_000  # passages: a segment this large is merged no more (unless half deleted)
MAX_MERGED = 50_000  # passages: merges never make a larger segment
PURGE_SHARE = 0.5  # a segment with this share of its passages deleted is rewritten


class Unusable(Exception):
    """The generation in use cannot be reused (inconsistent or incomplete); build in full."""


# ---------------------------------------------------------------------------- fingerprint


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _version(package: str) -> str:
    try:
        return package_metadata.version(package)
    except package_metadata.PackageNotFoundError:
        return "absent"


def pipeline_fingerprint(metadata_file: Path | None, engine: dict) -> dict[str, dict[str, str]]:
    """What decides the records and terms a report becomes: ``versions`` (analysis, engine,
    reader packages) and ``files`` (a hash of each source file of the indexer and data file,
    but the corrections file ``metadata_file``: see :func:`correction_fingerprints`)."""
    versions = {**contract.analysis_fingerprint(), **{key: str(value) for key, value in engine.items()}}
    versions.update({package: _version(package) for package in READER_PACKAGES})
    files = {f"indexer/{path.relative_to(CODE_DIRECTORY).as_posix()}": _sha(path) for path in sorted(CODE_DIRECTORY.rglob("*.py"))}
    data = domain.domain_dir()
    corrections = metadata_file.resolve() if metadata_file else None
    for path in sorted(data.glob("*.toml")) + [domain.userdict_path()]:
        if path.is_file() and path.resolve() != corrections:
            files[f"data/{path.name}"] = _sha(path)
    return {"versions": versions, "files": files}


def correction_fingerprints(corrections: dict[str, dict]) -> dict[str, str]:
    """File → a hash of the metadata corrections applying to it, for the files that have some:
    a report whose corrections changed is indexed again, like a report whose text changed."""
    return {
        file: hashlib.sha256(json.dumps(table, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()[:16]
        for file, table in corrections.items()
        if table
    }


def fingerprint_differences(recorded: dict, current: dict) -> list[str]:
    """What differs, in words: ``["jieba 0.42.1 → 0.43", "data/themes.toml changed"]``."""
    out = []
    old_versions, new_versions = recorded.get("versions", {}), current["versions"]
    for key in sorted(old_versions.keys() | new_versions.keys()):
        if old_versions.get(key) != new_versions.get(key):
            out.append(f"{key} {old_versions.get(key, 'unknown')} → {new_versions.get(key, 'none')}")
    old_files, new_files = recorded.get("files", {}), current["files"]
    for key in sorted(old_files.keys() | new_files.keys()):
        if key not in old_files:
            out.append(f"{key} added")
        elif key not in new_files:
            out.append(f"{key} removed")
        elif old_files[key] != new_files[key]:
            out.append(f"{key} changed")
    return out


# ---------------------------------------------------------------------------- the generation in use


@dataclass
class Previous:
    generation: Path | int  # a folder, or a database's generation number
    manifest: dict
    documents: list[Document]  # in the order of documents.jsonl
    failed: dict[str, tuple[str, str]]  # file → (SHA-1, why it could not be indexed)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [(entry["file"], entry["reason"]) for entry in self.manifest.get("skipped", [])]


FILES = "files.json"  # in a generation: the signature and SHA-1 of every report file it was built from
RACY_NS = 2_000_000_000  # a file changed this close to its hashing may change again unseen: hashed again


def known_files(index_dir: Path) -> KnownFiles:
    """What the build of the generation in use hashed (for :func:`indexer.read.discover`),
    less the files changed within ``RACY_NS`` of their hashing: a write in the same tick of the
    file system's clock would leave their signature as it was."""
    try:
        data = json.loads((layout.current_generation(index_dir) / FILES).read_text(encoding="utf-8"))
        settled = int(data["hashed_at"]) - RACY_NS
        return {relative: (tuple(entry[:4]), entry[4]) for relative, entry in data["files"].items() if entry[2] < settled}
    except (layout.IndexMissing, OSError, ValueError, KeyError, TypeError, IndexError):
        return {}


def write_known_files(generation: Path, files: list[ReportFile], hashed_at: int) -> None:
    entries = {f.relative: [*f.signature, f.sha1] for f in files if f.signature}
    (generation / FILES).write_text(json.dumps({"hashed_at": hashed_at, "files": entries}, ensure_ascii=False), encoding="utf-8")


def previous_generation(index_dir: Path, fingerprint: dict, full: bool) -> tuple[Previous | None, str]:
    """The generation in use (None when there is none or it cannot be read) and why this build
    must be full ("" when it can be incremental)."""
    try:
        generation = layout.current_generation(index_dir)
    except layout.IndexMissing:
        return None, "no index yet"
    try:
        manifest = layout.read_manifest(generation)
        documents = list(records.read_jsonl(generation / "documents.jsonl", Document))
        failed = {entry["file"]: (entry["sha1"], entry["reason"]) for entry in manifest.get("failed", [])}
    except (OSError, ValueError, TypeError, KeyError) as error:
        return None, f"the index in use cannot be read ({type(error).__name__}: {error})"
    return Previous(generation, manifest, documents, failed), full_reason(manifest, fingerprint, full)


def full_reason(manifest: dict, fingerprint: dict, full: bool) -> str:
    """Why a build on top of the generation with ``manifest`` must be full ("" when it can be
    incremental)."""
    if full:
        return "--full"
    recorded = manifest.get("pipeline")
    if not recorded:
        return "the index in use does not record how it was built (made by an earlier version)"
    differences = fingerprint_differences(recorded, fingerprint)
    if differences:
        shown = differences[:5] + ([f"{len(differences) - 5} more"] if len(differences) > 5 else [])
        return "changed since the index in use was built: " + ", ".join(shown)
    return ""


# ---------------------------------------------------------------------------- what changed


@dataclass
class Entry:
    """A report file of the new build, in collection order."""

    order: int
    file: ReportFile
    doc_id: str
    status: str  # "added", "changed" or "unchanged"
    old: Document | None = None  # unchanged: the record to reuse
    failure: str | None = None  # unchanged, and could not be indexed last time: why

    @property
    def reused(self) -> bool:
        return self.status == "unchanged"


@dataclass
class Changes:
    entries: list[Entry]
    removed: list[str] = field(default_factory=list)  # files of the generation in use that are gone
    stale: list[Document] = field(default_factory=list)  # reports whose passages must go (changed, removed)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def none(self) -> bool:
        return not self.removed and all(e.reused for e in self.entries)


def classify(files: list[ReportFile], ids: list[str], previous: Previous | None, corrections: dict[str, str] | None = None) -> Changes:
    """``corrections``: :func:`correction_fingerprints` of this build, compared with the ones
    the generation in use recorded."""
    by_source = {d.source: d for d in previous.documents} if previous else {}
    failed = previous.failed if previous else {}
    corrected, recorded = corrections or {}, previous.manifest.get("corrections", {}) if previous else {}
    entries = []
    for order, (file, doc_id) in enumerate(zip(files, ids)):
        old = by_source.get(file.relative)
        same_corrections = corrected.get(file.relative) == recorded.get(file.relative)
        if old is not None and old.sha1 == file.sha1 and old.doc_id == doc_id and same_corrections:
            entries.append(Entry(order, file, doc_id, "unchanged", old=old))
        elif old is None and file.relative in failed and failed[file.relative][0] == file.sha1:
            entries.append(Entry(order, file, doc_id, "unchanged", failure=failed[file.relative][1]))
        elif old is not None or file.relative in failed:
            entries.append(Entry(order, file, doc_id, "changed"))
        else:
            entries.append(Entry(order, file, doc_id, "added"))
    present = {f.relative for f in files}
    kept = {e.old.doc_id for e in entries if e.old is not None}
    return Changes(
        entries=entries,
        removed=[source for source in list(by_source) + list(failed) if source not in present],
        stale=[d for d in (previous.documents if previous else []) if d.doc_id not in kept],
    )


# ---------------------------------------------------------------------------- segments


@dataclass
class SegmentPlan:
    """A segment of the generation in use, and what becomes of it."""

    segment_id: str
    size: int
    deleted: int  # passages deleted before this build
    delete: list[tuple[int, str, int]]  # (document number, doc id, ordinal) to delete now
    live_docs: list[str]  # reports with live passages here after the deletions
    live: int  # live passages after the deletions
    live_runs: list[np.ndarray] = field(default_factory=list)  # their document numbers, a run per report

    @property
    def deleted_after(self) -> int:
        return self.size - self.live


def plan_segments(previous: Previous, states: list, stale: set[str], kept: dict[str, int]) -> list[SegmentPlan]:
    """What to delete in each segment (``states``: the engine's ``SegmentState`` list): the
    live passages of ``stale`` reports; ``kept`` (doc id → passages) must be found live
    exactly once, or :class:`Unusable`."""
    plans = []
    found: dict[str, int] = {}
    for state in states:
        columns = contract.read_segment_columns(previous.generation, state.segment_id)
        if columns.size != state.size:
            raise Unusable(f"segment {state.segment_id} has {state.size} passages, its columns {columns.size}")
        alive = np.ones(columns.size, dtype=np.bool_)
        alive[np.fromiter(state.deleted, dtype=np.int64, count=len(state.deleted))] = False
        is_stale = np.array([doc_id in stale for doc_id in columns.doc_ids] or [False], dtype=np.bool_)
        doomed = alive & is_stale[columns.doc] if columns.size else alive
        remaining = alive & ~doomed
        codes, counts = np.unique(columns.doc[remaining], return_counts=True)
        live_docs = [columns.doc_ids[c] for c in codes.tolist()]
        for doc_id, count in zip(live_docs, counts.tolist()):
            found[doc_id] = found.get(doc_id, 0) + count
        delete = [(d, columns.doc_ids[columns.doc[d]], int(columns.ordinal[d])) for d in np.flatnonzero(doomed).tolist()]
        live = np.flatnonzero(remaining)
        runs = np.split(live, np.flatnonzero(np.diff(columns.doc[live])) + 1) if len(live) else []
        plans.append(SegmentPlan(state.segment_id, state.size, len(state.deleted), delete, live_docs, len(live), runs))
    if found != kept:
        wrong = sorted(doc_id for doc_id in found.keys() | kept.keys() if found.get(doc_id) != kept.get(doc_id))
        raise Unusable(f"the segments do not hold the passages documents.jsonl lists ({', '.join(wrong[:3])} …)")
    return plans


def _tier(live: int) -> int:
    return int(math.log(max(live, MERGE_FLOOR) / MERGE_FLOOR, MERGE_FACTOR))


def segments_to_merge(plans: list[SegmentPlan]) -> list[SegmentPlan]:
    """The segments whose live passages to re-index into new segments: those with half their
    passages deleted, and from any size tier holding ``MERGE_FACTOR`` segments, its smallest
    (up to ``MERGE_FACTOR`` of them, together at most ``MAX_MERGED`` passages). A passage is
    rewritten about once per tier it climbs (log(collection) / log(MERGE_FACTOR) times); the
    count of segments stays below (MERGE_FACTOR - 1) per tier plus one per ``MAX_MERGED`` / 2
    passages of the collection."""
    chosen = [p for p in plans if p.live and p.deleted_after >= PURGE_SHARE * p.size]
    tiers: dict[int, list[SegmentPlan]] = {}
    for plan in plans:
        if 0 < plan.live < GROWN and plan not in chosen:
            tiers.setdefault(_tier(plan.live), []).append(plan)
    for members in tiers.values():
        if len(members) < MERGE_FACTOR:
            continue
        members.sort(key=lambda p: p.live)
        group, total = [], 0
        for plan in members[:MERGE_FACTOR]:
            if total + plan.live > MAX_MERGED:
                break
            group.append(plan)
            total += plan.live
        if len(group) > 1:
            chosen += group
    return chosen
