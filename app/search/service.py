"""The search service interface: what the routes may ask, in domain terms, with no HTTP and no
engine inside. :class:`app.search.port_service.PortSearchService` implements it over the search
port (:mod:`app.search.port`), whatever engine answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, make_dataclass
from typing import Protocol

from app.search import facets as facet_registry
from app.search.port import SORTS  # noqa: F401  (re-exported: the orders a search takes)
from indexer.contract import SECTIONS  # noqa: F401  (re-exported: the section values)

FACETS = facet_registry.NAMES
COMPARE_BY = facet_registry.COMPARABLE  # the facets whose values /compare puts side by side
COMPARE_VALUES = (2, 6)  # how many values a comparison takes, at least and at most
DEFAULT_TREND_BUCKETS, MAX_TREND_BUCKETS = 100, 1000  # values listed per facet by /api/trends
PLAN, REVIEW = "计划", "总结"  # the sections plan follow-through reads from and looks in
PLAN_ITEM_LEVEL = 3  # numbered headings this deep (1. / (1) …) state plan items themselves


def is_plan_item(section: str, is_heading: bool, level: int) -> bool:
    """Does a passage state something planned: a plan paragraph or a numbered plan item, not a
    heading such as 三、2024年工作计划 or (一)做强特色产业 (those get no follow-up link)."""
    return section == PLAN and (not is_heading or level >= PLAN_ITEM_LEVEL)


class SearchError(Exception):
    """A request the service cannot answer; ``str(error)`` is the reason for the user."""


class SearchTimeout(SearchError):
    pass


class ServiceUnavailable(Exception):
    """No usable index; the message says how to build one."""


def _selected(self, facet: str) -> tuple[str, ...]:
    return getattr(self, facet)


def _has_filters(self) -> bool:
    return any(getattr(self, f) for f in FACETS)


def _filters(self) -> dict[str, tuple[str, ...]]:
    """The selected values of every facet with a selection."""
    return {f: getattr(self, f) for f in FACETS if getattr(self, f)}


# What a search asks: the query, the selected values of every facet of the registry (one
# field each, a tuple of values ORed within the facet), the order and the page.
SearchRequest = make_dataclass(
    "SearchRequest",
    [("q", str, field(default=""))]
    + [(name, tuple, field(default=())) for name in FACETS]
    + [
        ("sort", str, field(default="relevance")),
        ("page", int, field(default=1)),
        ("size", int, field(default=10)),
        ("expand", bool, field(default=True)),  # also search synonyms from data/synonyms.toml
        ("facet_size", int, field(default=100)),  # values listed per facet (selected ones always)
    ],
    frozen=True,
    namespace={"selected": _selected, "has_filters": property(_has_filters), "filters": property(_filters)},
)
SearchRequest.__module__ = __name__


@dataclass
class FacetValue:
    value: str
    count: int
    selected: bool


# A passage as a result: the fields of the registry's HIT_FIELDS that the service makes (those
# read from the record, and the snippet), its place in its report and whether it is a heading.
Hit = make_dataclass(
    "Hit",
    [(f.name, f.annotation) for f in facet_registry.HIT_FIELDS if f.added_by != "app"] + [("ordinal", int), ("is_heading", bool)],
)
Hit.__module__ = __name__
Hit.__doc__ = "A passage as a result; ``snippet`` is HTML (escaped text, matches in <mark>)."


@dataclass
class Alternative:
    """A part of a query that finds something on its own (offered when nothing matches)."""

    q: str
    total: int


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    took_ms: float
    facets: dict[str, list[FacetValue]]
    hits: list[Hit]
    highlight_terms: list[str]  # normalized strings marked in results
    expanded: list[str] = field(default_factory=list)  # synonyms searched as well
    alternatives: list[Alternative] = field(default_factory=list)
    facets_omitted: dict[str, int] = field(default_factory=dict)  # values with hits left out of a facet's list

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.size))


@dataclass
class PassageView:
    passage_id: str
    ordinal: int
    paragraph: int
    heading: str
    heading_path: list[str]
    section: str
    themes: list[str]
    text: str
    is_heading: bool
    level: int
    marked: str = ""  # HTML with the query's matches marked
    matches: int = 0
    about_year: int | None = None


@dataclass
class DocumentView:
    doc_id: str
    source: str
    title: str | None
    township: str | None
    county: str | None
    year: int | None
    year_inferred: bool
    kind: str
    publisher: str | None
    published: str | None
    passages: list[PassageView]
    index_number: str | None = None
    city: str | None = None
    province: str | None = None
    division_code: str | None = None
    period: str = "其他"
    script: str = "zh-Hans"  # of the report text: zh-Hans or zh-Hant (the page sets lang from it)
    evidence: dict[str, str] = field(default_factory=dict)  # how each field was found
    warnings: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)


@dataclass
class CountBucket:
    value: str
    count: int


OTHER = "其他"  # the bucket of /api/trends counting the values after the top N


@dataclass
class TrendBucket(CountBucket):
    other: bool = False  # the 其他 bucket: every value after the top N (kind also has a value 其他)
    values: int = 1  # how many values it counts (the 其他 bucket: all those left out)


@dataclass
class Trends:
    """Hit counts per value of every facet declared with ``trend`` (keyed by facet name): the
    ``buckets`` values with most hits, then one 其他 bucket for the rest when there is a rest."""

    by: dict[str, list[TrendBucket]]


@dataclass
class SimilarPassage:
    passage_id: str
    doc_id: str
    township: str | None
    year: int | None
    heading: str
    text: str
    score: float


@dataclass
class SkippedFile:
    """A file of the data folder the build of the index in use did not index, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class CompareRequest:
    """A comparison: the search (query and filters) asked of each value of one facet."""

    search: SearchRequest
    by: str  # one of COMPARE_BY
    values: tuple[str, ...]  # COMPARE_VALUES[0]..COMPARE_VALUES[1] distinct values, in column order


COMPUTED, NOT_COMPUTED = "computed", "not_computed"  # a comparison column's status: done, or left for lack of time


@dataclass
class CompareColumn:
    value: str
    total: int  # passages of the search with this value
    by_theme: list[CountBucket]  # the rows of the comparison (the selected themes, when some are)
    by_section: list[CountBucket]
    hits: list[Hit]  # its best passages
    theme_hits: dict[str, list[Hit]] = field(default_factory=dict)  # the best passages per theme, when asked (and time allowed)
    status: str = COMPUTED  # NOT_COMPUTED: the time limit came first (counts 0, no passages)


@dataclass
class Comparison:
    request: CompareRequest
    columns: list[CompareColumn]
    themes: list[str]  # the theme rows, most hits over all columns first


@dataclass
class FollowUpMatch:
    hit: Hit  # a review passage; its snippet marks the words it shares with the plan
    score: float  # the share of the plan's telling words it holds (0–1)


# What became of a plan passage, as FollowUp.status says it.
FOLLOWUP_MESSAGES = {
    "found": "找到对应总结",
    "not_found": "未找到对应总结",
    "no_later_report": "尚无后续年份的总结",
    "no_township": "报告未识别乡镇，无法查找后续报告",
    "not_plan": "这个段落不属于计划部分",
    "unchecked": "本页时间所限，未及核对",  # a township page's item past its time reserve
}


@dataclass
class FollowUp:
    """A plan passage and the passages of the township's later reviews that report on it."""

    plan: Hit
    status: str  # a key of FOLLOWUP_MESSAGES
    planned_year: int | None  # the year the plan is for (about_year, else the report's year)
    threshold: float  # the least score a match has
    matches: list[FollowUpMatch] = field(default_factory=list)
    followed_year: int | None = None  # the year the matched review passages report on
    best_score: float = 0.0  # the best score of any candidate, matched or not

    @property
    def message(self) -> str:
        return FOLLOWUP_MESSAGES[self.status]


@dataclass
class TownshipReport:
    document: DocumentView  # metadata only
    plans: list[FollowUp]  # its plan items in order, each with what became of it


@dataclass
class TownshipView:
    township: str
    county: str | None
    reports: list[TownshipReport]  # by year, then collection order


class SearchService(Protocol):
    def warm(self) -> None:
        """Load what every query needs, before the first request (the index may not exist yet)."""

    def stats(self) -> tuple[int, int]:
        """(documents, passages) of the index in use; raises ServiceUnavailable."""

    def status(self) -> dict:
        """What /healthz reports about the index in use (generation, built, analysis); raises
        ServiceUnavailable."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def document(self, doc_id: str, q: str = "", expand: bool = True) -> DocumentView | None: ...

    def documents(self) -> list[DocumentView]:
        """Every document's metadata (passages left empty), in collection order."""

    def skipped(self) -> list[SkippedFile]:
        """The files the build of the index in use skipped, with the reason (from its manifest)."""

    def trends(self, request: SearchRequest, buckets: int = DEFAULT_TREND_BUCKETS) -> Trends:
        """Hits by each trend facet's values: the ``buckets`` with most hits (years in order),
        and a 其他 bucket counting the rest."""

    def export(self, request: SearchRequest) -> Iterator[Hit]:
        """Every hit of the request, in its sort order, without pagination."""

    def similar(self, passage_id: str, limit: int = 5) -> list[SimilarPassage] | None: ...

    def suggest(self, prefix: str, limit: int = 10) -> list[str]: ...

    def compare(self, request: CompareRequest, hits: int = 3, theme_hits: int = 0) -> Comparison:
        """The search once per value of ``request.by``: totals, counts per theme and section,
        the best ``hits`` passages, and with ``theme_hits`` the best passages of each theme.
        Bounded by the time limit: a column left for lack of time is ``NOT_COMPUTED``, a theme
        whose passages were left has no entry in ``theme_hits``; never a SearchTimeout."""

    def followup(self, passage_id: str, limit: int | None = None) -> FollowUp | None:
        """What the township's later reviews report on a plan passage; None for an unknown passage."""

    def township(self, name: str) -> TownshipView | None:
        """A township's reports by year and what became of each plan item; None when no report
        is of that township (named in either script)."""
