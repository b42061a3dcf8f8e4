"""Sink: passage records into Whoosh segments (and the contract's columns beside them).

Whoosh's own writer spends most of an indexing run on a Python tuple per posting, pickled to
temporary runs and merged back. Here a segment keeps, per text field, three flat integer
arrays (term, document, frequency) that grow as passages arrive; :meth:`SegmentWriter.finish`
sorts them once with numpy and writes each term's posting blocks in the W3 codec's layout.
The facet fields and ``doc_id`` hold a few terms per passage: their postings are made at the
same moment from the segment's integer-coded columns. The stored fields go through Whoosh's
own per-document writer. ``tests/test_whoosh_store.py`` checks that every term, posting,
length and stored field reads back through Whoosh exactly as Whoosh's own writer makes them.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np
from whoosh import index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer import contract
from indexer.normalize import normalize
from indexer.parallel import SEGMENT_POSTINGS
from indexer.records import Passage
from indexer.whoosh_store import DELETED_TERMS, DIRECTORY, ENGINE, engine_version, read_deleted_terms
from indexer.whoosh_store.schema import DOC_ID, MULTI_VALUE_FIELDS, VALUE_FIELDS, indexed_value, schema, stored_fields, term_counts

BLOCK_POSTINGS = 1024  # postings per block: fewer, larger blocks decode faster
COMPRESSION = 1  # zlib level of the posting blocks
COMPRESS_FROM = 32  # postings: smaller blocks are stored as they are (zlib would only add time)
PICKLE_PROTOCOL = 5
TERMS_PER_CHUNK = 65_536  # terms whose statistics are made Python objects at once

_QUANTIZED = [byte_to_length(length_to_byte(n)) for n in range(1 << 16)]
_TERMINFO = W3TermInfo._struct  # flags, weight, doc frequency, min/max length bytes, max weight, first/last id


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

    @classmethod
    def of_values(cls, terms: list[str | None], code_of_row: np.ndarray, row_docs: np.ndarray) -> _FieldPostings:
        """A value field's postings from a column: row ``i`` of document ``row_docs[i]`` holds
        the term ``terms[code_of_row[i]]`` (None: no term); values repeated in a document count."""
        postings = cls()
        number_of = np.asarray([-1 if t is None else postings.ids[t] for t in terms] or [-1], dtype=np.int64)
        numbers = number_of[code_of_row] if len(code_of_row) else np.zeros(0, np.int64)
        keep = numbers >= 0
        pairs, counts = np.unique(np.stack([row_docs[keep].astype(np.int64), numbers[keep]]), axis=1, return_counts=True)
        postings.docs = pairs[0].astype(np.int32)
        postings.terms = pairs[1].astype(np.int32)
        postings.freqs = counts.astype(np.int32)
        return postings

    def write(self, postings_file: _PostingsFile, lengths: np.ndarray, values: bool = True) -> Iterator[tuple[bytes, bytes]]:
        """Write every term's posting blocks; yield (term bytes, term-table entry) in byte order.
        ``values``: postings carry their frequency as their value (Whoosh's ``Frequency``
        format), or nothing (``Existence``: every weight is 1).

        Everything per posting and per block is computed for the whole field at once with numpy;
        what is left per block is slicing bytes and pickling two small objects."""
        names = list(self.ids)
        lexical = np.asarray(sorted(range(len(names)), key=names.__getitem__), dtype=np.int32)  # str order = UTF-8 byte order
        rank = np.empty(len(names), dtype=np.int32)
        rank[lexical] = np.arange(len(names), dtype=np.int32)
        term_rank = rank[np.frombuffer(self.terms, dtype=np.int32)]
        del rank
        self.terms = None  # memory: a segment's arrays are the largest thing a build holds
        order = np.argsort(term_rank, kind="stable")  # documents were added in ascending order
        docs = np.frombuffer(self.docs, dtype=np.int32)[order]
        self.docs = None
        freqs = np.frombuffer(self.freqs, dtype=np.int32)[order]
        self.freqs = None
        del order
        counts = np.bincount(term_rank, minlength=len(names))
        del term_rank
        term_starts = np.cumsum(counts) - counts
        term_ends = term_starts + counts
        # Blocks of BLOCK_POSTINGS postings within each term.
        blocks_per_term = (counts + BLOCK_POSTINGS - 1) // BLOCK_POSTINGS
        first_block = np.cumsum(blocks_per_term) - blocks_per_term
        block_term = np.repeat(np.arange(len(names)), blocks_per_term)
        within = np.arange(len(block_term)) - np.repeat(first_block, blocks_per_term)
        block_starts = term_starts[block_term] + within * BLOCK_POSTINGS
        block_ends = np.minimum(block_starts + BLOCK_POSTINGS, term_ends[block_term])
        del block_term, within
        deltas = np.diff(docs, prepend=0).astype(np.uint32)
        deltas[block_starts] = docs[block_starts]  # each block's first id is absolute
        posting_lengths = lengths[docs]
        block_max_freq = np.maximum.reduceat(freqs, block_starts)
        block_min_freq = np.minimum.reduceat(freqs, block_starts)
        block_low = _length_bytes(np.minimum.reduceat(posting_lengths, block_starts))
        block_high = _length_bytes(np.maximum.reduceat(posting_lengths, block_starts))
        term_weight = np.add.reduceat(freqs, term_starts)
        term_max_freq = np.maximum.reduceat(freqs, term_starts)
        term_low = _length_bytes(np.minimum.reduceat(posting_lengths, term_starts))
        term_high = _length_bytes(np.maximum.reduceat(posting_lengths, term_starts))
        del posting_lengths
        block_last = docs[block_ends - 1]
        term_first, term_last = docs[term_starts], docs[term_ends - 1]
        del docs
        delta_bytes = memoryview(deltas).cast("B")
        weights = freqs.astype(np.float32)
        weight_bytes = memoryview(weights).cast("B")
        value_bytes = memoryview(freqs.astype(">u4")).cast("B")  # Frequency's value: the frequency, big-endian
        del freqs
        # Python objects only for a slice of the terms at a time (a segment has a million).
        blocks_end = first_block + blocks_per_term
        for chunk in range(0, len(names), TERMS_PER_CHUNK):
            terms = slice(chunk, chunk + TERMS_PER_CHUNK)
            first_of_chunk = int(first_block[chunk])
            in_chunk = slice(first_of_chunk, int(blocks_end[min(chunk + TERMS_PER_CHUNK, len(names)) - 1]))
            blocks = list(
                zip(
                    block_starts[in_chunk].tolist(),
                    block_ends[in_chunk].tolist(),
                    block_max_freq[in_chunk].tolist(),
                    block_min_freq[in_chunk].tolist(),
                    block_low[in_chunk].tolist(),
                    block_high[in_chunk].tolist(),
                    block_last[in_chunk].tolist(),
                )
            )
            per_term = zip(
                lexical[terms].tolist(),
                (first_block[terms] - first_of_chunk).tolist(),
                blocks_per_term[terms].tolist(),
                counts[terms].tolist(),
                term_weight[terms].tolist(),
                term_max_freq[terms].tolist(),
                term_low[terms].tolist(),
                term_high[terms].tolist(),
                term_first[terms].tolist(),
                term_last[terms].tolist(),
            )
            for number, first, nblocks, count, weight, max_freq, low, high, min_id, max_id in per_term:
                offset, size = postings_file.write_blocks(blocks[first : first + nblocks], delta_bytes, weight_bytes, value_bytes if values else None)
                info = _TERMINFO.pack(0, float(weight), count, low, high, float(max_freq), min_id, max_id) + pack_long(offset) + pack_int(size)
                yield names[number].encode("utf-8"), info


# The quantized lengths Whoosh stores, in order: a quantized length's byte is its index here.
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


def _length_bytes(quantized: np.ndarray) -> np.ndarray:
    return np.searchsorted(_LENGTH_OF_BYTE, quantized)


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
        self._field = {name: whoosh_schema[name] for name in whoosh_schema.names()}

    def add(self, passage: Passage) -> None:
        docnum = self.docnum
        texts = contract.text_fields(passage)
        perdoc = self.perdoc
        field = self._field
        perdoc.start_doc(docnum)
        for name, value in stored_fields(passage).items():
            perdoc.add_field(name, field[name], value, 0)
        lengths = {}
        for name, postings in self.fields.items():
            length = postings.add(docnum, self.analyses[name](texts[name]))
            lengths[name] = length
            self.postings += length
            self.lengths[name].append(quantized_length(length) if length else 0)
            if length:
                perdoc.add_field(name, field[name], None, length)
        perdoc.finish_doc()
        self.columns.add(passage, lengths, texts[contract.UNIGRAM])
        self.docnum += 1

    def _value_fields(self) -> dict[str, _FieldPostings]:
        """The postings of the facet fields and ``doc_id``, from the segment's columns (a
        passage's values are in its row, integer-coded)."""
        arrays, tables = self.columns.arrays()
        rows = np.arange(self.docnum, dtype=np.int32)
        out = {}
        for name in VALUE_FIELDS:
            terms = [_folded(indexed_value(name, value)) for value in tables[name]]
            out[name] = _FieldPostings.of_values(terms, arrays[f"cat.{name}"], rows)
        for name in MULTI_VALUE_FIELDS:
            offsets = arrays[f"multi.{name}.offsets"]
            owners = np.repeat(rows, np.diff(offsets))
            out[name] = _FieldPostings.of_values([normalize(v) for v in tables[name]], arrays[f"multi.{name}.codes"], owners)
        out[DOC_ID] = _FieldPostings.of_values(tables["doc"], arrays["doc"], rows)
        return out

    def finish(self):
        """Write the term table, postings and columns; return the (picklable) segment."""
        self.perdoc.close()
        writer = self.codec.field_writer(self.storage, self.segment)
        postfile = _PostingsFile(writer._postfile)
        fields = {**self.fields, **self._value_fields()}
        self.fields = {}
        unscored = np.zeros(self.docnum, dtype=np.int32)
        for name in sorted(fields):
            postings = fields.pop(name)
            if not postings.ids:
                continue
            field = self._field[name]
            writer.start_field(name, field)
            prefix = pack_ushort(writer._fieldid)
            add_term = writer._tindex.add
            lengths = np.frombuffer(self.lengths[name], dtype=np.int32) if name in self.lengths else unscored
            for term, info in postings.write(postfile, lengths, values=field.format.posting_size != 0):
                add_term(prefix + term, info)
            writer.finish_field()
        writer.close()
        self.segment.set_doc_count(self.docnum)
        self.columns.write(self.generation / contract.COLUMNS_DIRECTORY, self.segment.segment_id())
        return self.segment


def _folded(value: str | None) -> str | None:
    return None if value is None else normalize(value)


class _PostingsFile:
    """Writes posting lists in the W3 codec's layout (what ``W3PostingsWriter`` writes posting
    by posting), a whole term at a time, keeping the file offset itself."""

    def __init__(self, postfile):
        self.file = postfile
        self.offset = postfile.tell()

    def write_blocks(self, blocks: list[tuple], deltas: memoryview, weights: memoryview, values: memoryview | None) -> tuple[int, int]:
        """Write one term's blocks (start, end, max and min frequency, length bytes, last id of
        each, indexes into the field's posting arrays); return the term's (offset, size).
        ``values`` None: the format stores no posting values."""
        pieces = [WHOOSH3_HEADER_MAGIC]
        last = len(blocks) - 1
        for i, (start, end, max_freq, min_freq, low, high, last_id) in enumerate(blocks):
            block_deltas = array("I")
            block_deltas.frombytes(deltas[4 * start : 4 * end])
            if max_freq == min_freq:
                block_weights = None if max_freq == 1 else float(max_freq)
            else:
                block_weights = array("f")
                block_weights.frombytes(weights[4 * start : 4 * end])
            compression = COMPRESSION if end - start >= COMPRESS_FROM else 0
            block_values = None if values is None else bytes(values[4 * start : 4 * end])
            data = pickle.dumps((block_deltas, block_weights, block_values), PICKLE_PROTOCOL)
            if compression:
                data = zlib.compress(data, compression)
            info = pickle.dumps((end - start, last_id, float(max_freq), compression, low, high), 2)
            size = len(info) + len(data)
            pieces += (pack_int(-size if i == last else size), info, data)
        blob = b"".join(pieces)
        self.file.write(blob)
        offset = self.offset
        self.offset += len(blob)
        return offset, len(blob)


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
        contract.link_segment_columns(previous, self.generation, segment_id, _link)
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
        contract.write_merged_columns(self.generation / contract.COLUMNS_DIRECTORY, [segment.segment_id() for segment in segments])

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
