"""The local searcher: the search port (:mod:`app.search.port`) answered in this process, with
numpy over a generation's files (postings, columns, normalized texts) read through the local
storage (:mod:`.storage`; Whoosh's files today).

:class:`LocalEngine` opens the newest generation of an index folder; :class:`LocalSearcher`
answers for one generation. Neither imports an engine: the storage opener is given.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.search.local import docsets, facet_counts, ranking, similar, topk
from app.search.local.matching import evaluate
from app.search.local.opened import DEFAULT_CACHE_BYTES, OpenIndex
from app.search.local.storage import Storage, StorageOpener
from app.search.port import Answer, Deadline, GenerationInfo, Query
from indexer import layout
from indexer.contract import WORDS
from indexer.records import Document, Passage

PREFIX_SCAN = 5000  # terms walked per segment for one prefix: a suggestion costs at most this


class LocalSearcher:
    """One generation opened for reading (implements :class:`app.search.port.Searcher`)."""

    def __init__(self, storage: Storage, cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.index = index = OpenIndex(storage, cache_bytes)
        manifest = storage.manifest
        self.info = GenerationInfo(
            name=storage.generation.name,
            engine=f"{manifest.get('engine', '?')} {manifest.get('engine_version', '')}".strip(),
            built_at=manifest.get("built_at"),
            documents=len(index.documents),
            passages=index.count,
            analysis=manifest.get("analysis", {}),
            manifest=manifest,
        )
        self._documents = sorted(index.documents.values(), key=lambda d: d.order)

    # -- search

    def _matches(self, query: Query, deadline: Deadline) -> np.ndarray:
        index = self.index
        base = evaluate(index, query.root, deadline, query.synonyms) if query.root is not None else index.all_docs
        if query.exclude_documents:
            excluded = [index.docnums(doc_id) for doc_id in query.exclude_documents]
            base = docsets.difference(base, np.unique(np.concatenate(excluded)).astype(np.int32), index.size)
        return base

    def search(self, query: Query, deadline: Deadline) -> Answer:
        with self.index.one_request():
            return self._search(query, deadline)

    def _search(self, query: Query, deadline: Deadline) -> Answer:
        index = self.index
        base = self._matches(query, deadline)
        filters = {name: tuple(values) for name, values in query.filters.items() if values}
        sets = facet_counts.filter_sets(index, filters)
        docs = facet_counts.narrowed(index, base, sets)
        facets = facet_counts.distributions(index, query.facets, filters, base, sets, docs, query.facet_limit, query.disjunctive)
        deadline.check()
        if query.limit == 0 or query.offset >= len(docs):
            return Answer([], [], len(docs), facets)
        if query.root is not None and query.sort != "document":
            chosen, value = topk.window(index, query.root, query.synonyms, query.sort, docs, query.offset, query.limit, deadline)
            values = value.tolist() if query.sort == "relevance" else [0.0] * len(chosen)
        else:
            chosen = ranking.window(index, query.sort, docs, None, query.offset, query.limit)
            values = [0.0] * len(chosen)
        return Answer(index.passage_ids(docs[chosen]), values, len(docs), facets)

    # -- records

    def _docnums(self, ids: Sequence[str]) -> list[int | None]:
        return [self.index.docnum(passage_id) for passage_id in ids]

    def passages(self, ids: Sequence[str]) -> list[Passage | None]:
        stored = self.index.storage.stored
        return [None if d is None else stored(d) for d in self._docnums(ids)]

    def document_passages(self, doc_id: str) -> list[Passage]:
        stored = self.index.storage.stored
        return [stored(d) for d in self.index.docnums(doc_id).tolist()]

    def documents(self) -> list[Document]:
        return list(self._documents)

    def document(self, doc_id: str) -> Document | None:
        return self.index.documents.get(doc_id)

    # -- lexicon and more-like-this

    def prefixes(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        found = self.index.storage.prefixed(WORDS, prefix, PREFIX_SCAN)
        return [(term, count) for count, term in heapq.nlargest(limit, ((count, term) for term, count in found))]

    def word_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        frequency = self.index.doc_frequency
        return {word: frequency(WORDS, word) for word in words}

    def more_like_this(
        self,
        terms: Sequence[tuple[str, float]],
        deadline: Deadline,
        limit: int | None = None,
        within: Sequence[str] | None = None,
        exclude_documents: Sequence[str] = (),
        headings: bool = False,
    ) -> list[tuple[str, float]]:
        index = self.index
        terms = list(terms)
        if within is not None:
            known = [(passage_id, d) for passage_id, d in zip(within, self._docnums(within)) if d is not None]
            docs = np.asarray([d for _, d in known], dtype=np.int32)
            scores = similar.scores_at(index, terms, docs)
            if not headings:
                scores[index.is_heading[docs]] = 0.0
            excluded = set(exclude_documents)
            scored = [
                (passage_id, float(s), d) for (passage_id, d), s in zip(known, scores.tolist()) if index.doc_ids[index.doc_of[d]] not in excluded
            ]
            if limit is None:
                return [(passage_id, score) for passage_id, score, _ in scored]
            ranked = sorted((item for item in scored if item[1] > 0), key=lambda item: (-item[1], index.rank[item[2]]))
            return [(passage_id, score) for passage_id, score, _ in ranked[:limit]]
        deadline.check()
        exclude = [index.docnums(doc_id) for doc_id in exclude_documents]
        excluded = np.concatenate(exclude) if exclude else docsets.EMPTY
        best = similar.best(index, terms, excluded, limit, headings)
        return list(zip(index.passage_ids(np.asarray([d for d, _ in best], dtype=np.int64)), [score for _, score in best]))

    def close(self) -> None:
        self.index.storage.close()


class LocalEngine:
    """An index folder whose ``CURRENT`` names the newest generation (implements
    :class:`app.search.port.Engine`)."""

    def __init__(self, name: str, index_dir: Path, open_storage: StorageOpener, cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.name = name
        self.index_dir = Path(index_dir)
        self.open_storage = open_storage
        self.cache_bytes = cache_bytes
        self.build_command = f"python -m indexer build --index-dir {self.index_dir}"

    def current_token(self) -> str | None:
        return layout.generation_token(self.index_dir)

    def open_current(self) -> LocalSearcher:
        return LocalSearcher(self.open_storage(layout.current_generation(self.index_dir)), self.cache_bytes)
