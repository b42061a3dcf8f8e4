"""The search port: what the search service asks of an engine, and nothing more.

An engine is a sink (``indexer``: it writes a generation) plus what this module declares: an
:class:`Engine` that opens the newest published generation as a :class:`Searcher`. The search
service (:mod:`app.search.port_service`) composes every feature (search, trends, export, compare,
plan follow-through, townships, similar passages, suggestions, curation) from these calls
alone, so pages and API never know which engine runs. ``tests/test_conformance.py`` runs the
same checks against every engine, each built by its own sink from the same reports.

What an engine must honour (the product's contract, engine-independent):

* **Matching** of the query tree (:mod:`app.search.query`), over each passage's normalized text
  (:func:`indexer.normalize.normalize`) and its jieba words (:mod:`indexer.analysis`):
  an unquoted :class:`~app.search.query.Term` matches a passage whose normalized text contains
  ``term.text`` verbatim, *or* (when ``analysis.query_words(term.text)`` gives two or more words,
  each of two characters or more) that holds every one of those words; a quoted term
  (``exact``) only the verbatim ones. :class:`~app.search.query.Not` excludes every passage
  containing the child's strings verbatim (its terms made exact). ``And``/``Or`` as named.
  A term listed in ``Query.synonyms`` matches what any of its group matches (the group's other
  members as unquoted terms). Exact recall: "contains" means contains, for any string of one
  character or more.
* **Filters**: facet name → values (ORed within a facet, facets ANDed), values in either script
  or width (compare them normalized), :data:`app.search.facets.UNKNOWN` selecting passages
  without a value for facets declared ``unknown``. Facets and their semantics come from the
  registry :mod:`app.search.facets`.
* **Relevance** (``sort="relevance"`` with a query): :func:`relevance_value` of the passage's
  BM25 over the same analysis (jieba words of the body, words of the heading path boosted
  :data:`HEADING_BOOST`, and the n-gram of a one- or two-character term) and its verbatim-match
  count, ties broken by collection order (report ``order``, then passage ``ordinal``).
  ``year_desc`` / ``year_asc``: by the report's year (unknown years last), then relevance, then
  collection order. ``document``: collection order. The order is total: paging is stable.
* **Totals and facet counts are exact.** Facet counts are disjunctive by default: a facet's
  counts ignore its own filter and respect every other one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import log
from typing import Protocol

from app.search.query import Node
from indexer.records import Document, Passage

SORTS = ("relevance", "year_desc", "year_asc", "document")

# Relevance, the same for every engine (BM25 parameters as Whoosh's BM25F).
K1 = 1.2
B = 0.75
HEADING_BOOST = 2.0  # a query word in the heading path counts this much more than in the body
VERBATIM_WEIGHT = 1e6  # verbatim matches first: BM25 sums stay far below this
SUBSTANTIAL_CHARS = 40  # a passage shorter than this ranks with its BM25 scaled down in proportion
HEADING_FACTOR = 0.5  # a bare heading ranks below passages saying as much


def idf(passages: int, frequency: int) -> float:
    """The inverse document frequency of a word held by ``frequency`` of ``passages`` live
    passages, as BM25 weighs it (Whoosh's formula); more-like-this weighs key words by it too."""
    return log(passages / (frequency + 1)) + 1


def passage_weight(characters: int, is_heading: bool) -> float:
    """What a passage's BM25 counts for in ranking: 1 for a substantial passage, less for a
    fragment or a bare heading, which BM25's length normalisation would otherwise put first
    merely for being short. ``characters``: the non-space characters of its normalized body
    (the length of its unigram field)."""
    weight = min(1.0, characters / SUBSTANTIAL_CHARS)
    return weight * HEADING_FACTOR if is_heading else weight


def relevance_value(bm25: float, verbatim: int, weight: float = 1.0) -> float:
    """What a passage ranks by: verbatim matches first, then its BM25 scaled by its
    :func:`passage_weight`."""
    return verbatim * VERBATIM_WEIGHT + bm25 * weight


class Deadline(Protocol):
    """The time left to a request; engines call ``check()`` between steps (it raises
    :class:`app.search.service.SearchTimeout`) and may read ``remaining()`` to bound their own
    statements."""

    def check(self) -> None: ...

    def remaining(self) -> float: ...


@dataclass(frozen=True)
class Query:
    """One question to an engine, built apart from running it (as sqlite-utils builds SQL).

    ``limit=None`` asks for every match (export), ``limit=0`` for none (counts only)."""

    root: Node | None = None  # None: every passage
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # term text → its group
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # facet name → values
    sort: str = "relevance"
    offset: int = 0
    limit: int | None = 10
    facets: tuple[str, ...] = ()  # facets to count (registry names)
    facet_limit: int = 100  # values listed per facet; selected values are counted whatever their rank
    disjunctive: bool = True  # False: every facet counted within all filters, its own included (trends)
    exclude_documents: tuple[str, ...] = ()  # doc_ids whose passages never match (follow-through)


@dataclass
class FacetDistribution:
    """One facet's counts over an answer."""

    top: list[tuple[str, int]]  # the ``facet_limit`` values with most passages (ties in the facet's natural order); never 0
    selected: dict[str, int]  # every filtered value of this facet, as the facet lists it (鬆江鎮 → 松江镇), with its count (0 when none)
    omitted: int = 0  # values with passages left out of ``top``
    omitted_passages: int = 0  # what the omitted values count together (a passage with several themes once per theme)


@dataclass
class Answer:
    ids: list[str]  # passage ids of the window, in order
    scores: list[float]  # the ranking value of each (relevance_value; 0.0 when the order is not by relevance)
    total: int  # every passage the query and filters match (exact)
    facets: dict[str, FacetDistribution] = field(default_factory=dict)


@dataclass(frozen=True)
class GenerationInfo:
    """What ``/healthz`` says about the generation a searcher reads."""

    name: str
    engine: str  # "whoosh 2.7.5", "postgres 15.8"
    built_at: str | None
    documents: int
    passages: int
    analysis: dict[str, str]  # the analysis fingerprint recorded at build time
    manifest: dict  # the whole build manifest (skipped files, build summary …)


class Searcher(Protocol):
    """One published generation, opened for reading; thread-safe; answers never change."""

    info: GenerationInfo

    def search(self, query: Query, deadline: Deadline) -> Answer: ...

    def passages(self, ids: Sequence[str]) -> list[Passage | None]:
        """Stored records by passage id, in the order asked (None for an unknown id)."""

    def document_passages(self, doc_id: str) -> list[Passage]:
        """A report's passages in order (empty for an unknown report)."""

    def documents(self) -> list[Document]:
        """Every report's record, in collection order."""

    def document(self, doc_id: str) -> Document | None: ...

    def prefixes(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Words of the index (jieba words of passage bodies, normalized) starting with
        ``prefix``, with the passages holding each, the most frequent first."""

    def word_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        """Live passages holding each word in their body (what more-like-this weighs by)."""

    def more_like_this(
        self,
        terms: Sequence[tuple[str, float]],
        deadline: Deadline,
        limit: int | None = None,
        within: Sequence[str] | None = None,
        exclude_documents: Sequence[str] = (),
        headings: bool = False,
    ) -> list[tuple[str, float]]:
        """(passage id, score) by the sum of ``weight × BM25(word)`` over the body's words, best
        first (ties in collection order), only passages holding one of the words; ``within``
        restricts to those ids (their scores, zero ones included, in the order given, when
        ``limit`` is None); ``headings=False`` leaves bare headings out."""

    def close(self) -> None: ...


class Engine(Protocol):
    """Where generations are published: opens the newest one, and tells cheaply when a newer one
    is there (the service asks about once a second)."""

    name: str  # "whoosh", "postgres"
    # The command that builds (and with --full rebuilds) its generations, for the messages of a
    # server that has none or must refuse one: "python -m indexer build --index-dir index".
    build_command: str

    def current_token(self) -> str | None:
        """Something that changes when a new generation is published (None: none yet)."""

    def open_current(self) -> Searcher:
        """The newest generation; raises :class:`indexer.layout.IndexMissing` (with the command
        that builds one) when there is none or it cannot be used."""
