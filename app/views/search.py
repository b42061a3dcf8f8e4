"""The search page besides its facet boxes and charts: sort and page-size choices, hits with
their links, and the collection shown before anything is searched."""

from __future__ import annotations

from dataclasses import dataclass

from app.search.facets import UNKNOWN
from app.search.service import SORTS, DocumentView, Hit, SearchRequest
from app.urls import DEFAULT, passage_links, search_url

SORT_LABELS = {"relevance": "相关度", "year_desc": "年份新→旧", "year_asc": "年份旧→新", "document": "原文顺序"}
PAGE_SIZES = (10, 20, 50, 100)
EXAMPLES = (
    ("百香果", "一个词"),
    ("光伏 2023", "两个词同时出现"),
    ('"强村公司"', "精确短语"),
    ("光伏 OR 水电", "任一个词"),
    ("信访 -矛盾", "排除一个词"),
    ("两违", "同时搜索同义词"),
)
COLLECTION_ROWS = 60  # townships shown on the home page; a large collection is browsed by facet


def sort_choices(state: SearchRequest) -> list[tuple[str, str, bool]]:
    """(label, URL, current) of every sort."""
    return [(SORT_LABELS[s], search_url(state, sort=s), s == state.sort) for s in SORTS]


def size_choices(state: SearchRequest) -> list[tuple[int, str, bool]]:
    """(page size, URL, current) of every page size offered."""
    return [(n, search_url(state, size=n), n == state.size) for n in PAGE_SIZES]


def linked_hits(hits: list[Hit], state: SearchRequest) -> list[tuple[Hit, str]]:
    """(hit, link to its passage highlighted for the query)."""
    link = passage_links(state.q, state.expand)
    return [(hit, link(hit.doc_id, hit.passage_id)) for hit in hits]


def examples() -> list[tuple[str, str, str]]:
    """(query, what it shows, URL) of the example searches on the home page."""
    return [(q, why, search_url(DEFAULT, q=q)) for q, why in EXAMPLES]


@dataclass
class CollectionRow:
    township: str | None
    url: str  # browse this township's passages
    cells: list[list[DocumentView]]  # the township's documents, one list per year column


@dataclass
class Collection:
    """Documents per township and year, for the page shown before anything is searched."""

    years: list[tuple[int | None, str]]  # (year, URL browsing that year)
    rows: list[CollectionRow]
    documents: list[DocumentView]
    townships: int = 0  # townships in the collection (rows may show only some)


def collection(documents: list[DocumentView], limit: int = COLLECTION_ROWS) -> Collection:
    grouped: dict[tuple[str | None, int | None], list[DocumentView]] = {}
    reports: dict[str | None, int] = {}
    for document in documents:
        grouped.setdefault((document.township, document.year), []).append(document)
        reports[document.township] = reports.get(document.township, 0) + 1
    named = sorted((t for t in reports if t), key=lambda t: (-reports[t], t) if len(reports) > limit else (0, t))[:limit]
    townships = sorted(named) + ([None] if None in reports else [])
    years = sorted({y for t, y in grouped if y and t in townships}, reverse=True)
    years += [None] if any(y is None for t, y in grouped if t in townships) else []
    return Collection(
        years=[(y, search_url(DEFAULT, year=(str(y) if y else UNKNOWN,))) for y in years],
        rows=[CollectionRow(t, search_url(DEFAULT, township=(t or UNKNOWN,)), [grouped.get((t, y), []) for y in years]) for t in townships],
        documents=documents,
        townships=len([t for t in reports if t]),
    )
