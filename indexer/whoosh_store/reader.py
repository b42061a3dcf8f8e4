"""The local searcher's storage (:mod:`app.search.local.storage`) over a generation written by :mod:`.writer`.

Whoosh answers term lookups (its term tables) and stored records; posting lists are read here,
a term at a time with one ``pread`` and a block at a time into numpy arrays, because Whoosh's
matchers answer posting by posting. Columns and texts come from the contract's files.

Thread-safe: Whoosh's readers seek and read shared file objects, so term lookups and stored
records go through one lock (each takes microseconds); posting reads use ``os.pread``.
"""

from __future__ import annotations

import io
import os
import pickle
import threading
import weakref
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer import contract, layout, records
from indexer.records import Document, Passage
from indexer.whoosh_store import DIRECTORY, ENGINE, engine_version, read_deleted_terms
from indexer.whoosh_store.schema import passage_from_stored

_HEADER = 4  # WHOOSH3_HEADER_MAGIC before a term's first block
_EMPTY = (np.zeros(0, np.int32), np.zeros(0, np.float32))


class EngineMismatch(layout.IndexMissing):
    """The generation was written by another engine, or another version of it."""


def _quantize(lengths: np.ndarray) -> np.ndarray:
    """Field lengths as Whoosh stores them (one byte) and so scores them."""
    table = np.array([byte_to_length(length_to_byte(n)) for n in range(1 << 12)], dtype=np.int32)
    small = lengths < len(table)
    out = np.where(small, table[np.where(small, lengths, 0)], 0).astype(np.int32)
    for i in np.flatnonzero(~small):
        out[i] = byte_to_length(length_to_byte(int(lengths[i])))
    return out


def _decode_blocks(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(documents, frequencies) of one term's posting blocks in a segment."""
    ids, weights = [], []
    stream = io.BytesIO(blob)
    position = _HEADER
    end_of_blob = len(blob)
    while position < end_of_blob:
        size = int.from_bytes(blob[position : position + 4], "big", signed=True)
        last = size < 0
        size = -size if last else size
        stream.seek(position + 4)
        count, _, _, compression, _, _ = pickle.load(stream)
        data = blob[stream.tell() : position + 4 + size]
        if compression:
            data = zlib.decompress(data)
        deltas, block_weights, _ = pickle.loads(data)
        ids.append(np.cumsum(np.asarray(deltas), dtype=np.int64))
        if block_weights is None:
            weights.append(np.ones(count, np.float32))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights, np.float32))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float32))
        position += 4 + size
        if last:
            break
    return np.concatenate(ids).astype(np.int32), np.concatenate(weights)


def decode_postings(handle: int, info) -> tuple[np.ndarray, np.ndarray]:
    """(documents, frequencies) of a term in a segment, from its term info and the segment's
    open postings file."""
    start, length = info.extent()
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves the length as unpack's tuple
        length = length[0]
    return _decode_blocks(os.pread(handle, length, start))


class WhooshStorage:
    """One generation, opened for reading: implements ``app.search.local.storage.Storage``."""

    def __init__(self, generation: Path):
        self.generation = generation
        self.manifest = layout.read_manifest(generation)
        written = (self.manifest.get("engine"), self.manifest.get("engine_version"))
        if written != (ENGINE, engine_version()):
            raise EngineMismatch(
                f"index at {generation.parent} was written by {written[0] or 'an older version'} {written[1] or ''}".rstrip()
                + f", this server reads {ENGINE} {engine_version()}; {layout.build_hint(generation.parent)}"
            )
        storage = FileStorage(str(generation / DIRECTORY), supports_mmap=False)
        self._index = storage.open_index()
        self._reader = self._index.reader()
        self._lock = threading.Lock()
        self._leaves = []
        handles: list[int] = []
        # A server drops a generation when a newer one is published without closing it (requests
        # may still be reading it): its posting files close when it is garbage-collected.
        self._finalizer = weakref.finalize(self, _close_all, handles)
        self.columns = contract.read_columns(generation)  # memory-mapped
        self.size = self.columns.size
        segments = []
        try:
            if self._reader.doc_count_all() != self.size:
                raise layout.IndexMissing(f"the columns of {generation} do not match its segments; {layout.build_hint(generation.parent)}")
            mask = np.ones(self.size, dtype=np.bool_)
            for leaf, offset in self._reader.leaf_readers():
                segment = leaf.segment()
                handles.append(os.open(str(generation / DIRECTORY / segment.make_filename(".pst")), os.O_RDONLY))
                self._leaves.append((leaf, offset, handles[-1]))
                segments.append(segment.segment_id())
                if segment.has_deletions():
                    mask[offset + np.fromiter(segment.deleted_docs(), dtype=np.int64)] = False
            self.texts = contract.Texts(generation, segments)
            if self.texts.size != self.size:
                self.texts.close()
                raise layout.IndexMissing(f"the texts of {generation} do not match its segments; {layout.build_hint(generation.parent)}")
        except BaseException:
            self._finalizer()
            self._reader.close()
            raise
        self.alive = None if mask.all() else mask
        self._deleted_terms = _deleted_terms(generation)

    # -- what the local searcher asks

    def documents(self) -> list[Document]:
        return list(records.read_jsonl(self.generation / "documents.jsonl", Document))

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers (ascending, live documents only) and term frequencies."""
        parts = []
        for leaf, offset, handle in self._leaves:
            with self._lock:
                try:
                    info = leaf.term_info(field, term)
                except TermNotFound:
                    continue
            ids, weights = decode_postings(handle, info)
            parts.append((ids + offset if offset else ids, weights))
        if not parts:
            return _EMPTY
        ids = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        weights = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
        if self.alive is not None:
            keep = self.alive[ids]
            ids, weights = ids[keep], weights[keep]
        return ids, weights

    def doc_frequency(self, field: str, term: str) -> int:
        """Live passages holding ``term`` (Whoosh's count less the deleted passages holding it)."""
        with self._lock:
            found = sum(leaf.doc_frequency(field, term) for leaf, _, _ in self._leaves)
        return found - self._deleted_terms.get(field, {}).get(term, 0)

    def lengths(self, field: str) -> np.ndarray:
        """Each passage's length of ``field`` as Whoosh scores it (quantized to a byte); not
        kept: the searcher derives its norms from it once."""
        return _quantize(self.columns.lengths[field])

    def stored(self, docnum: int) -> Passage:
        with self._lock:
            stored = self._reader.stored_fields(int(docnum))
        return passage_from_stored(stored)

    def contains(self, docnums: np.ndarray, text: str) -> np.ndarray:
        return self.texts.contains(docnums, text)

    def prefixed(self, field: str, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Terms of ``field`` from ``prefix`` on in each segment's term table (a binary search,
        then a walk of what starts with it, at most ``limit`` per segment), with their live
        document frequencies, in term order."""
        found: dict[str, int] = {}
        with self._lock:
            for leaf, _, _ in self._leaves:
                for walked, (raw, info) in enumerate(leaf.iter_prefix(field, prefix)):
                    if walked >= limit:
                        break
                    term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                    found[term] = found.get(term, 0) + info.doc_frequency()
        deleted = self._deleted_terms.get(field) or {}
        live = ((term, count - deleted.get(term, 0)) for term, count in sorted(found.items()))
        return [(term, count) for term, count in live if count > 0][:limit]

    def lexicon(self, field: str) -> tuple[list[str], np.ndarray]:
        """Every term of ``field`` in order, with its document frequency (a reader of its own:
        this takes seconds on a large index and must not hold the lock)."""
        terms: list[str] = []
        frequencies: list[int] = []
        deleted = self._deleted_terms.get(field)
        with self._index.reader() as reader:
            for raw, info in reader.iter_field(field):
                terms.append(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
                frequencies.append(info.doc_frequency())
        if deleted:  # live passages only; a term only deleted passages held is gone
            frequencies = [f - deleted.get(t, 0) for t, f in zip(terms, frequencies)]
            terms = [t for t, f in zip(terms, frequencies) if f > 0]
            frequencies = [f for f in frequencies if f > 0]
        return terms, np.asarray(frequencies, dtype=np.int32)

    def close(self) -> None:
        self._finalizer()
        self._leaves = []
        self.texts.close()
        self._reader.close()


def _close_all(handles: list[int]) -> None:
    for handle in handles:
        try:
            os.close(handle)
        except OSError:
            pass


def _deleted_terms(generation: Path) -> dict[str, dict[str, int]]:
    """Field → term → deleted passages holding it, over the generation's segments
    (:meth:`indexer.whoosh_store.writer.WhooshSink.carry` writes them)."""
    total: dict[str, dict[str, int]] = {}
    for fields in read_deleted_terms(generation).values():
        for field, terms in fields.items():
            counts = total.setdefault(field, {})
            for term, count in terms.items():
                counts[term] = counts.get(term, 0) + count
    return total


class StoredRecordsUnreadable(OSError):
    """The stored records of a generation cannot be read (a damaged or missing file)."""


class StoredPassages:
    """The passage records a generation's Whoosh index stores, by segment and document number:
    what incremental builds delete and what merges index again (there is no other copy)."""

    def __init__(self, generation: Path):
        self.generation = generation
        try:
            self._index = FileStorage(str(generation / DIRECTORY), supports_mmap=False).open_index()
            self._reader = self._index.reader()
        except Exception as error:
            raise StoredRecordsUnreadable(f"the Whoosh index of {generation} cannot be opened ({type(error).__name__}: {error})") from error
        self._leaves = {leaf.segment().segment_id(): leaf for leaf, _ in self._reader.leaf_readers()}

    def passages(self, segment_id: str, docnums) -> list[Passage]:
        try:
            leaf = self._leaves[segment_id]
            return [passage_from_stored(leaf.stored_fields(int(docnum))) for docnum in docnums]
        except Exception as error:  # zlib, pickle, struct: whatever a damaged file raises
            raise StoredRecordsUnreadable(
                f"the stored records of segment {segment_id} of {self.generation} cannot be read ({type(error).__name__}: {error})"
            ) from error

    def close(self) -> None:
        self._reader.close()


def iter_passages(generation: Path) -> Iterator[Passage]:
    """Every live passage of ``generation``, in the engine's order."""
    index = FileStorage(str(generation / DIRECTORY), supports_mmap=False).open_index()
    with index.reader() as reader:
        for docnum in reader.all_doc_ids():
            yield passage_from_stored(reader.stored_fields(docnum))


def open_storage(generation: Path) -> WhooshStorage:
    return WhooshStorage(generation)
