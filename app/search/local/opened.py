"""One index generation opened for searching: its storage plus what the local searcher derives
from it once (collection order, facet columns, BM25 norms) and the term cache every query shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from app.search.caches import ByteBoundedCache, DerivedOnce
from app.search.facets import FACETS, UNKNOWN, Facet, value_order
from app.search.local import docsets, ranking, scoring
from app.search.local.coded import CodedColumn
from app.search.local.storage import Storage
from app.search.port import SUBSTANTIAL_CHARS
from indexer.contract import TEXT_FIELDS, UNIGRAM, release
from indexer.normalize import normalize
from indexer.records import Document, passage_id, split_passage_id

DEFAULT_CACHE_BYTES = 64 * 1024 * 1024  # decoded postings, BM25 arrays, impacts, verbatim matches and filters per generation
ORDINAL_BITS = 20  # position = document order << ORDINAL_BITS | ordinal
SUBSET_SHARE = 16  # fewer passages than a list's postings / this: their BM25 alone is computed
DENSE_SHARE = 32  # a list holding more than this share of the passages is kept as a bit per passage
MASKED_VALUES = 16  # a multi-valued facet of at most this many values is counted from a bit mask per passage

# What one request derived, to derive it once: the posting lists it read (a list too large for
# the term cache is decoded once per request, not once per use: matching, verbatim counts,
# scoring), and the passages per report of the sets it counted facets over. Held only while
# the request runs: at most the lists its query names and the sets it counts.
_IN_REQUEST: ContextVar[dict | None] = ContextVar("what this request derived", default=None)


@dataclass
class FacetColumn:
    """One facet's values per passage, integer-coded, with the values as shown."""

    facet: Facet
    values: list[str]  # by code; "" is a passage without a value
    codes: np.ndarray | None = None  # single-valued: code per document number
    offsets: np.ndarray | None = None  # multi-valued: codes[offsets[d]:offsets[d+1]] of document d
    multi_codes: np.ndarray | None = None

    def __post_init__(self):
        self.shown = [UNKNOWN if not v and self.facet.unknown else v for v in self.values]
        self.by_value: dict[str, list[int]] = {}
        for code, value in enumerate(self.shown):
            if value:  # a filter in either script, either width, selects the same passages
                self.by_value.setdefault(normalize(value), []).append(code)
        # Each code's place in the facet's natural order of values (ties of equal counts).
        natural = sorted(range(len(self.shown)), key=lambda code: value_order(self.facet, self.shown[code]))
        self.natural_rank = np.empty(len(self.shown), dtype=np.int64)
        self.natural_rank[natural] = np.arange(len(self.shown))
        self.named = np.asarray([bool(v) for v in self.shown] or [False], dtype=np.bool_)[: len(self.shown)]
        # Themes: their values of each passage as bits (2 bytes a passage), so that a count over
        # a common word's passages is one count per combination of values, not one per value
        # gathered through the offsets (11 ms → 0.7 ms over 188,276 passages).
        self.masks = None
        if self.offsets is not None and len(self.values) <= MASKED_VALUES:
            self.masks = _value_masks(np.asarray(self.offsets), np.asarray(self.multi_codes))
            release(self.offsets)  # read again only by a filter on the facet (47 MB at 100,000 reports)
            release(self.multi_codes)

    def canonical(self, values: tuple[str, ...]) -> tuple[str, ...]:
        """Selected values as the facet lists them (鬆江鎮 → 松江镇); unknown ones as given."""
        out = []
        for value in values:
            codes = self.by_value.get(normalize(value.strip()))
            out.append(self.shown[codes[0]] if codes else value)
        return tuple(dict.fromkeys(out))

    def codes_of(self, values: tuple[str, ...]) -> np.ndarray:
        found = [code for v in values for code in self.by_value.get(normalize(v.strip()), ())]
        return np.asarray(sorted(set(found)), dtype=np.int32)

    def counts(self, counted: np.ndarray) -> dict[str, int]:
        """Passages per value, from the count per code (values without a name left out)."""
        return {self.shown[code]: int(counted[code]) for code in np.flatnonzero(counted).tolist() if self.shown[code]}

    def ranked(self, counted: np.ndarray) -> np.ndarray:
        """The codes with passages, most first (ties in the facet's natural order)."""
        present = np.flatnonzero((counted > 0) & self.named)
        return present[np.lexsort((self.natural_rank[present], -counted[present]))]

    def listing(self, counted: np.ndarray, ranked: np.ndarray, limit: int) -> tuple[list[tuple[str, int]], int, int]:
        """The ``limit`` first of ``ranked`` with their counts, how many values are left out and
        how many passages those count together."""
        chosen = ranked[:limit]
        top = [(self.shown[code], int(count)) for code, count in zip(chosen.tolist(), counted[chosen].tolist())]
        rest = ranked[limit:]
        return top, len(rest), int(counted[rest].sum())

    def code_counts(self, docs: np.ndarray) -> np.ndarray:
        """Passages of ``docs`` per code."""
        if self.codes is not None:
            chosen = self.codes[docs]
        elif self.masks is not None:
            combinations = np.bincount(self.masks[docs])
            present = np.flatnonzero(combinations)
            carried = (present[:, None] >> np.arange(len(self.values))) & 1  # code c: bit c
            return combinations[present] @ carried
        else:
            starts = self.offsets[docs]
            lengths = self.offsets[docs + 1] - starts
            total = int(lengths.sum())
            if not total:
                return np.zeros(len(self.values), dtype=np.int64)
            # every value of every chosen document, gathered without a loop
            within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            chosen = self.multi_codes[np.repeat(starts, lengths) + within]
        return np.bincount(chosen, minlength=len(self.values))

    def matching(self, codes: np.ndarray, size: int) -> np.ndarray:
        """Document numbers carrying any of ``codes``."""
        if not len(codes):
            return docsets.EMPTY
        if self.codes is not None:
            return docsets.from_mask(np.isin(self.codes, codes))
        elements = np.flatnonzero(np.isin(self.multi_codes, codes))
        owners = np.searchsorted(self.offsets, elements, side="right") - 1
        return np.unique(owners).astype(np.int32)


def _value_masks(offsets: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per document, the codes ``codes[offsets[d]:offsets[d+1]]`` as the bits of a uint16."""
    starts = offsets[:-1]
    masks = np.zeros(len(starts), dtype=np.uint16)
    held = np.flatnonzero(offsets[1:] > starts)  # the documents holding a value: their runs follow each other
    if len(held):
        masks[held] = np.bitwise_or.reduceat(np.left_shift(1, codes[: offsets[-1]]).astype(np.uint16), starts[held])
    return masks


class OpenIndex:
    def __init__(self, storage: Storage, cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.storage = storage
        self.generation = storage.generation
        self.manifest = storage.manifest
        self.size = storage.size
        columns = storage.columns
        self.documents: dict[str, Document] = {d.doc_id: d for d in storage.documents()}
        order_of = {doc_id: d.order for doc_id, d in self.documents.items()}
        doc_rank = np.asarray([order_of.get(doc_id, 1 << 30) for doc_id in columns.doc_ids], dtype=np.int64)
        position = (doc_rank[columns.doc] << ORDINAL_BITS) | columns.ordinal.astype(np.int64)
        self.alive = storage.alive
        self.all_docs = docsets.from_mask(self.alive) if self.alive is not None else np.arange(self.size, dtype=np.int32)
        self.count = len(self.all_docs)
        # Live documents in collection order (report order, then passage order), and each one's
        # rank in it (int32: document numbers are, and the position is not kept: 29 MB at 100,000 reports).
        self.order = self.all_docs[np.argsort(position[self.all_docs], kind="stable")]
        del position
        self.rank = np.full(self.size, np.iinfo(np.int32).max, dtype=np.int32)
        self.rank[self.order] = np.arange(len(self.order), dtype=np.int32)
        self.doc_of = columns.doc
        self.doc_ids = columns.doc_ids
        self.ordinal = columns.ordinal
        self.is_heading = columns.is_heading
        self.facets: dict[str, FacetColumn] = {}
        for facet in FACETS:
            if facet.multi_valued:
                offsets, codes, values = columns.multi[facet.column]
                self.facets[facet.name] = FacetColumn(facet, values, offsets=offsets, multi_codes=codes)
            else:
                codes, values = columns.category[facet.column]
                self.facets[facet.name] = FacetColumn(facet, values, codes=codes)
        # A passage's weight depends on its length up to SUBSTANTIAL_CHARS and on being a heading.
        self.passage_weights = CodedColumn.of(
            np.minimum(columns.lengths[UNIGRAM], SUBSTANTIAL_CHARS) + (SUBSTANTIAL_CHARS + 1) * columns.is_heading,
            lambda keys: ranking.passage_weights(keys % (SUBSTANTIAL_CHARS + 1), keys > SUBSTANTIAL_CHARS),
        )
        release(columns.lengths[UNIGRAM])
        years = columns.category["year"]
        table = np.asarray([int(v) if v.isdigit() and int(v) < 1 << 15 else 0 for v in years[1]] or [0], dtype=np.int16)
        self.year_number = table[years[0]] if len(years[0]) else np.zeros(0, np.int16)
        # What requests ask for (a term's postings, a filter) within a byte limit; what is derived
        # once from the generation under a fixed set of names (neither grows with requests).
        self.term_cache = ByteBoundedCache(cache_bytes)
        self.derived = DerivedOnce(
            ["passages by report"]
            + [("norms", f) for f in TEXT_FIELDS]
            + [("over everything", f.name) for f in FACETS]
            + [("by report", f.name) for f in FACETS if not f.multi_valued]
        )

    # -- derived once

    def _by_report(self) -> tuple[dict[str, int], np.ndarray]:
        """Each report's code (in ``doc_ids``), and by code where its passages are in ``order``
        (start, end) and the document number of its ordinal 0 when its passages are numbered
        in one run by ordinal (a report is written in one go), else -1. Arrays, not an entry
        per report: at 100,000 reports a dict of slices held 27 MB more."""

        def build() -> tuple[dict[str, int], np.ndarray]:
            order = self.order
            docs = self.doc_of[order]
            spans = np.zeros((len(self.doc_ids), 3), dtype=np.int64)
            starts = np.flatnonzero(np.diff(docs, prepend=-1))
            if len(starts):
                ends = np.append(starts[1:], len(docs))
                group = np.repeat(np.arange(len(starts)), ends - starts)
                within = np.arange(len(order)) - starts[group]
                in_run = (order - order[starts][group] == within) & (self.ordinal[order] == within)
                run = np.logical_and.reduceat(in_run, starts)
                spans[docs[starts]] = np.stack([starts, ends, np.where(run, order[starts], -1)], axis=1)
            return {doc_id: code for code, doc_id in enumerate(self.doc_ids)}, spans

        return self.derived.get("passages by report", build)

    def _report(self, doc_id: str) -> tuple[np.ndarray, int] | None:
        """A report's passages in order and the document number of its ordinal 0 (or -1)."""
        codes, spans = self._by_report()
        code = codes.get(doc_id)
        if code is None:
            return None
        start, end, first = spans[code].tolist()
        return (self.order[start:end], first) if end > start else None

    def docnums(self, doc_id: str) -> np.ndarray:
        """A report's passages in order."""
        found = self._report(doc_id)
        return docsets.EMPTY if found is None else found[0]

    def docnum(self, passage_id: str) -> int | None:
        parts = split_passage_id(passage_id)
        found = None if parts is None else self._report(parts[0])
        if found is None:
            return None
        docs, first = found
        ordinal = parts[1]
        if first >= 0:
            return first + ordinal if ordinal < len(docs) else None
        for docnum in docs.tolist():
            if int(self.ordinal[docnum]) == ordinal:
                return docnum
        return None

    def passage_ids(self, docs: np.ndarray) -> list[str]:
        return [passage_id(self.doc_ids[d], o) for d, o in zip(self.doc_of[docs].tolist(), self.ordinal[docs].tolist())]

    def norms(self, field: str) -> CodedColumn:
        """BM25's length norm of each passage for ``field`` (``norms(field)[docs]``): lengths as
        the engine scores them take few values (Whoosh: 256)."""

        def build() -> CodedColumn:
            total = int(self.storage.columns.lengths[field][self.all_docs].sum())
            average = total / (self.count or 1) or 1
            norms = CodedColumn.of(self.storage.lengths(field), lambda lengths: scoring.length_norm(lengths, average))
            release(self.storage.columns.lengths[field])
            return norms

        return self.derived.get(("norms", field), build)

    def facet_counts(self, facet: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Passages of ``docs`` per code of ``facet``, and, when ``docs`` is every passage (browsing:
        counted once per generation), the codes already ranked for listing."""
        column = self.facets[facet]
        if docs is self.all_docs:

            def build():
                counted = column.code_counts(docs)
                return counted, column.ranked(counted)

            return self.derived.get(("over everything", facet), build)
        by_report = None if column.codes is None else self._codes_by_report(facet)
        if by_report is None:
            return column.code_counts(docs), None
        # A report's value (township, year, …): counted per report, then per value, the
        # passages per report shared by every such facet counted over the same set.
        counted = np.bincount(by_report, weights=self._passages_per_report(docs), minlength=len(column.values))
        return counted.astype(np.int64), None

    def _codes_by_report(self, facet: str) -> np.ndarray | None:
        """The code of each report, for a single-valued facet whose passages all carry their
        report's value; None for one whose value varies within a report (section)."""

        def build():
            codes = self.facets[facet].codes
            by_report = np.zeros(len(self.doc_ids), dtype=np.int32)
            by_report[self.doc_of] = codes
            return (by_report if np.array_equal(by_report[self.doc_of], codes) else None,)

        return self.derived.get(("by report", facet), build)[0]

    def _passages_per_report(self, docs: np.ndarray) -> np.ndarray:
        """How many of ``docs`` each report holds (once per set within a request)."""
        counted_in_request = _IN_REQUEST.get()
        key = ("per report", id(docs))
        if counted_in_request is not None and key in counted_in_request and counted_in_request[key][0] is docs:
            return counted_in_request[key][1]
        per_report = np.bincount(self.doc_of[docs], minlength=len(self.doc_ids))
        if counted_in_request is not None:
            counted_in_request[key] = docs, per_report  # the set kept with it: its id is not reused meanwhile
        return per_report

    # -- what requests ask, within the term cache's limit

    @contextmanager
    def one_request(self) -> Iterator[None]:
        """The scope of one request: a posting list is read at most once within it, and the
        passages per report of a set counted once."""
        token = _IN_REQUEST.set({})
        try:
            yield
        finally:
            _IN_REQUEST.reset(token)

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers holding ``term`` in ``field`` and its frequency in each (kept in the
        smallest type that holds them: most are below 256)."""

        def read():
            ids, frequencies = self.storage.postings(field, term)
            if len(frequencies) and frequencies.max() < 256 and (frequencies == np.floor(frequencies)).all():
                frequencies = frequencies.astype(np.uint8)
            if len(ids) * DENSE_SHARE > self.size:
                # A very common term (a single character: half the passages) is kept as a bit per
                # passage, 1/32 of its numbers: small enough for the cache at any size, and
                # unpacked far faster than its postings are decoded again.
                mask = np.zeros(self.size, dtype=np.bool_)
                mask[ids] = True
                return np.packbits(mask), frequencies
            return ids, frequencies

        key = (self.generation, field, term)
        read_in_request = _IN_REQUEST.get()
        if read_in_request is not None and key in read_in_request:
            return read_in_request[key]
        found = self.term_cache.get(("postings", field, term), read)
        if found[0].dtype == np.uint8:  # packed bits (document numbers are int32)
            found = docsets.from_mask(np.unpackbits(found[0], count=self.size).view(np.bool_)), found[1]
        if read_in_request is not None:
            read_in_request[key] = found
        return found

    def doc_frequency(self, field: str, term: str) -> int:
        """Live passages holding ``term`` in ``field``. A storage lookup walks every segment's
        term table under the storage lock (tens of microseconds); key terms ask it for every
        word of a passage, a township page for thousands of words, most of them the same."""
        return self.term_cache.get(("frequency", field, term), lambda: self.storage.doc_frequency(field, term))

    def bm25(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers holding ``term`` in ``field`` and their BM25 score for it."""

        def compute():
            ids, frequencies = self.postings(field, term)
            if not len(ids):
                return ids, np.zeros(0)
            return ids, scoring.bm25(frequencies, self.norms(field)[ids], scoring.idf(self.count, len(ids)))

        return self.term_cache.get(("bm25", field, term), compute)

    def bm25_at(self, field: str, term: str, docs: np.ndarray) -> np.ndarray:
        """BM25 of ``term`` in ``field`` for each of ``docs`` (0 where absent)."""
        ids, frequencies = self.postings(field, term)
        if len(docs) * SUBSET_SHARE < len(ids):
            # A few passages of a long list (the candidates of a top-k): theirs alone, the same
            # operations element by element, so the same values as the whole list's.
            found, at = docsets.locate(ids, docs, self.size)
            scores = np.zeros(len(docs))
            scores[found] = scoring.bm25(frequencies[at], self.norms(field)[docs[found]], scoring.idf(self.count, len(ids)))
            return scores
        ids, scores = self.bm25(field, term)
        if not len(ids) or not len(docs):
            return np.zeros(len(docs))
        if len(docs) * 64 > self.size:
            dense = np.zeros(self.size)
            dense[ids] = scores
            return dense[docs]
        index = np.searchsorted(ids, docs)
        index[index == len(ids)] = 0
        return np.where(ids[index] == docs, scores[index], 0.0)

    def filter_docs(self, facet: str, values: tuple[str, ...]) -> np.ndarray:
        """Live passages carrying any of ``values`` of ``facet``."""
        column = self.facets[facet]
        key = ("filter", facet, tuple(sorted(values)))

        def compute():
            docs = column.matching(column.codes_of(values), self.size)
            return docsets.intersect(docs, self.all_docs, self.size) if self.alive is not None else docs

        return self.term_cache.get(key, compute)
