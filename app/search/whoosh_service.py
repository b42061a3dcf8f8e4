"""The Whoosh implementation of :class:`app.search.service.SearchService`.

Whoosh serves as the posting store; query semantics are evaluated here over sets of
document numbers, because they need more than Whoosh's parser gives:

* an unquoted term matches passages that contain it verbatim (a phrase of character bigrams,
  or one unigram) **or** all of its jieba words; verbatim matches rank first;
* ranking is BM25 over jieba words, the heading path weighted above the body, ties broken by
  document order;
* facets are disjunctive: a facet's counts ignore its own selection.

Facet columns live in memory (read once per index generation), so filtering and counting are
set operations. A new generation published by ``python -m indexer build`` is picked up within
a second or two, without a restart; a broken one is ignored and the old one kept.
"""

from __future__ import annotations

import heapq
import json
import threading
import time
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict
from dataclasses import dataclass
from itertools import accumulate, chain, islice
from pathlib import Path
from typing import Iterator, Sequence

from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.filedb.filestore import FileStorage
from whoosh.util.numeric import byte_to_length

from app.search import highlight
from app.search.query import And, Node, Not, Or, ParsedQuery, Term, parse
from app.search.service import (
    FACETS,
    SECTIONS,
    Alternative,
    CountBucket,
    DocumentView,
    FacetValue,
    Hit,
    PassageView,
    SearchRequest,
    SearchResult,
    SearchTimeout,
    ServiceUnavailable,
    SimilarPassage,
    Trends,
)
from indexer import analysis, domain, layout, records
from indexer.records import HEADING_SEPARATOR
from indexer.whoosh_sink import THEME_SEPARATOR

SCORED_FIELDS = ("words", "heading_words", "unigram", "bigram")

HEADING_BOOST = 2.0
CACHE_ENTRIES = 256
CACHE_MAX_DOCS = 50_000
# The cached matches together hold at most this many (document, score) entries: a match of a
# common word holds a set and two dicts over most of the collection (about 100 bytes each).
CACHE_BUDGET = 1_500_000
RELOAD_CHECK_SECONDS = 1.0
USE_MMAP = False


@dataclass
class Match:
    """Passages matched by a query node: their numbers, BM25 scores and verbatim-match counts."""

    docs: set[int]
    scores: dict[int, float]
    exact: dict[int, int]


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise SearchTimeout(f"查询超过时间限制 ({self.seconds:g} 秒)，请使用更具体的词语或加上筛选条件")


class IndexState:
    """One opened index generation: the Whoosh index plus facet columns in memory."""

    def __init__(self, generation: Path):
        self.generation = generation
        self.manifest = layout.read_manifest(generation)
        # Segment files are read, not memory-mapped: every thread's searcher would map them
        # again, and each mapping counts the file's pages in the server's resident memory.
        self.ix = FileStorage(str(generation / "whoosh"), supports_mmap=USE_MMAP).open_index()
        self.documents = {d.doc_id: d for d in records.read_jsonl(generation / "documents.jsonl", records.Document)}
        self.weighting = scoring.BM25F()
        analysis.tokenizer()  # load jieba now rather than in the first search (a second or two)
        self._local = threading.local()
        self._cache: OrderedDict = OrderedDict()
        self._cached_size = 0
        self._cache_lock = threading.Lock()
        with self.ix.reader() as reader:
            self.size = reader.doc_count_all()

            shared: dict = {}  # one object per distinct value: a few thousand, not one per passage
            themes: dict[str, tuple[str, ...]] = {}

            def column(name: str) -> list:
                return [shared.setdefault(v, v) for v in reader.column_reader(name)]

            self.passage_ids = list(reader.column_reader("passage_id"))
            self.doc_ids = column("doc_id")
            self.position = array("q", reader.column_reader("position"))
            self.values = {
                "township": column("township"),
                "year": column("year"),
                "section": column("section"),
                "theme": [themes.setdefault(k, tuple(k.split(THEME_SEPARATOR)) if k else ()) for k in column("theme_key")],
            }
        self.all_docs = frozenset(range(self.size))
        self.docnum = {pid: i for i, pid in enumerate(self.passage_ids)}
        self.inverted: dict[str, dict[str, set[int]]] = {f: {} for f in FACETS}
        for facet in FACETS:
            index = self.inverted[facet]
            multi = facet == "theme"
            for docnum, value in enumerate(self.values[facet]):
                for v in value if multi else (value,):
                    if v:
                        index.setdefault(v, set()).add(docnum)
        # Document numbers in collection order (document, then passage): browsing reads it.
        self.order = sorted(range(self.size), key=self.position.__getitem__)
        by_doc: dict[str, list[int]] = {}
        for docnum in self.order:
            by_doc.setdefault(self.doc_ids[docnum], []).append(docnum)
        self.doc_docnums = by_doc
        self._built: dict = {}
        self._build_lock = threading.Lock()
        # Normalized passage texts by document number: a string found through its rarest
        # bigrams is confirmed by a substring test, which is what "contains" means.
        self.texts: list[str] = [""] * self.size
        with (generation / "passages.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                docnum = self.docnum.get(record["passage_id"])
                if docnum is not None:
                    self.texts[docnum] = analysis.normalize(record["text"])
        # Field lengths by document number (what BM25 reads for every posting).
        self.lengths: dict[str, array] = {field: array("I") for field in SCORED_FIELDS}
        with self.ix.reader() as reader:
            for leaf, _ in reader.leaf_readers():
                for field in SCORED_FIELDS:
                    column = f"_{field}_len"
                    perdoc = leaf._perdoc
                    count = leaf.doc_count_all()
                    values = perdoc.column_reader(column, LENGTHS_COLUMN) if perdoc.has_column(column) else [0] * count
                    self.lengths[field].extend(byte_to_length(b) if b else 0 for b in values)

    # -- per-thread searchers (Whoosh readers are not shared between threads)

    def searcher(self):
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self.ix.searcher(weighting=self.weighting)
            self._local.searcher = searcher
        return searcher

    def blocks(self, field: str, term: str, deadline: "Deadline") -> Iterator[tuple[list[int], Sequence[float]]]:
        """(document numbers, weights) of a term's postings, a block at a time.

        Whoosh's matcher answers posting by posting (a method call and a scorer per posting);
        here each block is decoded at once (one unpickle, ``accumulate`` for the ids)."""
        for leaf, offset in self.searcher().leaf_searchers():
            reader = leaf.reader()
            if (field, term) not in reader:
                continue
            matcher = reader.postings(field, term)
            if not isinstance(matcher, W3LeafMatcher):  # another codec: posting by posting
                ids, weights = [], []
                while matcher.is_active():
                    ids.append(matcher.id() + offset)
                    weights.append(matcher.weight())
                    matcher.next()
                yield ids, weights
                continue
            while True:
                if matcher._data is None:
                    matcher._read_data()
                deltas, weights, _ = matcher._data
                count = matcher._blocklength
                ids = list(accumulate(deltas, initial=offset))[1:]
                if weights is None:
                    weights = [1.0] * count
                elif isinstance(weights, float):
                    weights = [weights] * count
                yield ids, weights
                deadline.check()
                if matcher._lastblock:
                    break
                matcher._goto(matcher._nextoffset)

    def once(self, key, build):
        """``build()`` computed once per generation, however many requests ask at the same moment
        (a lexicon or a column of norms is seconds of work on a large collection)."""
        value = self._built.get(key)
        if value is None:
            with self._build_lock:
                value = self._built.get(key)
                if value is None:
                    value = self._built[key] = build()
        return value

    def length_norm(self, field: str) -> array:
        """BM25's length normalisation ``K1 * ((1 - B) + B * length / average)`` per passage,
        computed exactly as Whoosh's BM25F scorer computes it per posting."""

        def build() -> array:
            weighting = self.weighting
            K1, B = weighting.K1, weighting._field_B.get(field, weighting.B)
            average = self.searcher().avg_field_length(field) or 1
            return array("d", (K1 * ((1 - B) + B * n / average) for n in self.lengths[field]))

        return self.once(("norm", field), build)

    def cached(self, key, compute):
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute()
        size = _size(value)
        if len(value.docs) <= CACHE_MAX_DOCS and size <= CACHE_BUDGET // 4:
            with self._cache_lock:
                if key not in self._cache:
                    self._cache[key] = value
                    self._cached_size += size
                while len(self._cache) > CACHE_ENTRIES or self._cached_size > CACHE_BUDGET:
                    _, dropped = self._cache.popitem(last=False)
                    self._cached_size -= _size(dropped)
        return value

    def count(self, facet: str, docs) -> Counter:
        """How many of ``docs`` have each value of ``facet`` (unknown values left out)."""
        if docs is self.all_docs:  # browsing everything: counted once per generation
            return Counter(self.once(("all", facet), lambda: self._count(facet, docs)))
        return self._count(facet, docs)

    def _count(self, facet: str, docs) -> Counter:
        column = self.values[facet]
        if facet == "theme":
            counts = Counter(chain.from_iterable(map(column.__getitem__, docs)))
        else:
            counts = Counter(map(column.__getitem__, docs))
        counts.pop("", None)
        return counts

    def year_of(self, docnum: int) -> int:
        year = self.values["year"][docnum]
        return int(year) if year else 0

    def suggestions(self) -> tuple[list[str], list[int]]:
        """Sorted (terms, document frequencies) of the word lexicon, built on first use."""

        def build() -> tuple[list[str], list[int]]:
            terms: list[str] = []
            freqs: list[int] = []
            with self.ix.reader() as reader:
                for raw, info in reader.iter_field("words"):
                    term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                    if len(term) >= 2 and info.doc_frequency() >= 1:
                        terms.append(term)
                        freqs.append(info.doc_frequency())
            return terms, freqs

        return self.once("suggestions", build)


class WhooshSearchService:
    def __init__(self, index_dir: Path, timeout_seconds: float = 5.0):
        self.index_dir = Path(index_dir)
        self.timeout_seconds = timeout_seconds
        self._state: IndexState | None = None
        self._token: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._error: str | None = None

    # -- index lifecycle

    def _current(self) -> IndexState:
        now = time.monotonic()
        if self._state is not None and now - self._checked < RELOAD_CHECK_SECONDS:
            return self._state
        with self._lock:
            self._checked = time.monotonic()
            token = layout.generation_token(self.index_dir)
            if self._state is None or (token and token != self._token):
                try:
                    generation = layout.current_generation(self.index_dir)
                    state = IndexState(generation)
                except layout.IndexMissing as error:
                    self._error = str(error)
                except Exception as error:  # corrupt or half-written: keep serving the old one
                    self._error = f"index at {self.index_dir} cannot be opened ({type(error).__name__}: {error}); {layout.build_hint(self.index_dir)}"
                else:
                    self._state, self._token, self._error = state, token, None
            if self._state is None:
                raise ServiceUnavailable(self._error or f"no index at {self.index_dir}")
            return self._state

    def stats(self) -> tuple[int, int]:
        state = self._current()
        return len(state.documents), state.size

    # -- text matching

    def _exact(self, state: IndexState, text: str, deadline: Deadline) -> Match:
        def compute() -> Match:
            field, grams = analysis.exact_lookup(text)
            if len(grams) == 1:
                # One character, or two: its posting list is the answer, and its BM25 (read in
                # the same pass) ranks a string jieba does not keep as a word (茶, 强村).
                scores = self._bm25(state, field, grams[0], deadline)
                return Match(set(scores), scores, dict.fromkeys(scores, 1))
            # Longer: the passages holding both of its two rarest bigrams, confirmed by a
            # substring test on their normalized text.
            reader = state.searcher().reader()
            frequency = {g: reader.doc_frequency(field, g) for g in dict.fromkeys(grams)}
            rarest = sorted(frequency, key=frequency.__getitem__)[:2]
            if not frequency[rarest[0]]:
                return Match(set(), {}, {})
            candidates = set(chain.from_iterable(ids for ids, _ in state.blocks(field, rarest[0], deadline)))
            if len(rarest) > 1:
                candidates.intersection_update(chain.from_iterable(ids for ids, _ in state.blocks(field, rarest[1], deadline)))
            texts = state.texts
            docs = {d for d in candidates if text in texts[d]}
            return Match(docs, {}, dict.fromkeys(docs, 1))

        return state.cached(("exact", text), compute)

    def _bm25_blocks(self, state: IndexState, field: str, term: str, deadline: Deadline) -> Iterator[tuple[list[int], list[float]]]:
        """BM25 of one term in one field, block by block: (document numbers, scores).

        What Whoosh's BM25F scorer gives posting by posting (same formula and statistics),
        over whole decoded blocks."""
        searcher = state.searcher()
        if (field, term) not in searcher.reader():
            return
        idf = searcher.idf(field, term)
        saturation = state.weighting.K1 + 1
        norm = state.length_norm(field)
        for ids, weights in state.blocks(field, term, deadline):
            yield ids, [idf * ((tf * saturation) / (tf + norm[d])) for d, tf in zip(ids, weights)]

    def _bm25(self, state: IndexState, field: str, term: str, deadline: Deadline) -> dict[int, float]:
        """BM25 of one term in one field, for every passage that has it."""
        scores: dict[int, float] = {}
        for ids, values in self._bm25_blocks(state, field, term, deadline):
            scores.update(zip(ids, values))
        return scores

    def _scores(self, state: IndexState, words: list[str], deadline: Deadline) -> tuple[dict[int, float], list[set[int]]]:
        """BM25 per passage over ``words`` (heading path boosted), and each word's body passages."""
        scores: dict[int, float] = {}
        body_sets: list[set[int]] = []
        for word in words:
            body: set[int] = set()
            for field, weight in (("words", 1.0), ("heading_words", HEADING_BOOST)):
                get = scores.get
                for ids, values in self._bm25_blocks(state, field, word, deadline):
                    for docnum, score in zip(ids, values):
                        scores[docnum] = get(docnum, 0.0) + weight * score
                    if field != "heading_words":
                        body.update(ids)
            body_sets.append(body)
        return scores, body_sets

    def _term(self, state: IndexState, term: Term, deadline: Deadline) -> Match:
        def compute() -> Match:
            exact = self._exact(state, term.text, deadline)
            words = list(dict.fromkeys(analysis.query_words(term.text)))
            scores, body_sets = self._scores(state, words, deadline)
            if exact.scores:  # n-gram BM25 of a one- or two-character string
                get = scores.get
                for docnum, score in exact.scores.items():
                    scores[docnum] = get(docnum, 0.0) + score
            docs = exact.docs
            # Words found separately count as a match only for several real words (光伏 项目),
            # not for fragments such as 1 + 3 + n or single characters.
            if not term.exact and len(words) > 1 and all(len(w) >= 2 for w in words) and all(body_sets):
                docs = docs | set.intersection(*body_sets)
            # ``scores`` may hold passages outside ``docs`` (a word alone): only looked up, never listed.
            return Match(docs, scores, exact.exact)

        return state.cached(("term", term.text, term.exact), compute)

    def _evaluate(self, state: IndexState, node: Node, deadline: Deadline, synonyms: dict[str, tuple[str, ...]]) -> Match:
        if isinstance(node, Term):
            match = self._term(state, node, deadline)
            if node.exact or node.text not in synonyms:
                return match
            alternatives = [match] + [self._term(state, Term(s), deadline) for s in synonyms[node.text] if s != node.text]
            return _union(alternatives)
        if isinstance(node, Not):
            inner = self._evaluate(state, node.child, deadline, synonyms)
            return Match(set(state.all_docs - inner.docs), {}, {})
        if isinstance(node, Or):
            return _union([self._evaluate(state, c, deadline, synonyms) for c in node.children])
        positives = [c for c in node.children if not isinstance(c, Not)]
        negatives = [c.child for c in node.children if isinstance(c, Not)]
        parts = [self._evaluate(state, c, deadline, synonyms) for c in positives]
        if parts:
            parts.sort(key=lambda m: len(m.docs))
            docs = set(parts[0].docs).intersection(*(p.docs for p in parts[1:]))
        else:
            docs = set(state.all_docs)
        for negative in negatives:
            # Exclusion removes every passage containing the string, whatever the words.
            excluded = self._evaluate(state, _exact_only(negative), deadline, {})
            docs -= excluded.docs
        if len(parts) == 1:
            return Match(docs, parts[0].scores, parts[0].exact)
        scores = {d: sum(p.scores.get(d, 0.0) for p in parts) for d in docs}
        exact = {d: sum(p.exact.get(d, 0) for p in parts) for d in docs}
        return Match(docs, scores, exact)

    # -- search

    def _synonyms(self, parsed: ParsedQuery, expand: bool) -> tuple[dict[str, tuple[str, ...]], list[str]]:
        if not expand:
            return {}, []
        groups = domain.load_synonyms()
        table: dict[str, tuple[str, ...]] = {}
        expanded: list[str] = []
        for term in parsed.terms:
            if term.exact:
                continue
            for group in groups:
                if term.text in group:
                    table[term.text] = group
                    expanded += [s for s in group if s != term.text and s not in expanded]
        return table, expanded

    def _match(self, state: IndexState, parsed: ParsedQuery, expand: bool, deadline: Deadline) -> tuple[Match | None, list[str]]:
        synonyms, expanded = self._synonyms(parsed, expand)
        if parsed.root is None:
            return None, expanded
        return self._evaluate(state, parsed.root, deadline, synonyms), expanded

    def _filter_sets(self, state: IndexState, request: SearchRequest) -> dict[str, set[int]]:
        sets = {}
        for facet in FACETS:
            selected = request.selected(facet)
            if selected:
                sets[facet] = set().union(*(state.inverted[facet].get(v, set()) for v in selected))
        return sets

    def _facets(self, state: IndexState, request: SearchRequest, base: set[int] | frozenset, filters: dict[str, set[int]]) -> dict[str, list[FacetValue]]:
        facets: dict[str, list[FacetValue]] = {}
        for facet in FACETS:
            docs = base
            for other, docset in filters.items():
                if other != facet:
                    docs = docs & docset if len(docs) > len(docset) else docset & docs
            counts = state.count(facet, docs)
            selected = request.selected(facet)
            for value in selected:
                counts.setdefault(value, 0)
            order = sorted(counts.items(), key=lambda kv: (-kv[1], _value_order(facet, kv[0])))
            facets[facet] = [FacetValue(value=v, count=c, selected=v in selected) for v, c in order]
        return facets

    def _result_docs(self, state: IndexState, request: SearchRequest, deadline: Deadline):
        parsed = parse(request.q)
        match, expanded = self._match(state, parsed, request.expand, deadline)
        base = match.docs if match is not None else state.all_docs
        filters = self._filter_sets(state, request)
        docs = base
        for docset in sorted(filters.values(), key=len):
            docs = docs & docset
        return parsed, match, expanded, base, filters, docs

    def _order_key(self, state: IndexState, request: SearchRequest, match: Match | None):
        position = state.position
        if request.sort == "document" or (match is None and request.sort == "relevance"):
            return position.__getitem__
        exact = match.exact if match is not None else {}
        scores = match.scores if match is not None else {}
        if request.sort == "relevance":
            return lambda d: (-exact.get(d, 0), -scores.get(d, 0.0), position[d])
        sign = -1 if request.sort == "year_desc" else 1
        year_of = state.year_of
        # Unknown years go last either way.
        return lambda d: (year_of(d) == 0, sign * year_of(d), -exact.get(d, 0), -scores.get(d, 0.0), position[d])

    def _ranked(self, state: IndexState, request: SearchRequest, match: Match | None, docs, count: int) -> list[int]:
        """The first ``count`` of ``docs`` in the request's order (what a page needs), computed
        with as little per-passage Python as the order allows."""
        count = min(count, len(docs))
        if request.sort == "document" or (match is None and request.sort == "relevance"):
            # Walk the collection order while that is cheaper than sorting the matches.
            if count * state.size < len(docs) ** 2:
                return list(islice((d for d in state.order if d in docs), count))
            return heapq.nsmallest(count, docs, key=state.position.__getitem__)
        if request.sort == "relevance" and match is not None and count < len(docs):
            # One number per passage (verbatim matches first, then BM25), a heap on it, and
            # the full key, ties in document order, only among those that reach the cut.
            exact, scores = match.exact.get, match.scores.get
            value = {d: exact(d, 0) * 1e6 + scores(d, 0.0) for d in docs}  # BM25 sums stay far below 1e6
            cut = value[heapq.nlargest(count, value, key=value.__getitem__)[-1]]
            reaching = [d for d, v in value.items() if v >= cut]
            return sorted(reaching, key=lambda d: (-value[d], state.position[d]))[:count]
        return heapq.nsmallest(count, docs, key=self._order_key(state, request, match))

    def _highlight_terms(self, parsed: ParsedQuery, expanded: list[str]) -> list[str]:
        needles: list[str] = []
        for term in parsed.terms:
            needles.append(term.text)
            if not term.exact:
                needles += [w for w in analysis.query_words(term.text) if len(w) >= 2]
        needles += expanded
        return list(dict.fromkeys(n for n in needles if n.strip()))

    def _hit(self, state: IndexState, docnum: int, needles: list[str], with_snippet: bool = True) -> Hit:
        fields = state.searcher().stored_fields(docnum)
        text = fields["text"]
        spans = highlight.find_spans(text, needles) if needles else []
        return Hit(
            doc_id=fields["doc_id"],
            passage_id=fields["passage_id"],
            ordinal=fields["ordinal"],
            township=fields.get("township") or None,
            county=fields.get("county") or None,
            year=int(fields["year"]) if fields.get("year") else None,
            section=fields["section"],
            heading=HEADING_SEPARATOR.join(fields.get("heading_path") or []),
            themes=[t for t in (fields.get("theme") or "").split(",") if t],
            text=text,
            snippet=highlight.snippet(text, spans) if with_snippet else "",
            is_heading=bool(fields.get("is_heading")),
        )

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        state = self._current()  # may open a new generation: not part of the query's time
        deadline = Deadline(self.timeout_seconds)
        parsed, match, expanded, base, filters, docs = self._result_docs(state, request, deadline)
        facets = self._facets(state, request, base, filters)
        deadline.check()
        first = (request.page - 1) * request.size
        page_docs = self._ranked(state, request, match, docs, first + request.size)[first:] if first < len(docs) else []
        needles = self._highlight_terms(parsed, expanded)
        hits = [self._hit(state, d, needles) for d in page_docs]
        alternatives: list[Alternative] = []
        if not docs and len(parsed.terms) > 1:
            alternatives = self._alternatives(state, request, parsed, deadline)
        took = (time.perf_counter() - started) * 1000
        return SearchResult(
            request=request,
            total=len(docs),
            took_ms=round(took, 2),
            facets=facets,
            hits=hits,
            highlight_terms=needles,
            expanded=expanded,
            alternatives=alternatives,
        )

    def _alternatives(self, state: IndexState, request: SearchRequest, parsed: ParsedQuery, deadline: Deadline) -> list[Alternative]:
        """When the terms never occur together, how many each finds alone (with the filters)."""
        filters = self._filter_sets(state, request)
        found = []
        for term in parsed.terms:
            docs = set(self._term(state, term, deadline).docs)
            for docset in filters.values():
                docs &= docset
            if docs:
                found.append(Alternative(q=f'"{term.original}"' if term.exact else term.original, total=len(docs)))
        return found

    # -- documents

    def documents(self) -> list[DocumentView]:
        state = self._current()
        return [_document_view(d, []) for d in sorted(state.documents.values(), key=lambda d: d.order)]

    def document(self, doc_id: str, q: str = "", expand: bool = True) -> DocumentView | None:
        state = self._current()
        record = state.documents.get(doc_id)
        if record is None:
            return None
        parsed = parse(q)
        _, expanded = self._synonyms(parsed, expand)
        needles = self._highlight_terms(parsed, expanded)
        searcher = state.searcher()
        passages = []
        for docnum in state.doc_docnums.get(doc_id, []):
            fields = searcher.stored_fields(docnum)
            text = fields["text"]
            spans = highlight.find_spans(text, needles) if needles else []
            heading_path = fields.get("heading_path") or []
            passages.append(
                PassageView(
                    passage_id=fields["passage_id"],
                    ordinal=fields["ordinal"],
                    paragraph=fields["paragraph"],
                    heading=HEADING_SEPARATOR.join(heading_path),
                    heading_path=heading_path,
                    section=fields["section"],
                    themes=[t for t in (fields.get("theme") or "").split(",") if t],
                    text=text,
                    is_heading=bool(fields.get("is_heading")),
                    level=fields["level"],
                    marked=highlight.mark(text, spans),
                    matches=len(spans),
                )
            )
        return _document_view(record, passages)

    # -- research features

    def trends(self, request: SearchRequest) -> Trends:
        state = self._current()  # may open a new generation: not part of the query's time
        deadline = Deadline(self.timeout_seconds)
        docs = self._result_docs(state, request, deadline)[-1]

        def by_count(facet: str) -> list[CountBucket]:
            return [CountBucket(v, c) for v, c in sorted(state.count(facet, docs).items(), key=lambda kv: (-kv[1], kv[0]))]

        return Trends(
            by_year=[CountBucket(v, c) for v, c in sorted(state.count("year", docs).items())],
            by_township=by_count("township"),
            by_theme=by_count("theme"),
        )

    def export(self, request: SearchRequest) -> Iterator[Hit]:
        # Not a generator: whatever can fail (no index, the time limit) fails here, before a
        # streamed response has started and could only be cut off; the iterator just reads.
        state = self._current()  # may open a new generation: not part of the query's time
        deadline = Deadline(self.timeout_seconds)
        parsed, match, expanded, _, _, docs = self._result_docs(state, request, deadline)
        ordered = sorted(docs, key=self._order_key(state, request, match))
        return (self._hit(state, docnum, [], with_snippet=False) for docnum in ordered)

    def similar(self, passage_id: str, limit: int = 5) -> list[SimilarPassage] | None:
        state = self._current()
        docnum = state.docnum.get(passage_id)
        if docnum is None:
            return None
        searcher = state.searcher()
        fields = searcher.stored_fields(docnum)
        normalized = analysis.normalize(fields["text"])
        if not normalized.strip():
            return []
        own_doc = fields["doc_id"]
        found: list[SimilarPassage] = []
        # more_like cannot exclude a whole document, so ask for more and drop our own.
        for hit in searcher.more_like(docnum, "words", text=normalized, top=limit * 6, numterms=12):
            other = hit.fields()
            if other["doc_id"] == own_doc or other.get("is_heading"):
                continue
            found.append(
                SimilarPassage(
                    passage_id=other["passage_id"],
                    doc_id=other["doc_id"],
                    township=other.get("township") or None,
                    year=int(other["year"]) if other.get("year") else None,
                    heading=HEADING_SEPARATOR.join(other.get("heading_path") or []),
                    text=other["text"],
                    score=round(hit.score, 3),
                )
            )
            if len(found) >= limit:
                break
        return found

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        state = self._current()
        folded = analysis.normalize(prefix).strip()
        if not folded:
            return []
        townships = sorted(
            (v for v in state.inverted["township"] if v.startswith(folded)),
            key=lambda v: -len(state.inverted["township"][v]),
        )
        terms, freqs = state.suggestions()
        start = bisect_left(terms, folded)
        candidates = []
        for i in range(start, min(len(terms), start + 5000)):
            if not terms[i].startswith(folded):
                break
            candidates.append((freqs[i], terms[i]))
        ranked = [(t, f) for f, t in heapq.nlargest(limit * 3, candidates) if t != folded]
        # A fragment that almost always occurs inside a longer suggestion (百香 in 百香果) is noise.
        whole = [t for t, f in ranked if not any(u != t and u.startswith(t) and g >= 0.8 * f for u, g in ranked)]
        return list(dict.fromkeys(townships + whole))[:limit]


def _size(match: Match) -> int:
    return len(match.docs) + len(match.scores) + len(match.exact)


def _union(matches: list[Match]) -> Match:
    docs: set[int] = set().union(*(m.docs for m in matches))
    scores: dict[int, float] = {}
    exact: dict[int, int] = {}
    for m in matches:
        for d, s in m.scores.items():
            scores[d] = scores.get(d, 0.0) + s
        for d, e in m.exact.items():
            exact[d] = max(exact.get(d, 0), e)
    return Match(docs, scores, exact)


def _exact_only(node: Node) -> Node:
    """The same node with every term made exact (exclusions remove verbatim occurrences)."""
    if isinstance(node, Term):
        return Term(node.text, exact=True, original=node.original)
    if isinstance(node, Not):
        return Not(_exact_only(node.child))
    if isinstance(node, And):
        return And(tuple(_exact_only(c) for c in node.children))
    return Or(tuple(_exact_only(c) for c in node.children))


def _value_order(facet: str, value: str):
    if facet == "year":
        return -int(value) if value.isdigit() else 0
    if facet == "section":
        return SECTIONS.index(value) if value in SECTIONS else 99
    return value


def _document_view(record: records.Document, passages: list[PassageView]) -> DocumentView:
    return DocumentView(
        doc_id=record.doc_id,
        source=record.source,
        title=record.title,
        township=record.township,
        county=record.county,
        year=record.year,
        year_inferred=record.year_inferred,
        kind=record.kind,
        publisher=record.publisher,
        published=record.published,
        passages=passages,
        index_number=record.index_number,
    )

