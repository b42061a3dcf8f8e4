"""One report through every stage: read → clean → structure → metadata → themes → records.

Small composable functions; :func:`process` is what the build and the tests call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer import contract, domain, metadata, themes
from indexer.clean import clean
from indexer.read import ReportFile, SourceText, UnreadableReport, read_report
from indexer.records import Document, Passage, passage_id
from indexer.structure import structure

_UNSAFE_ID = re.compile(r"[^\w\-]+")
EVIDENCE_FIELDS = ("township", "county", "city", "province", "year", "kind", "period")


def doc_id_for(relative: str) -> str:
    """A stable, URL-safe id from the file's place in the data folder (not its metadata)."""
    stem = relative.rsplit(".", 1)[0] if "." in relative.rsplit("/", 1)[-1] else relative
    return _UNSAFE_ID.sub("_", stem).strip("_")[:120] or "report"


@dataclass
class ProcessedReport:
    document: Document
    passages: list[Passage]


def process_text(
    source: SourceText,
    doc_id: str,
    relative: str = "",
    sha1: str = "",
    order: int = 0,
    overrides: dict | None = None,
) -> ProcessedReport:
    cleaned = clean(source.text)
    drafts = structure(cleaned.lines)
    if not drafts:
        raise UnreadableReport("no report text (nothing left after removing web-page leftovers and blank lines)")
    format_metadata = {**cleaned.metadata, **source.metadata}
    meta = metadata.extract(cleaned.lines, drafts, format_metadata)
    corrections = metadata.apply_overrides(meta, overrides or {})
    theme_rules = domain.load_themes()
    passages = [
        Passage(
            passage_id=passage_id(doc_id, ordinal),
            doc_id=doc_id,
            ordinal=ordinal,
            paragraph=draft.paragraph,
            text=draft.text,
            heading_path=draft.heading_path,
            heading_text=draft.heading_text,
            section=draft.section,
            themes=[] if draft.is_heading and draft.level == 0 else themes.assign_themes(draft.text, draft.heading_text, theme_rules),
            is_heading=draft.is_heading,
            level=draft.level,
            township=meta.township,
            county=meta.county,
            year=meta.year,
            about_year=metadata.about_year(draft, meta),
            city=meta.city,
            province=meta.province,
            kind=meta.kind,
            period=meta.period,
        )
        for ordinal, draft in enumerate(drafts)
    ]
    warnings = list(source.warnings) + cleaned.warnings
    if meta.township is None:
        warnings.append(f"{contract.TOWNSHIP_UNKNOWN}({meta.evidence.get('township', contract.NO_OWN_TOWNSHIP)})")
    if meta.year is None:
        warnings.append(f"{contract.YEAR_UNKNOWN}({contract.NO_YEAR})")
    document = Document(
        doc_id=doc_id,
        source=relative,
        title=meta.title,
        township=meta.township,
        county=meta.county,
        year=meta.year,
        year_inferred=meta.year_inferred,
        kind=meta.kind,
        publisher=meta.publisher,
        published=meta.published,
        encoding=source.encoding,
        sha1=sha1,
        chars=sum(len(p.text) for p in passages),
        passages=len(passages),
        order=order,
        index_number=meta.index_number,
        warnings=warnings,
        corrections=corrections,
        city=meta.city,
        province=meta.province,
        division_code=meta.division_code,
        period=meta.period,
        script=meta.script,
        evidence={k: v for k, v in meta.evidence.items() if k in EVIDENCE_FIELDS},
    )
    return ProcessedReport(document=document, passages=passages)


def process(report: ReportFile, doc_id: str, order: int, overrides: dict | None = None) -> ProcessedReport:
    return process_text(read_report(report.path), doc_id, report.relative, report.sha1, order, overrides)
