"""A correction from start to end: checked against the report as the index has it, written
into the metadata file that index was built with, kept in the audit trail, and handed to the
build that publishes it.

The metadata file and the data folder are the ones the generation in use records in its
manifest (``metadata``, ``data_dir``): a correction lands where the next build reads it, never
in a file of the repository the index has nothing to do with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.corrections import audit, metadata_file
from app.corrections.model import FIELDS, Change, Value, changes
from app.corrections.rebuild import Rebuilder
from app.files import file_lock, now_iso
from app.search.service import ServiceUnavailable
from indexer import layout


class CorrectionsUnavailable(Exception):
    """Corrections cannot be written now (no index, or one that does not say how it was built)."""


@dataclass
class Applied:
    doc_id: str
    changes: list[Change]
    metadata: str = ""  # the file written
    table: str = ""  # the key of its table corrected
    build: str = "none"  # "queued": a build publishes it; "none": nothing changed
    at: str = field(default_factory=now_iso)


@dataclass(frozen=True)
class Report:
    """What a correction needs to know of the report (from the search service)."""

    doc_id: str
    source: str
    title: str | None
    values: dict[str, Value]  # township, county, year, kind as the index has them
    year_inferred: bool


class Corrections:
    def __init__(self, index_dir: Path, state_dir: Path, rebuilder: Rebuilder | None = None, manifest: Callable[[], dict] | None = None):
        """``rebuilder`` and ``manifest`` (the manifest of the generation in use) when the app's
        engine is not the index folder's (PostgreSQL)."""
        self.index_dir = index_dir
        self.trail = audit.AuditTrail(state_dir / "corrections.jsonl")
        self.rebuilder = rebuilder or Rebuilder(index_dir, state_dir / "rebuild.json")
        self._manifest = manifest or (lambda: layout.read_manifest(layout.current_generation(self.index_dir)))
        self._lock = state_dir / "corrections.lock"

    def built_with(self) -> tuple[str, Path]:
        """(data folder, metadata file) of the index in use."""
        try:
            manifest = self._manifest()
        except (layout.IndexMissing, ServiceUnavailable, OSError, ValueError) as error:
            raise CorrectionsUnavailable(f"索引不可用, 无法更正 (no usable index: {error})") from None
        if not manifest.get("metadata") or not manifest.get("data_dir"):
            raise CorrectionsUnavailable(
                "索引未记录所用的元数据文件, 请先重建一次索引 (the index in use does not record its metadata file; "
                f"rebuild it once: python -m indexer build --index-dir {self.index_dir})"
            )
        return manifest["data_dir"], Path(manifest["metadata"])

    def apply(self, curator: str, via: str, report: Report, values: dict[str, Value]) -> Applied:
        found = changes(report.values, report.year_inferred, values)
        if not found:
            return Applied(report.doc_id, [])
        data_dir, path = self.built_with()
        applied = Applied(report.doc_id, found, metadata=str(path), build="queued")
        note = f"{curator} {applied.at[:10]}"
        with file_lock(self._lock):  # one writer of the metadata file and the trail at a time
            try:
                applied.table = metadata_file.write(path, report.source, report.doc_id, report.title, found, note)
            except OSError as error:
                raise CorrectionsUnavailable(f"无法写入元数据文件 (cannot write {path}: {error.strerror or error})") from None
            self.trail.append(
                [
                    {
                        "at": applied.at,
                        "curator": curator,
                        "via": via,
                        "doc_id": report.doc_id,
                        "source": report.source,
                        "field": change.field,
                        "before": change.before,
                        "after": change.after,
                        "metadata": str(path),
                        "table": applied.table,
                    }
                    for change in found
                ]
            )
        self.rebuilder.request(data_dir, str(path))
        return applied


def report_of(document) -> Report:
    """The :class:`Report` of a document of the search service (a ``DocumentView``)."""
    return Report(document.doc_id, document.source, document.title, {f: getattr(document, f) for f in FIELDS}, document.year_inferred)
