"""The curation view: every report with the township, county, year and kind the indexer found,
how it found each, what needs a person's eye (warnings first), and the lines of
``data/metadata.toml`` that correct it.

No HTTP and no files: it works on what the search service gives (every document, and the files
the build of the index in use skipped), so the index folder stays read-only for the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.search.service import DocumentView, SkippedFile
from indexer.contract import KINDS, NOT_IN_GAZETTEER, TOWNSHIP_UNKNOWN, YEAR_UNKNOWN
from indexer.domain import override_table, toml_value

# How the list can be ordered (the URL's ``sort``), and what the page calls each order.
SORTS = {
    "warnings": "需核实的优先",
    "township": "乡镇",
    "county": "县",
    "year_desc": "年份新→旧",
    "year_asc": "年份旧→新",
    "kind": "类型",
    "source": "文件名",
}
Sort = Literal[tuple(SORTS)]
DEFAULT_SORT = "warnings"
# The fields a correction offers, in this order (data/metadata.toml accepts more: see its header).
CORRECTED_FIELDS = ("township", "county", "year", "kind", "period")
FIELD_LABELS = {"township": "乡镇", "county": "县", "year": "年份", "kind": "类型", "period": "时段"}


@dataclass
class Review:
    """One report as the curation view shows it."""

    document: DocumentView
    warnings: list[str]  # what a person should check, most important first
    doubtful: frozenset[str]  # the fields those warnings are about
    correction: str  # the table to paste into data/metadata.toml


@dataclass
class Curation:
    reviews: list[Review]
    skipped: list[SkippedFile]
    sort: str

    @property
    def needing_review(self) -> int:
        return sum(1 for r in self.reviews if r.warnings)


def doubts(document: DocumentView) -> tuple[list[str], frozenset[str]]:
    """The warnings of a report (unknown or inferred values, then the indexer's own) and the
    fields they are about."""
    evidence = document.evidence
    warnings: list[str] = []
    fields: set[str] = set()
    if document.township is None:
        warnings.append(f"乡镇未识别 ({evidence.get('township') or 'no township in the text'})")
        fields.add("township")
    elif NOT_IN_GAZETTEER in evidence.get("township", ""):
        warnings.append(f"乡镇{document.township}不在官方区划名录中: 旧名, 还是识别有误? ({evidence['township']})")
        fields.add("township")
    if document.county is None:
        warnings.append(f"县未识别 ({evidence.get('county') or 'no county in the text'})")
        fields.add("county")
    if document.year is None:
        warnings.append(f"年份未识别 ({evidence.get('year') or 'no year in the text'})")
        fields.add("year")
    elif document.year_inferred:
        warnings.append(f"年份{document.year}由上下文推断, 原文未写明 ({evidence.get('year', '')})")
        fields.add("year")
    # The indexer's own warnings (reading, cleaning), less the unknown fields stated above.
    warnings += [w for w in document.warnings if not w.startswith((TOWNSHIP_UNKNOWN, YEAR_UNKNOWN))]
    return warnings, frozenset(fields)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def correction(document: DocumentView, doubtful: frozenset[str]) -> str:
    """The table of ``data/metadata.toml`` correcting ``document``: the doubtful fields as
    assignments holding the current value (pasted unchanged they change nothing, except that an
    inferred year becomes a confirmed one), the others commented out, ready to edit."""
    lines = [f"# {_one_line(document.title)}"] if document.title else []
    if document.corrections:
        lines.append("# 已有更正: 请改 data/metadata.toml 中这份报告原有的表 (a table for it exists already)")
    for name in CORRECTED_FIELDS:
        value = getattr(document, name)
        assignment = f"{name} = {toml_value(value)}"
        if name not in doubtful:
            lines.append(f"# {assignment}")
        elif value is None:
            lines.append(f"{assignment}  # 填写{FIELD_LABELS[name]}")
        else:
            lines.append(f"{assignment}  # 核实: 保留或改正")
    # The file's path in the data folder names it exactly; a name TOML cannot hold (bytes that
    # are not UTF-8) falls back to the doc_id, which data/metadata.toml accepts too.
    readable = document.source.encode("utf-8", "ignore").decode("utf-8") == document.source
    key = document.source if readable else document.doc_id
    return override_table(key, lines)


def _review(document: DocumentView) -> Review:
    warnings, doubtful = doubts(document)
    return Review(document, warnings, doubtful, correction(document, doubtful))


def _ordered(reviews: list[Review], sort: str) -> list[Review]:
    """Stable: equal reports keep the collection order. Unknown values go last either way."""
    if sort == "warnings":
        return sorted(reviews, key=lambda r: -len(r.warnings))
    name, descending = {"year_desc": ("year", True), "year_asc": ("year", False)}.get(sort, (sort, False))

    def value(review: Review):
        found = getattr(review.document, name)
        return KINDS.index(found) if name == "kind" and found in KINDS else found

    known = [r for r in reviews if value(r) not in (None, "")]
    unknown = [r for r in reviews if value(r) in (None, "")]
    return sorted(known, key=value, reverse=descending) + unknown


def review(documents: list[DocumentView], skipped: list[SkippedFile], sort: str = DEFAULT_SORT) -> Curation:
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    return Curation(_ordered([_review(d) for d in documents], sort), list(skipped), sort)
