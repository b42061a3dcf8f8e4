"""The search service interface: what the routes may ask, in domain terms, with no HTTP and no
engine inside. :class:`app.search.whoosh_service.WhooshSearchService` is the one
implementation; another engine (OpenSearch, say) would be a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol

FACETS = ("township", "year", "section", "theme")
SORTS = ("relevance", "year_desc", "year_asc", "document")
SECTIONS = ("总结", "问题", "计划", "建议", "其他")


class SearchError(Exception):
    """A request the service cannot answer; ``str(error)`` is the reason for the user."""


class SearchTimeout(SearchError):
    pass


class ServiceUnavailable(Exception):
    """No usable index; the message says how to build one."""


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    township: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1
    size: int = 10
    expand: bool = True  # also search synonyms from data/synonyms.toml

    def selected(self, facet: str) -> tuple[str, ...]:
        return getattr(self, facet)

    @property
    def has_filters(self) -> bool:
        return any(self.selected(f) for f in FACETS)


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
    script: str = "zh-Hans"  # of the report text: zh-Hans or zh-Hant (the page sets lang from it)


@dataclass
class CountBucket:
    value: str
    count: int


@dataclass
class Trends:
    by_year: list[CountBucket]
    by_township: list[CountBucket]
    by_theme: list[CountBucket]


@dataclass
class SimilarPassage:
    passage_id: str
    doc_id: str
    township: str | None
    year: int | None
    heading: str
    text: str
    score: float


class SearchService(Protocol):
    def stats(self) -> tuple[int, int]:
        """(documents, passages) of the index in use; raises ServiceUnavailable."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def document(self, doc_id: str, q: str = "", expand: bool = True) -> DocumentView | None: ...

    def documents(self) -> list[DocumentView]:
        """Every document's metadata (passages left empty), in collection order."""

    def trends(self, request: SearchRequest) -> Trends: ...

    def export(self, request: SearchRequest) -> Iterator[Hit]:
        """Every hit of the request, in its sort order, without pagination."""

    def similar(self, passage_id: str, limit: int = 5) -> list[SimilarPassage] | None: ...

    def suggest(self, prefix: str, limit: int = 10) -> list[str]: ...
