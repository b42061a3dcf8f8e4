"""The search service over the search port: the one implementation of
:class:`app.search.service.SearchService`, whatever engine answers.

Every feature is composed from :class:`app.search.port.Searcher` calls: search (the query parsed
here, synonyms, highlighting over the original text, the parts of a query that match alone),
trends (facet counts within every filter), compare (a search per column), export (windows of
the order, streamed), similar passages and plan follow-through (key words weighed by
``word_frequencies``, ``more_like_this``), suggestions (``prefixes`` and the township facet) and
the curation view (``documents``). The generation in use is :mod:`app.search.live`'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace

from app.search import highlight
from app.search.deadline import Deadline
from app.search.facets import BY_NAME, FACETS, UNKNOWN, hit_values, value_order
from app.search.followup import Reviews, follow, key_terms, planned_year
from app.search.live import Generation, LiveGeneration, warm
from app.search.port import Answer, Engine, FacetDistribution, GenerationInfo, Query, Searcher
from app.search.query import ParsedQuery, parse
from app.search.service import (
    DEFAULT_TREND_BUCKETS,
    NOT_COMPUTED,
    OTHER,
    Alternative,
    CompareColumn,
    CompareRequest,
    Comparison,
    CountBucket,
    DocumentView,
    FacetValue,
    FollowUp,
    FollowUpMatch,
    Hit,
    PassageView,
    SearchRequest,
    SearchResult,
    SearchTimeout,
    SimilarPassage,
    SkippedFile,
    TownshipReport,
    TownshipView,
    TrendBucket,
    Trends,
    is_plan_item,
)
from indexer import analysis, domain, gazetteer
from indexer.records import Document, Passage

EVERY_VALUE = 2**31 - 1  # a facet_limit listing every value of a facet
EXPORT_WINDOWS = (1_000, 50_000)  # the first window of an export, and the largest (each doubles)
TIME_RESERVE = 0.4  # share of the time limit a township page or a comparison keeps after its last piece of work


@dataclass(frozen=True)
class Question:
    """A search request made ready for the port."""

    parsed: ParsedQuery
    query: Query  # every filter; no window, no facets yet
    needles: list[str]  # the strings highlighting marks
    expanded: list[str]  # synonyms (and other forms of a county's name) searched as well


def question(request: SearchRequest) -> Question:
    parsed = parse(request.q)
    synonyms, expanded = _synonyms(parsed, request.expand)
    query = Query(root=parsed.root, synonyms=synonyms, filters=_filters(request.filters), sort=request.sort, limit=0)
    return Question(parsed, query, _highlight_terms(parsed, expanded), expanded)


class PortSearchService:
    def __init__(self, engine: Engine, timeout_seconds: float = 5.0):
        self.engine = engine
        self.live = LiveGeneration(engine)
        self.timeout_seconds = timeout_seconds

    def _searcher(self) -> Searcher:
        return self.live.current().searcher

    def _deadline(self) -> Deadline:
        return Deadline(self.timeout_seconds)

    # -- the generation in use

    def warm(self) -> None:
        warm()

    def stats(self) -> tuple[int, int]:
        info = self._searcher().info
        return info.documents, info.passages

    def generation_info(self) -> GenerationInfo:
        """What the generation in use records about itself (its build manifest included)."""
        return self._searcher().info

    def status(self) -> dict:
        info = self._searcher().info
        return {
            "documents": info.documents,
            "passages": info.passages,
            "generation": info.name,
            "built_at": info.built_at,
            "engine": info.engine,
            "analysis": info.analysis,
            "newer_generation_refused": self.live.refused,
        }

    # -- query

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        searcher = self._searcher()  # may open a new generation: not part of the query's time
        deadline = self._deadline()
        asked = question(request)
        first = (request.page - 1) * request.size
        answer = searcher.search(
            replace(asked.query, offset=first, limit=request.size, facets=tuple(BY_NAME), facet_limit=request.facet_size), deadline
        )
        hits = [_hit(p, asked.needles) for p in searcher.passages(answer.ids) if p is not None]
        alternatives: list[Alternative] = []
        if not answer.total and len(asked.parsed.terms) > 1:
            for term in asked.parsed.terms:
                found = searcher.search(Query(root=term, filters=asked.query.filters, limit=0), deadline).total
                if found:
                    alternatives.append(Alternative(q=f'"{term.original}"' if term.exact else term.original, total=found))
        return SearchResult(
            request=request,
            total=answer.total,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            facets={name: _listed(name, distribution) for name, distribution in answer.facets.items()},
            hits=hits,
            highlight_terms=asked.needles,
            expanded=asked.expanded,
            alternatives=alternatives,
            facets_omitted={name: d.omitted for name, d in answer.facets.items() if d.omitted},
        )

    # -- documents

    def documents(self) -> list[DocumentView]:
        generation = self.live.current()  # made once per generation: a page asks for them on every request
        return generation.derived("document views", lambda: [_document_view(d, []) for d in generation.searcher.documents()])

    def skipped(self) -> list[SkippedFile]:
        listed = self._searcher().info.manifest.get("skipped") or []
        return [SkippedFile(str(s.get("file", "")), str(s.get("reason", ""))) for s in listed if isinstance(s, dict)]

    def document(self, doc_id: str, q: str = "", expand: bool = True) -> DocumentView | None:
        searcher = self._searcher()
        record = searcher.document(doc_id)
        if record is None:
            return None
        needles = question(SearchRequest(q=q, expand=expand)).needles
        return _document_view(record, [_passage_view(p, needles) for p in searcher.document_passages(doc_id)])

    # -- research features

    def trends(self, request: SearchRequest, buckets: int = DEFAULT_TREND_BUCKETS) -> Trends:
        searcher = self._searcher()
        names = tuple(f.name for f in FACETS if f.trend)
        answer = searcher.search(replace(question(request).query, facets=names, facet_limit=buckets, disjunctive=False), self._deadline())
        return Trends(by={name: _trend(name, answer.facets[name]) for name in names})

    def export(self, request: SearchRequest) -> Iterator[Hit]:
        # The first window is asked here: whatever can fail (no index, the time limit) fails
        # before a streamed response has started and could only be cut off.
        searcher = self._searcher()
        query = replace(question(request).query, limit=EXPORT_WINDOWS[0])
        return self._windows(searcher, query, searcher.search(query, self._deadline()))

    def _windows(self, searcher: Searcher, query: Query, answer) -> Iterator[Hit]:
        offset = 0
        while True:
            for passage in searcher.passages(answer.ids):
                if passage is not None:
                    yield _hit(passage, [], with_snippet=False)
            offset += len(answer.ids)
            if not answer.ids or offset >= answer.total:
                return
            query = replace(query, offset=offset, limit=min(EXPORT_WINDOWS[1], 2 * query.limit))
            answer = searcher.search(query, self._deadline())

    def similar(self, passage_id: str, limit: int = 5) -> list[SimilarPassage] | None:
        searcher = self._searcher()
        [passage] = searcher.passages([passage_id])
        if passage is None:
            return None
        terms = key_terms(searcher, passage.text)
        if not terms:
            return []
        found = searcher.more_like_this(terms, self._deadline(), limit=limit, exclude_documents=(passage.doc_id,))
        records = searcher.passages([other for other, _ in found])
        return [
            SimilarPassage(
                passage_id=hit.passage_id,
                doc_id=hit.doc_id,
                township=hit.township or None,
                year=hit.year or None,
                heading=hit.heading,
                text=hit.text,
                score=round(score, 3),
            )
            for hit, (_, score) in zip(records, found)
            if hit is not None
        ]

    def compare(self, request: CompareRequest, hits: int = 3, theme_hits: int = 0) -> Comparison:
        searcher = self._searcher()
        deadline = self._deadline()
        search = request.search
        asked = question(search)
        # Each column selects its own value of `by`; themes are the rows, so a theme filter
        # chooses rows: every count is then a search one link reproduces (theme=<row>).
        common = {name: values for name, values in asked.query.filters.items() if name not in ("theme", request.by)}
        # Work bounded by the time limit, not by the columns (up to six, each a search with its facets
        # and, on the page, the best passages of each theme): past the reserve, a column is
        # listed as not computed (the page links to it) rather than the whole comparison
        # failing with a 503 on a busy server. A column that runs out of time is not computed either.
        reserve = deadline.seconds * TIME_RESERVE
        queries = {value: replace(asked.query, filters={**common, **_filters({request.by: (value,)})}) for value in request.values}
        columns: dict[str, CompareColumn] = {}
        for value, in_column in queries.items():
            if deadline.remaining() > reserve:
                try:
                    columns[value] = _compare_column(searcher, in_column, value, search.theme, hits, asked.needles, deadline)
                except SearchTimeout:
                    pass
        totals: dict[str, int] = {}
        for column in columns.values():
            for bucket in column.by_theme:
                totals[bucket.value] = totals.get(bucket.value, 0) + bucket.count
        themes = sorted(totals, key=lambda t: (-totals[t], t))
        # The best passages of each theme in each column, a row at a time from the top while
        # time is left: a row without them still has its counts (and their links).
        for theme in themes if theme_hits else ():
            if deadline.remaining() <= reserve:
                break
            try:
                for column in columns.values():
                    if any(b.value == theme for b in column.by_theme):
                        within = replace(queries[column.value], filters={**queries[column.value].filters, "theme": (theme,)})
                        column.theme_hits[theme] = [_hit(p, asked.needles) for p in _best_passages(searcher, within, theme_hits, deadline)]
            except SearchTimeout:
                break
        shown = [columns.get(value) or CompareColumn(value, 0, [], [], [], status=NOT_COMPUTED) for value in request.values]
        return Comparison(request, shown, themes)

    def followup(self, passage_id: str, limit: int | None = None) -> FollowUp | None:
        searcher = self._searcher()
        [passage] = searcher.passages([passage_id])
        return None if passage is None else _followup(Reviews(searcher, self._deadline()), passage, limit)

    def township(self, name: str) -> TownshipView | None:
        generation = self.live.current()
        searcher = generation.searcher
        deadline = self._deadline()
        wanted = analysis.normalize(name.strip())
        records = _reports_by_township(generation).get(wanted) if wanted else None
        if not records:
            return None
        reviews = Reviews(searcher, deadline)
        # Work bounded by the time limit, not by the township's plan items (84 at most at 10,000
        # reports): past the reserve, an item is listed unchecked with its own follow-up link,
        # rather than the whole page failing with a 503 on a busy server.
        reserve = deadline.seconds * TIME_RESERVE
        reports = []
        for record in records:
            plans = []
            for passage in searcher.document_passages(record.doc_id):
                if is_plan_item(passage.section, passage.is_heading, passage.level):
                    plans.append(_followup(reviews, passage) if deadline.remaining() > reserve else _unchecked(passage))
            reports.append(TownshipReport(_document_view(record, []), plans))
        counties = [r.county for r in records if r.county]
        return TownshipView(records[0].township, max(set(counties), key=counties.count) if counties else None, reports)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        generation = self.live.current()
        folded = analysis.normalize(prefix).strip()
        if not folded:
            return []
        named = [v for normalized, v in _township_names(generation, self._deadline()) if normalized.startswith(folded)]
        found = generation.searcher.prefixes(folded, limit * 3 + 1)
        ranked = [(t, f) for t, f in found if len(t) >= 2 and t != folded][: limit * 3]
        # A fragment that almost always occurs inside a longer suggestion (百香 in 百香果) is noise.
        whole = [t for t, f in ranked if not any(u != t and u.startswith(t) and g >= 0.8 * f for u, g in ranked)]
        return list(dict.fromkeys(named + whole))[:limit]


# ------------------------------------------------------------------------------ helpers


def _synonyms(parsed: ParsedQuery, expand: bool) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Each unquoted term's group: its synonyms (data/synonyms.toml) and, for a county's name,
    its other forms (芷江县 ↔ 芷江侗族自治县, 芷江自治县); and what is searched besides the terms."""
    if not expand:
        return {}, []
    table: dict[str, tuple[str, ...]] = {}
    expanded: list[str] = []
    for term in parsed.terms:
        if term.exact:
            continue
        group = tuple(dict.fromkeys([s for g in domain.load_synonyms() if term.text in g for s in g] + list(_county_forms(term.text))))
        if len(group) > 1:
            table[term.text] = group
            expanded += [s for s in group if s != term.text and s not in expanded]
    return table, expanded


def _county_forms(name: str) -> tuple[str, ...]:
    """Every way of writing the official counties a name stands for (芷江县 → 芷江侗族自治县,
    芷江县, 芷江自治县); none for a word that is no county's name. Two lookups in a table loaded
    with the service (:func:`app.search.live.warm`)."""
    return tuple(form for official in gazetteer.official_counties(name) for form in gazetteer.county_forms(official))


def _filters(filters: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Filters as the engine's values are written, before they reach it: a county selected in
    its common form (county=芷江县) selects the official name the county field holds
    (芷江侗族自治县); a value the official list does not know (an older name, 未识别) is kept."""
    return {name: tuple(dict.fromkeys(v for value in values for v in BY_NAME[name].as_indexed(value))) for name, values in filters.items()}


def _highlight_terms(parsed: ParsedQuery, expanded: list[str]) -> list[str]:
    needles: list[str] = []
    for term in parsed.terms:
        needles.append(term.text)
        if not term.exact:
            needles += [w for w in analysis.query_words(term.text) if len(w) >= 2]
    needles += expanded
    return list(dict.fromkeys(n for n in needles if n.strip()))


def _listed(name: str, distribution: FacetDistribution) -> list[FacetValue]:
    """The top values by count (then in the facet's natural order), and the selected ones
    wherever they rank (with their count, 0 when none)."""
    facet = BY_NAME[name]
    values = dict(distribution.top)
    for value, count in distribution.selected.items():
        values.setdefault(value, count)
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], value_order(facet, kv[0])))
    return [FacetValue(value=v, count=c, selected=v in distribution.selected) for v, c in ordered]


def _trend(name: str, distribution: FacetDistribution) -> list[TrendBucket]:
    """A facet's top buckets (years in order, others by count) and the 其他 bucket of the rest."""
    if BY_NAME[name].order == "newest":
        ordered = sorted(distribution.top, key=lambda kv: (not kv[0].isdigit(), kv[0]))
    else:
        ordered = sorted(distribution.top, key=lambda kv: (-kv[1], kv[0]))
    buckets = [TrendBucket(v, c) for v, c in ordered]
    if distribution.omitted:
        buckets.append(TrendBucket(OTHER, distribution.omitted_passages, other=True, values=distribution.omitted))
    return buckets


def _hit(passage: Passage, needles: list[str], with_snippet: bool = True) -> Hit:
    spans = highlight.find_spans(passage.text, needles) if needles and with_snippet else []
    snippet = highlight.snippet(passage.text, spans) if with_snippet else ""
    return Hit(**hit_values(passage), snippet=snippet, ordinal=passage.ordinal, is_heading=passage.is_heading)


def _year_key(sort: str):
    """What the order of ``sort`` ranks passages by before their relevance (None: nothing)."""
    if sort == "relevance":
        return lambda passage: None
    sign = -1 if sort == "year_desc" else 1
    return lambda passage: (not passage.year, sign * (passage.year or 0))  # unknown years last


def _compare_column(
    searcher: Searcher, query: Query, value: str, rows: tuple[str, ...], hits: int, needles: list[str], deadline: Deadline
) -> CompareColumn:
    """One column of a comparison: ``query`` (the search with the column's value) counted per
    theme and section, and its best passages; the counts and the first window of the order
    from one search."""
    counts = replace(query, facets=("theme", "section"), facet_limit=EVERY_VALUE, disjunctive=False)
    counted = searcher.search(replace(counts, limit=0 if rows else hits), deadline)
    themes = dict(counted.facets["theme"].top)
    shown_query, shown = query, counted
    if rows:
        themes = {t: n for t, n in themes.items() if t in rows}
        shown_query = replace(query, filters={**query.filters, "theme": rows})
        shown = searcher.search(replace(counts, filters=shown_query.filters, facets=("section",), limit=hits), deadline)
    return CompareColumn(
        value=value,
        total=shown.total,
        by_theme=[CountBucket(t, n) for t, n in sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))],
        by_section=[CountBucket(v, n) for v, n in shown.facets["section"].top],
        hits=[_hit(p, needles) for p in _best_passages(searcher, shown_query, hits, deadline, shown)],
    )


def _best_passages(searcher: Searcher, query: Query, count: int, deadline: Deadline, answer: Answer | None = None) -> list[Passage]:
    """The ``count`` best passages of ``query`` with bare headings after the text passages of
    the same year (of everything, sorting by relevance): a bare 二、产业发展 says little.
    Windows of the order grow until they hold enough text passages (usually the first does;
    ``answer``, when given, is the first)."""
    window = count
    while True:
        if answer is None:
            answer = searcher.search(replace(query, offset=0, limit=window), deadline)
        records = [p for p in searcher.passages(answer.ids) if p is not None]
        chosen = _first(records, query.sort, len(answer.ids) >= answer.total, count)
        if chosen is not None:
            return chosen
        window, answer = 4 * max(window, len(answer.ids)), None


def _first(records: list[Passage], sort: str, complete: bool, count: int) -> list[Passage] | None:
    """The first ``count`` passages :func:`_best_passages` shows of ``records`` (a prefix of an
    order, all of it when ``complete``); None when the prefix is too short to tell."""
    if count <= 0:
        return []
    if sort == "document":
        return records[:count] if complete or len(records) >= count else None
    return _texts_then_headings(records, _year_key(sort), complete, count)


def _texts_then_headings(records: list[Passage], key, complete: bool, count: int) -> list[Passage] | None:
    """The first ``count`` of ``records`` (a prefix of an order by ``key`` first) with headings
    after the texts of their ``key``; None when the prefix is too short to tell."""
    groups: list[list[Passage]] = []
    for passage in records:
        if groups and key(groups[-1][0]) == key(passage):
            groups[-1].append(passage)
        else:
            groups.append([passage])
    out: list[Passage] = []
    for i, group in enumerate(groups):
        out += [p for p in group if not p.is_heading]
        if len(out) >= count:
            return out[:count]
        if i == len(groups) - 1 and not complete:
            return None  # later text passages of this group would come before its headings
        out += [p for p in group if p.is_heading]
        if len(out) >= count:
            return out[:count]
    return out if complete else None  # (no records of a longer order: too short to tell)


def _township_names(generation: Generation, deadline: Deadline) -> list[tuple[str, str]]:
    """(normalized, as listed) of every township, most passages first (once per generation)."""

    def build() -> list[tuple[str, str]]:
        answer = generation.searcher.search(Query(limit=0, facets=("township",), facet_limit=EVERY_VALUE), deadline)
        return [(analysis.normalize(v), v) for v, _ in answer.facets["township"].top if v != UNKNOWN]

    return generation.derived("township names", build)


def _reports_by_township(generation: Generation) -> dict[str, list[Document]]:
    """Each township's reports (by its normalized name: either script, either width), oldest
    first (once per generation: a township page would otherwise normalize every report's name)."""

    def build() -> dict[str, list[Document]]:
        by_name: dict[str, list[Document]] = {}
        for record in generation.searcher.documents():
            if record.township:
                by_name.setdefault(analysis.normalize(record.township), []).append(record)
        for records in by_name.values():
            records.sort(key=lambda d: (d.year is None, d.year or 0, d.order))
        return by_name

    return generation.derived("reports by township", build)


def _unchecked(passage: Passage) -> FollowUp:
    return FollowUp(plan=_hit(passage, []), status="unchecked", planned_year=planned_year(passage), threshold=domain.load_followup().threshold)


def _followup(reviews: Reviews, passage: Passage, limit: int | None = None) -> FollowUp:
    rules = domain.load_followup()
    outcome = follow(reviews, passage, rules, limit or rules.matches)
    return FollowUp(
        plan=_hit(passage, []),
        status=outcome.status,
        planned_year=outcome.planned_year,
        threshold=rules.threshold,
        matches=[FollowUpMatch(_hit(match, outcome.shared[match.passage_id]), round(score, 3)) for match, score in outcome.matches],
        followed_year=outcome.followed_year,
        best_score=round(outcome.best, 3),
    )


def _passage_view(passage: Passage, needles: list[str]) -> PassageView:
    spans = highlight.find_spans(passage.text, needles) if needles else []
    return PassageView(
        passage_id=passage.passage_id,
        ordinal=passage.ordinal,
        paragraph=passage.paragraph,
        heading=passage.heading,
        heading_path=list(passage.heading_path),
        section=passage.section,
        themes=list(passage.themes),
        text=passage.text,
        is_heading=passage.is_heading,
        level=passage.level,
        marked=highlight.mark(passage.text, spans),
        matches=len(spans),
        about_year=passage.about_year or passage.year,
    )


_DOCUMENT_VIEW_FIELDS = tuple(f.name for f in fields(DocumentView) if f.name != "passages")


def _document_view(record: Document, passages: list[PassageView]) -> DocumentView:
    """A report's record as the service shows it (the view's fields are the record's)."""
    return DocumentView(passages=passages, **{name: getattr(record, name) for name in _DOCUMENT_VIEW_FIELDS})
