"""The search service over a storage port: the one implementation of
:class:`app.search.service.SearchService`, whatever engine holds the index.

A new generation published by ``python -m indexer build`` is picked up within a second or two,
without a restart; a broken one, or one built with another analysis (jieba, its user dictionary,
the normalization table, the index format), is refused with the command that rebuilds it, and
the generation in use, if any, keeps serving.
"""

from __future__ import annotations

import heapq
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import fields, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.search import highlight
from app.search.core import docsets, facet_counts, followup, ranking
from app.search.core.deadline import Deadline
from app.search.core.matching import Synonyms, evaluate, relevance, term_match
from app.search.core.opened import OpenIndex
from app.search.core.port import StorageOpener
from app.search.core.similar import key_terms, similar_docs
from app.search.facets import FACETS, UNKNOWN
from app.search.query import ParsedQuery, parse
from app.search.service import (
    Alternative,
    CompareColumn,
    CompareRequest,
    Comparison,
    CountBucket,
    DocumentView,
    FollowUp,
    FollowUpMatch,
    Hit,
    PassageView,
    SearchRequest,
    SearchResult,
    ServiceUnavailable,
    SimilarPassage,
    SkippedFile,
    TownshipReport,
    TownshipView,
    Trends,
    is_plan_item,
)
from indexer import analysis, contract, domain, layout
from indexer.contract import WORDS
from indexer.records import HEADING_SEPARATOR, Document, Passage

RELOAD_CHECK_SECONDS = 1.0
SUGGESTION_SCAN = 5000  # lexicon entries looked at per prefix


@lru_cache(maxsize=1)
def _analysis_fingerprint() -> dict[str, str]:
    return contract.analysis_fingerprint()


class CoreSearchService:
    def __init__(self, index_dir: Path, open_storage: StorageOpener, timeout_seconds: float = 5.0):
        self.index_dir = Path(index_dir)
        self.open_storage = open_storage
        self.timeout_seconds = timeout_seconds
        self._index: OpenIndex | None = None
        self._token: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._error: str | None = None

    # -- index lifecycle

    def _open(self, generation: Path) -> OpenIndex:
        differences = contract.fingerprint_mismatch(layout.read_manifest(generation).get("analysis"), _analysis_fingerprint())
        if differences:
            raise layout.IndexMissing(
                f"index at {self.index_dir} was built with another analysis ({'; '.join(differences)}): "
                f"query words would not match its words; rebuild it with: python -m indexer build --full --index-dir {self.index_dir}"
            )
        index = OpenIndex(self.open_storage(generation))
        self.warm()  # when not done yet: rather now than in the first search
        return index

    def _current(self) -> OpenIndex:
        now = time.monotonic()
        if self._index is not None and now - self._checked < RELOAD_CHECK_SECONDS:
            return self._index
        with self._lock:
            self._checked = time.monotonic()
            token = layout.generation_token(self.index_dir)
            if self._index is None or (token and token != self._token):
                try:
                    index = self._open(layout.current_generation(self.index_dir))
                except layout.IndexMissing as error:
                    self._error = str(error)
                except Exception as error:  # corrupt or half-written: keep serving the old one
                    self._error = f"index at {self.index_dir} cannot be opened ({type(error).__name__}: {error}); {layout.build_hint(self.index_dir)}"
                else:
                    self._index, self._token, self._error = index, token, None
            if self._index is None:
                raise ServiceUnavailable(self._error or f"no index at {self.index_dir}")
            return self._index

    def warm(self) -> None:
        """Load what every query needs whatever the index (jieba's dictionary: a second or two)."""
        analysis.tokenizer()
        _analysis_fingerprint()

    def stats(self) -> tuple[int, int]:
        index = self._current()
        return len(index.documents), index.count

    def status(self) -> dict:
        index = self._current()
        manifest = index.manifest
        return {
            "documents": len(index.documents),
            "passages": index.count,
            "generation": index.generation.name,
            "built_at": manifest.get("built_at"),
            "engine": f"{manifest.get('engine', '?')} {manifest.get('engine_version', '')}".strip(),
            "analysis": manifest.get("analysis", {}),
            "newer_generation_refused": self._error,
        }

    # -- query

    def _synonyms(self, parsed: ParsedQuery, expand: bool) -> tuple[Synonyms, list[str]]:
        if not expand:
            return {}, []
        table: Synonyms = {}
        expanded: list[str] = []
        for term in parsed.terms:
            if term.exact:
                continue
            for group in domain.load_synonyms():
                if term.text in group:
                    table[term.text] = group
                    expanded += [s for s in group if s != term.text and s not in expanded]
        return table, expanded

    def _answer(self, index: OpenIndex, request: SearchRequest, deadline: Deadline):
        """(parsed query, synonyms, expanded, matched passages, filter sets, the answer)."""
        parsed = parse(request.q)
        synonyms, expanded = self._synonyms(parsed, request.expand)
        base = evaluate(index, parsed.root, deadline, synonyms) if parsed.root is not None else index.all_docs
        sets = facet_counts.filter_sets(index, request.filters)
        docs = facet_counts.narrowed(index, base, sets)
        return parsed, synonyms, expanded, base, sets, docs

    def _ordered(self, index: OpenIndex, request: SearchRequest, parsed: ParsedQuery, synonyms: Synonyms, docs: np.ndarray, deadline: Deadline, count: int | None) -> np.ndarray:
        value = None
        if parsed.root is not None and request.sort != "document":
            scores, verbatim = relevance(index, parsed.root, docs, deadline, synonyms)
            value = ranking.relevance_value(scores, verbatim, index.passage_weights[docs])
        return ranking.ordered(index, request.sort, docs, value, count)

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        index = self._current()  # may open a new generation: not part of the query's time
        deadline = Deadline(self.timeout_seconds)
        parsed, synonyms, expanded, base, sets, docs = self._answer(index, request, deadline)
        facets, omitted = facet_counts.disjunctive(index, request.filters, base, sets, request.facet_size)
        deadline.check()
        first = (request.page - 1) * request.size
        page = self._ordered(index, request, parsed, synonyms, docs, deadline, first + request.size)[first:] if first < len(docs) else []
        needles = self._highlight_terms(parsed, expanded)
        hits = [self._hit(index, int(d), needles) for d in page]
        alternatives: list[Alternative] = []
        if not len(docs) and len(parsed.terms) > 1:
            for term in parsed.terms:
                found = facet_counts.narrowed(index, term_match(index, term, deadline).docs, sets)
                if len(found):
                    alternatives.append(Alternative(q=f'"{term.original}"' if term.exact else term.original, total=len(found)))
        return SearchResult(
            request=request,
            total=len(docs),
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            facets=facets,
            hits=hits,
            highlight_terms=needles,
            expanded=expanded,
            alternatives=alternatives,
            facets_omitted=omitted,
        )

    def _highlight_terms(self, parsed: ParsedQuery, expanded: list[str]) -> list[str]:
        needles: list[str] = []
        for term in parsed.terms:
            needles.append(term.text)
            if not term.exact:
                needles += [w for w in analysis.query_words(term.text) if len(w) >= 2]
        needles += expanded
        return list(dict.fromkeys(n for n in needles if n.strip()))

    def _hit(self, index: OpenIndex, docnum: int, needles: list[str], with_snippet: bool = True) -> Hit:
        passage = index.storage.stored(docnum)
        spans = highlight.find_spans(passage.text, needles) if needles and with_snippet else []
        return Hit(
            doc_id=passage.doc_id,
            passage_id=passage.passage_id,
            ordinal=passage.ordinal,
            township=passage.township or None,
            county=passage.county or None,
            year=passage.year or None,
            section=passage.section,
            heading=HEADING_SEPARATOR.join(passage.heading_path),
            themes=list(passage.themes),
            text=passage.text,
            snippet=highlight.snippet(passage.text, spans) if with_snippet else "",
            is_heading=passage.is_heading,
            city=passage.city or None,
            province=passage.province or None,
            about_year=passage.about_year or passage.year or None,
            kind=passage.kind,
            period=passage.period,
        )

    # -- documents

    def documents(self) -> list[DocumentView]:
        index = self._current()  # made once per generation: a page asks for them on every request
        return index.once("document-views", lambda: [_document_view(d, []) for d in sorted(index.documents.values(), key=lambda d: d.order)])

    def skipped(self) -> list[SkippedFile]:
        listed = self._current().manifest.get("skipped") or []
        return [SkippedFile(str(s.get("file", "")), str(s.get("reason", ""))) for s in listed if isinstance(s, dict)]

    def document(self, doc_id: str, q: str = "", expand: bool = True) -> DocumentView | None:
        index = self._current()
        record = index.documents.get(doc_id)
        if record is None:
            return None
        parsed = parse(q)
        _, expanded = self._synonyms(parsed, expand)
        needles = self._highlight_terms(parsed, expanded)
        passages = [_passage_view(index.storage.stored(int(d)), needles) for d in index.docnums(doc_id)]
        return _document_view(record, passages)

    # -- research features

    def trends(self, request: SearchRequest) -> Trends:
        index = self._current()
        deadline = Deadline(self.timeout_seconds)
        docs = self._answer(index, request, deadline)[-1]
        by = {}
        for facet in FACETS:
            if facet.trend:
                counted = facet_counts.counts(index, facet.name, docs)
                if facet.order == "newest":
                    ordered = sorted(counted.items(), key=lambda kv: (not kv[0].isdigit(), kv[0]))
                else:
                    ordered = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
                by[facet.name] = [CountBucket(v, c) for v, c in ordered]
        return Trends(by=by)

    def export(self, request: SearchRequest) -> Iterator[Hit]:
        # Not a generator: whatever can fail (no index, the time limit) fails here, before a
        # streamed response has started and could only be cut off; the iterator just reads.
        index = self._current()
        deadline = Deadline(self.timeout_seconds)
        parsed, synonyms, _, _, _, docs = self._answer(index, request, deadline)
        ordered = self._ordered(index, request, parsed, synonyms, docs, deadline, None)
        return (self._hit(index, int(d), [], with_snippet=False) for d in ordered)

    def similar(self, passage_id: str, limit: int = 5) -> list[SimilarPassage] | None:
        index = self._current()
        docnum = index.docnum(passage_id)
        if docnum is None:
            return None
        passage = index.storage.stored(docnum)
        terms = key_terms(index, passage.text)
        if not terms:
            return []
        found = []
        for other, score in similar_docs(index, terms, index.docnums(passage.doc_id), limit):
            hit = index.storage.stored(other)
            found.append(
                SimilarPassage(
                    passage_id=hit.passage_id,
                    doc_id=hit.doc_id,
                    township=hit.township or None,
                    year=hit.year or None,
                    heading=HEADING_SEPARATOR.join(hit.heading_path),
                    text=hit.text,
                    score=round(score, 3),
                )
            )
        return found

    def compare(self, request: CompareRequest, hits: int = 3, theme_hits: int = 0) -> Comparison:
        index = self._current()
        deadline = Deadline(self.timeout_seconds)
        search = request.search
        # Each column selects its own value of `by`; themes are the rows, so a theme filter
        # chooses rows: every count is then a search one link reproduces (theme=<row>).
        parsed, synonyms, expanded, _, _, docs = self._answer(index, replace(search, theme=(), **{request.by: ()}), deadline)
        docs = docsets.intersect(docs, index.filter_docs(request.by, request.values), index.size)  # only what some column shows
        # Headings count, but a column's best passages are text first (a bare 二、产业发展 says little).
        value = -ranking.VERBATIM_WEIGHT * 1e3 * index.is_heading[docs]
        if parsed.root is not None and search.sort != "document":
            scores, verbatim = relevance(index, parsed.root, docs, deadline, synonyms)
            value += ranking.relevance_value(scores, verbatim, index.passage_weights[docs])
        needles = self._highlight_terms(parsed, expanded)
        rows = index.filter_docs("theme", search.theme) if search.theme else None

        def best(mask: np.ndarray, count: int) -> list[Hit]:
            chosen = ranking.ordered(index, search.sort, docs[mask], value[mask], count)
            return [self._hit(index, int(d), needles) for d in chosen]

        columns = []
        for column_value in request.values:
            deadline.check()
            in_column = docsets.member(docs, index.filter_docs(request.by, (column_value,)))
            counted = docs[in_column]
            themes = facet_counts.counts(index, "theme", counted)
            if rows is not None:
                in_column &= docsets.member(docs, rows)
                themes = {t: n for t, n in themes.items() if t in search.theme}
            shown = docs[in_column]
            sections = facet_counts.counts(index, "section", shown)
            column = CompareColumn(
                value=column_value,
                total=len(shown),
                by_theme=[CountBucket(t, n) for t, n in sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))],
                by_section=[CountBucket(v.value, v.count) for v in facet_counts.listed("section", list(sections.items()), {}, ()) if v.count],
                hits=best(in_column, hits),
            )
            for theme in themes if theme_hits else ():
                column.theme_hits[theme] = best(in_column & docsets.member(docs, index.filter_docs("theme", (theme,))), theme_hits)
            columns.append(column)
        totals: dict[str, int] = {}
        for column in columns:
            for bucket in column.by_theme:
                totals[bucket.value] = totals.get(bucket.value, 0) + bucket.count
        return Comparison(request, columns, sorted(totals, key=lambda t: (-totals[t], t)))

    def followup(self, passage_id: str, limit: int | None = None) -> FollowUp | None:
        index = self._current()
        docnum = index.docnum(passage_id)
        return None if docnum is None else self._followup(index, docnum, limit)

    def _followup(self, index: OpenIndex, docnum: int, limit: int | None = None) -> FollowUp:
        rules = domain.load_followup()
        outcome = followup.follow(index, docnum, rules, limit or rules.matches)
        return FollowUp(
            plan=self._hit(index, docnum, []),
            status=outcome.status,
            planned_year=outcome.planned_year,
            threshold=rules.threshold,
            matches=[FollowUpMatch(self._hit(index, d, outcome.shared[d]), round(score, 3)) for d, score in outcome.matches],
            followed_year=outcome.followed_year,
            best_score=round(outcome.best, 3),
        )

    def township(self, name: str) -> TownshipView | None:
        index = self._current()
        deadline = Deadline(self.timeout_seconds)
        wanted = analysis.normalize(name.strip())
        records = [d for d in index.documents.values() if d.township and analysis.normalize(d.township) == wanted]
        if not wanted or not records:
            return None
        records.sort(key=lambda d: (d.year is None, d.year or 0, d.order))
        reports = []
        for record in records:
            plans = []
            for docnum in index.docnums(record.doc_id).tolist():
                passage = index.storage.stored(docnum)
                if is_plan_item(passage.section, passage.is_heading, passage.level):
                    deadline.check()
                    plans.append(self._followup(index, docnum))
            reports.append(TownshipReport(_document_view(record, []), plans))
        counties = [r.county for r in records if r.county]
        return TownshipView(records[0].township, max(set(counties), key=counties.count) if counties else None, reports)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        index = self._current()
        folded = analysis.normalize(prefix).strip()
        if not folded:
            return []
        townships = facet_counts.counts(index, "township", index.all_docs)
        named = sorted((v for v in townships if v != UNKNOWN and analysis.normalize(v).startswith(folded)), key=lambda v: -townships[v])
        terms, frequencies = index.once("lexicon", lambda: index.storage.lexicon(WORDS))
        start = bisect_left(terms, folded)
        candidates = []
        for i in range(start, min(len(terms), start + SUGGESTION_SCAN)):
            if not terms[i].startswith(folded):
                break
            if len(terms[i]) >= 2:
                candidates.append((int(frequencies[i]), terms[i]))
        ranked = [(t, f) for f, t in heapq.nlargest(limit * 3, candidates) if t != folded]
        # A fragment that almost always occurs inside a longer suggestion (百香 in 百香果) is noise.
        whole = [t for t, f in ranked if not any(u != t and u.startswith(t) and g >= 0.8 * f for u, g in ranked)]
        return list(dict.fromkeys(named + whole))[:limit]


def _passage_view(passage: Passage, needles: list[str]) -> PassageView:
    spans = highlight.find_spans(passage.text, needles) if needles else []
    return PassageView(
        passage_id=passage.passage_id,
        ordinal=passage.ordinal,
        paragraph=passage.paragraph,
        heading=HEADING_SEPARATOR.join(passage.heading_path),
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
