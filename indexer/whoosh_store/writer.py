"""Sink: passage records into Whoosh segments (and the contract's columns beside them).

Whoosh's own writer spends most of an indexing run on a Python tuple per posting, pickled to
temporary runs and merged back. Here a segment keeps, per text field, three flat integer
arrays (term, document, frequency) that grow as passages arrive; :meth:`SegmentWriter.finish`
sorts them once with numpy and writes each term's posting blocks in the W3 codec's layout.
``tests/test_whoosh_store.py`` checks that every term, posting, length and stored record reads
back through Whoosh exactly as Whoosh's own writer makes them.

Posting blocks hold their document deltas and weights as ``array`` objects pickled with
protocol 5 (one byte copy each way, instead of a Python object per posting); Whoosh's own
matchers read them unchanged, and :mod:`.reader` turns them into numpy arrays without a loop.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Iterable

import numpy as np
from whoosh import index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer import contract
from indexer.records import Passage
from indexer.whoosh_store import DELETED_TERMS, DIRECTORY, ENGINE, engine_version, read_deleted_terms
from indexer.whoosh_store.schema import RECORD, schema, term_counts

BLOCK_POSTINGS = 1024  # postings per block: fewer, larger blocks decode faster
COMPRESSION = 1  # zlib level of the posting blocks
SEGMENT_POSTINGS = 30_000_000  # start a new segment after this many postings (bounds memory)
PICKLE_PROTOCOL = 5

_QUANTIZED = [byte_to_length(length_to_byte(n)) for n in range(1 << 16)]


def quantized_length(length: int) -> int:
    """A field length as Whoosh stores it (one byte) and scores it."""
    return _QUANTIZED[length] if length < len(_QUANTIZED) else byte_to_length(length_to_byte(length))


def codec() -> W3Codec:
    return W3Codec(blocklimit=BLOCK_POSTINGS, compression=COMPRESSION)


class _TermIds(dict):
    """Term → number in order of first appearance."""

    def __missing__(self, term: str) -> int:
        number = self[term] = len(self)
        return number


class _FieldPostings:
    """One text field's postings in a segment, as three flat arrays."""

    def __init__(self):
        self.ids = _TermIds()
        self.terms = array("i")
        self.docs = array("i")
        self.freqs = array("i")

    def add(self, docnum: int, counts: dict[str, int]) -> int:
        self.terms.extend(map(self.ids.__getitem__, counts))
        self.freqs.extend(counts.values())
        self.docs.extend(repeat(docnum, len(counts)))
        return sum(counts.values())

    def grouped(self):
        """(term, documents, frequencies) for every term in byte order, documents ascending."""
        terms = np.frombuffer(self.terms, dtype=np.int32)
        order = np.argsort(terms, kind="stable")  # documents were added in ascending order
        docs = np.frombuffer(self.docs, dtype=np.int32)[order]
        freqs = np.frombuffer(self.freqs, dtype=np.int32)[order]
        counts = np.bincount(terms, minlength=len(self.ids))
        ends = np.cumsum(counts)
        starts = ends - counts
        names = list(self.ids)
        for number in sorted(range(len(names)), key=names.__getitem__):  # str order = UTF-8 byte order
            start, end = starts[number], ends[number]
            yield names[number], docs[start:end], freqs[start:end]


class _Memo:
    """Term counts of texts that repeat (the heading path of every passage under a heading)."""

    def __init__(self, analysis_name: str, size: int = 4096):
        self.analysis_name = analysis_name
        self.size = size
        self.found: dict[str, dict[str, int]] = {}

    def __call__(self, text: str) -> dict[str, int]:
        counts = self.found.get(text)
        if counts is None:
            if len(self.found) >= self.size:
                self.found.clear()
            counts = self.found[text] = term_counts(self.analysis_name, text)
        return counts


class SegmentWriter:
    """A new segment of the index in ``generation``: passages are analysed as they are added;
    :meth:`finish` writes the segment's files and its columns and returns the segment."""

    def __init__(self, generation: Path, indexname: str, whoosh_schema):
        self.generation = generation
        self.storage = FileStorage(str(generation / DIRECTORY))
        self.schema = whoosh_schema
        self.codec = codec()
        self.segment = self.codec.new_segment(self.storage, indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self.columns = contract.ColumnsWriter()
        self.docnum = 0
        self.postings = 0
        self.fields = {name: _FieldPostings() for name in contract.TEXT_FIELDS}
        self.analyses = {
            name: _Memo(analysis_name) if name == contract.HEADING_WORDS else (lambda text, a=analysis_name: term_counts(a, text))
            for name, analysis_name in contract.TEXT_FIELDS.items()
        }
        self.lengths = {name: array("i") for name in contract.TEXT_FIELDS}  # quantized, per document
        self._record_field = whoosh_schema[RECORD]

    def add(self, passage: Passage) -> None:
        docnum = self.docnum
        texts = contract.text_fields(passage)
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        perdoc.add_field(RECORD, self._record_field, contract.stored_record(passage), 0)
        lengths = {}
        for name, postings in self.fields.items():
            length = postings.add(docnum, self.analyses[name](texts[name]))
            lengths[name] = length
            self.postings += length
            self.lengths[name].append(quantized_length(length) if length else 0)
            if length:
                perdoc.add_field(name, self.schema[name], None, length)
        perdoc.finish_doc()
        self.columns.add(passage, lengths, texts[contract.UNIGRAM])
        self.docnum += 1

    def finish(self):
        """Write the term table, postings and columns; return the (picklable) segment."""
        self.perdoc.close()
        writer = self.codec.field_writer(self.storage, self.segment)
        postfile = _PostingsFile(writer._postfile)
        for name in sorted(self.fields):
            postings = self.fields[name]
            if not postings.ids:
                continue
            writer.start_field(name, self.schema[name])
            prefix = pack_ushort(writer._fieldid)
            add_term = writer._tindex.add
            lengths = np.frombuffer(self.lengths[name], dtype=np.int32)
            for term, docs, freqs in postings.grouped():
                add_term(prefix + term.encode("utf-8"), postfile.write_term(docs, freqs, lengths))
            writer.finish_field()
            self.fields[name] = _FieldPostings()
        writer.close()
        self.segment.set_doc_count(self.docnum)
        self.columns.write(self.generation / contract.COLUMNS_DIRECTORY, self.segment.segment_id())
        return self.segment


class _PostingsFile:
    """Writes posting lists in the W3 codec's layout (what ``W3PostingsWriter`` writes posting
    by posting), a whole term at a time, keeping the file offset itself."""

    def __init__(self, postfile):
        self.file = postfile
        self.offset = postfile.tell()

    def write_term(self, docs: np.ndarray, freqs: np.ndarray, lengths: np.ndarray) -> bytes:
        """Write one term's postings; return its term-table entry (``W3TermInfo`` bytes)."""
        count = len(docs)
        pieces = [WHOOSH3_HEADER_MAGIC]
        term_lengths = lengths[docs]
        for start in range(0, count, BLOCK_POSTINGS):
            end = min(start + BLOCK_POSTINGS, count)
            block_docs = docs[start:end]
            block_freqs = freqs[start:end]
            block_lengths = term_lengths[start:end]
            heaviest = float(block_freqs.max())
            if block_freqs.min() == heaviest:
                weights = None if heaviest == 1.0 else heaviest
            else:
                weights = array("f", block_freqs.astype(np.float32).tobytes())
            deltas = np.diff(block_docs, prepend=0).astype(np.uint32)
            values = block_freqs.astype(">u4").tobytes()  # Frequency's value: the frequency, big-endian
            data = pickle.dumps((array("I", deltas.tobytes()), weights, values), PICKLE_PROTOCOL)
            if COMPRESSION:
                data = zlib.compress(data, COMPRESSION)
            low, high = int(block_lengths.min()), int(block_lengths.max())
            info = pickle.dumps((end - start, int(block_docs[-1]), heaviest, COMPRESSION, length_to_byte(low), length_to_byte(high)), 2)
            size = len(info) + len(data)
            pieces += (pack_int(-size if end == count else size), info, data)
        blob = b"".join(pieces)
        self.file.write(blob)
        terminfo = W3TermInfo(
            float(freqs.sum()), count, int(term_lengths.min()), int(term_lengths.max()), float(freqs.max()), int(docs[0]), int(docs[-1])
        )
        terminfo.set_extent(self.offset, len(blob))
        self.offset += len(blob)
        return terminfo.to_bytes()


@dataclass
class SegmentState:
    """A segment of a published generation: its id (that of its columns too), how many passages
    it holds, and which of them are deleted."""

    segment_id: str
    size: int
    deleted: frozenset[int]


def _read_toc(generation: Path) -> TOC:
    storage = FileStorage(str(generation / DIRECTORY))
    return TOC.read(storage, index._DEF_INDEX_NAME)


def segment_states(generation: Path) -> list[SegmentState]:
    """The segments of ``generation``, in the engine's document order."""
    return [SegmentState(s.segment_id(), s.doc_count_all(), frozenset(s.deleted_docs())) for s in _read_toc(generation).segments]


def _link(source: Path, target: Path) -> None:
    """``target`` becomes another name of ``source`` (a copy where links are not possible).
    Neither is ever written again: a generation's files are immutable once published."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class WhooshSink:
    """A new Whoosh index in ``generation``; segment writers fill it (in this process or in
    forked ones: a segment is picklable) and :meth:`commit` publishes their segments, beside
    any segments :meth:`carry` brought over from the previous generation."""

    def __init__(self, generation: Path):
        self.generation = generation
        directory = generation / DIRECTORY
        directory.mkdir(parents=True, exist_ok=True)
        self.ix = index.create_in(str(directory), schema())
        self.carried: list = []
        # Per carried segment, field → term → how many of its deleted passages hold the term: the
        # reader subtracts them from Whoosh's document frequencies, which count deleted passages.
        self.deleted_terms: dict[str, dict[str, dict[str, int]]] = {}
        self._previous: tuple[Path, dict, dict] | None = None

    def segment_writer(self) -> SegmentWriter:
        return SegmentWriter(self.generation, self.ix.indexname, self.ix.schema)

    def carry(self, previous: Path, segment_id: str, deleted: Iterable[tuple[int, Passage]] = ()) -> None:
        """Bring a segment of the ``previous`` generation into this one: its files and columns
        as hard links, with the passages ``deleted`` ((document number, passage) pairs) marked
        deleted in this generation's table of contents, never in the shared files."""
        if self._previous is None or self._previous[0] != previous:
            segments = {s.segment_id(): s for s in _read_toc(previous).segments}
            self._previous = (previous, segments, read_deleted_terms(previous))
        _, segments, old_terms = self._previous
        segment = segments[segment_id]
        source = previous / DIRECTORY
        names = [name for name in os.listdir(source) if name.startswith(segment_id + ".")]
        for required in (segment.make_filename(".trm"), segment.make_filename(".pst"), segment.make_filename("._stored.col")):
            if required not in names:
                raise FileNotFoundError(f"{source / required} is missing")
        for name in names:
            _link(source / name, self.generation / DIRECTORY / name)
        columns = self.generation / contract.COLUMNS_DIRECTORY
        columns.mkdir(exist_ok=True)
        for suffix in (".npz", ".text"):
            _link(previous / contract.COLUMNS_DIRECTORY / f"{segment_id}{suffix}", columns / f"{segment_id}{suffix}")
        counted = {name: Counter(terms) for name, terms in old_terms.get(segment_id, {}).items()}
        for docnum, passage in deleted:
            if segment.is_deleted(docnum):
                continue
            segment.delete_document(docnum)
            texts = contract.text_fields(passage)
            for name, analysis_name in contract.TEXT_FIELDS.items():
                counted.setdefault(name, Counter()).update(term_counts(analysis_name, texts[name]).keys())
        if counted:
            self.deleted_terms[segment_id] = {name: dict(terms) for name, terms in counted.items() if terms}
        self.carried.append(segment)

    def commit(self, segments: list) -> None:
        segments = self.carried + list(segments)
        if not segments:
            segments = [self.segment_writer().finish()]
        directory = self.generation / DIRECTORY
        storage = FileStorage(str(directory))
        generation = self.ix.latest_generation() + 1
        TOC(self.ix.schema, segments, generation).write(storage, self.ix.indexname)
        clean_files(storage, self.ix.indexname, generation, segments)
        shutil.rmtree(directory / f"{self.ix.indexname}.tmp", ignore_errors=True)  # the per-document writers' scratch space
        if self.deleted_terms:
            (directory / DELETED_TERMS).write_text(json.dumps(self.deleted_terms, ensure_ascii=False), encoding="utf-8")

    @staticmethod
    def manifest() -> dict:
        return {"engine": ENGINE, "engine_version": engine_version(), "block_postings": BLOCK_POSTINGS}


def write(generation: Path, passages, segment_postings: int = SEGMENT_POSTINGS) -> int:
    """Write ``passages`` into a new index in ``generation`` (one process); returns the count."""
    sink = WhooshSink(generation)
    writer = sink.segment_writer()
    segments, count = [], 0
    for passage in passages:
        writer.add(passage)
        count += 1
        if writer.postings >= segment_postings:
            segments.append(writer.finish())
            writer = sink.segment_writer()
    if writer.docnum or not segments:
        segments.append(writer.finish())
    sink.commit(segments)
    return count

