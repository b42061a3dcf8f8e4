"""The search service interface: what the routes may ask, in domain terms, with no HTTP and no
engine inside. :class:`app.search.core.engine.CoreSearchService` implements it over any
storage port (Whoosh's today).
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import Iterator, Protocol

from app.search import facets as facet_registry
from indexer.contract import SECTIONS  # noqa: F401  (re-exported: the section values)

FACETS = facet_registry.NAMES
SORTS = ("relevance", "year_desc", "year_asc", "document")


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


@dataclass
class Hit:
    doc_id: str
    passage_id: str
    ordinal: int
    township: str | None
    county: str | None
    year: int | None
    section: str
    heading: str
    themes: list[str]
    text: str
    snippet: str  # HTML: escaped text, matches in <mark>
    is_heading: bool = False
    city: str | None = None
    province: str | None = None
    about_year: int | None = None  # the year the passage's section is about
    kind: str = "其他"
    period: str = "其他"


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
    script: str = "zh-Hans"  # zh-Hant: written in traditional characters
    evidence: dict[str, str] = field(default_factory=dict)  # how each field was found
    warnings: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)


@dataclass
class CountBucket:
    value: str
    count: int


@dataclass
class Trends:
    """Hit counts per value of every facet declared with ``trend`` (keyed by facet name)."""

    by: dict[str, list[CountBucket]]


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


class SearchService(Protocol):
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

    def trends(self, request: SearchRequest) -> Trends: ...

    def export(self, request: SearchRequest) -> Iterator[Hit]:
        """Every hit of the request, in its sort order, without pagination."""

    def similar(self, passage_id: str, limit: int = 5) -> list[SimilarPassage] | None: ...

    def suggest(self, prefix: str, limit: int = 10) -> list[str]: ...
