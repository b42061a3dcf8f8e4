"""Sink: write passage records into a Whoosh index.

Whoosh is the on-disk format (segments, term tables, posting blocks, columns) and what the
search service reads; how the segments get written is ours, because Whoosh's own writer spends
most of an indexing run on a per-posting Python tuple, pickled to temporary runs and merged back
(``PostingPool``). Here:

* the analysis (n-grams, jieba words) runs inside :class:`AnalyzedField`, which hands its
  postings straight to compact per-term arrays (:class:`SegmentBuilder`), no per-token objects;
* a segment is written in one go at the end: terms in order, each term's posting blocks
  encoded from array slices in the W3 codec's format (``tests/test_whoosh_sink.py`` checks
  that every posting, length, column and stored field reads back as Whoosh's writer makes it);
* :class:`IndexBuilder` runs the whole per-report work (read → … → analysis) in ``procs``
  forked processes, each building its own segments, and returns the results in order.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue as queue_module
import shutil
import struct
import traceback
import zlib
from array import array
from itertools import chain
from operator import sub
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from whoosh import fields, formats, index
from whoosh.analysis import IDTokenizer
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.compat import dumps
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files
from whoosh.system import pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer import analysis
from indexer.records import Passage

# Field names the search service relies on.
FACET_FIELDS = ("township", "year", "section", "theme")
THEME_SEPARATOR = "|"

SEGMENT_POSTINGS = 30_000_000  # start a new segment after this many postings (bounds memory)


class AnalyzedField(fields.FieldType):
    """A field indexed by one of the analysis functions (``unigram``, ``bigram``, ``words``).

    ``repeated``: the same values come again and again (the heading path of every passage
    under a heading), so their analysis is memoized.
    """

    def __init__(self, analysis_name: str, repeated: bool = False):
        self.analysis_name = analysis_name
        self.repeated = repeated
        positions = analysis_name == "bigram"
        self.format = formats.Positions() if positions else formats.Frequency()
        self.analyzer = IDTokenizer()  # never used for indexing; Whoosh expects one
        self.vector = None
        self.scorable = True
        self.stored = False
        self.unique = False
        self.column_type = None

    def counts(self, value: str) -> dict[str, int]:
        """Term → frequency for the Frequency fields (``unigram``, ``words``)."""
        if self.analysis_name == "unigram":
            return analysis.unigram_counts(value)
        if getattr(self, "repeated", False):
            return _cached_word_counts(value)
        return _word_counts(value)

    def index(self, value, **kwargs):
        """What Whoosh's own writer asks for: (term bytes, frequency, weight, value bytes)."""
        if self.analysis_name == "bigram":
            encode = self.format.encode
            for gram, positions in analysis.bigram_positions(value).items():
                yield gram.encode("utf-8"), len(positions), float(len(positions)), encode(positions)
            return
        for term, freq in self.counts(value).items():
            yield term.encode("utf-8"), freq, float(freq), pack_uint(freq)

    def self_parsing(self):
        return False

    def process_text(self, qstring, mode="", **kwargs):
        """Terms of a text as this field indexes them (used by Whoosh's more_like)."""
        if self.analysis_name == "words":
            return iter(analysis.index_words(analysis.normalize(qstring)))
        if self.analysis_name == "unigram":
            return iter(analysis.unigram_counts(analysis.normalize(qstring)))
        return iter(analysis.bigram_positions(analysis.normalize(qstring)))


def _word_counts(value: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in analysis.index_words(value):
        counts[word] = counts.get(word, 0) + 1
    return counts


_WORD_CACHE: dict[str, dict[str, int]] = {}


def _cached_word_counts(value: str) -> dict[str, int]:
    found = _WORD_CACHE.get(value)
    if found is None:
        if len(_WORD_CACHE) >= 4096:
            _WORD_CACHE.clear()
        found = _WORD_CACHE[value] = _word_counts(value)
    return found


def schema() -> fields.Schema:
    return fields.Schema(
        passage_id=fields.ID(stored=True, unique=True, sortable=True),
        doc_id=fields.ID(stored=True, sortable=True),
        ordinal=fields.NUMERIC(stored=True),
        paragraph=fields.NUMERIC(stored=True),
        level=fields.STORED(),
        position=fields.NUMERIC(sortable=True, bits=64),
        township=fields.ID(stored=True, sortable=True),
        county=fields.ID(stored=True),
        year=fields.ID(stored=True, sortable=True),
        section=fields.ID(stored=True, sortable=True),
        theme=fields.KEYWORD(stored=True, commas=True),
        theme_key=fields.ID(sortable=True),
        text=fields.STORED(),
        heading_path=fields.STORED(),
        is_heading=fields.STORED(),
        unigram=AnalyzedField("unigram"),
        bigram=AnalyzedField("bigram"),
        words=AnalyzedField("words"),
        heading_words=AnalyzedField("words", repeated=True),
    )


def document_fields(passage: Passage, order: int) -> dict:
    normalized = analysis.normalize(passage.text)
    return {
        "passage_id": passage.passage_id,
        "doc_id": passage.doc_id,
        "ordinal": passage.ordinal,
        "paragraph": passage.paragraph,
        "level": passage.level,
        "position": order * 1_000_000 + passage.ordinal,
        "township": passage.township or "",
        "county": passage.county or "",
        "year": str(passage.year or ""),
        "section": passage.section,
        "theme": ",".join(passage.themes),
        "theme_key": THEME_SEPARATOR.join(passage.themes),
        "text": passage.text,
        "heading_path": passage.heading_path,
        "is_heading": passage.is_heading,
        "unigram": normalized,
        "bigram": normalized,
        "words": normalized,
        "heading_words": analysis.normalize(passage.heading_text),
    }


# ---------------------------------------------------------------------------- one segment


class SegmentBuilder:
    """One new segment of an index: per-document values written as documents arrive, postings
    kept in memory as per-term arrays and written, sorted, by :meth:`finish`."""

    def __init__(self, storage, indexname: str, schema: fields.Schema):
        self.storage = storage
        self.schema = schema
        self.codec = default_codec()
        self.segment = self.codec.new_segment(storage, indexname)
        self.perdoc = self.codec.per_document_writer(storage, self.segment)
        self.docnum = 0
        self.postings = 0
        self.names = sorted(schema.names())
        # field name → term → accumulated postings. Analyzed fields key by str and keep
        # arrays: (docnums, frequencies[, flat positions]); other fields key by bytes and keep
        # lists (docnums, weights, values) exactly as Whoosh's field.index() yields them.
        self.terms: dict[str, dict] = {name: {} for name in self.names if schema[name].indexed}
        # field name → quantized length per document (what Whoosh stores and reads back)
        self.lengths: dict[str, array] = {name: array("I") for name in self.terms}

    def add(self, values: dict) -> None:
        docnum = self.docnum
        perdoc = self.perdoc
        schema = self.schema
        perdoc.start_doc(docnum)
        for name in self.names:
            value = values.get(name)
            field = schema[name]
            length = 0
            if value is not None and field.indexed:
                length = self._index(name, field, value, docnum)
            if name in self.lengths:
                self.lengths[name].append(byte_to_length(length_to_byte(length)) if length else 0)
            if value is None:
                continue
            perdoc.add_field(name, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(name, column, field.to_column_value(value))
        perdoc.finish_doc()
        self.docnum += 1

    def _index(self, name: str, field, value, docnum: int) -> int:
        terms = self.terms[name]
        if isinstance(field, AnalyzedField):
            if field.analysis_name == "bigram":
                length = 0
                for gram, positions in analysis.bigram_positions(value).items():
                    postings = terms.get(gram)
                    if postings is None:
                        postings = terms[gram] = (array("I"), array("I"), array("I"))
                    postings[0].append(docnum)
                    postings[1].append(len(positions))
                    postings[2].extend(positions)
                    length += len(positions)
            else:
                length = 0
                counts = field.counts(value)
                for term, freq in counts.items():
                    postings = terms.get(term)
                    if postings is None:
                        postings = terms[term] = (array("I"), array("I"))
                    postings[0].append(docnum)
                    postings[1].append(freq)
                    length += freq
            self.postings += length
            return length
        length = 0
        scorable = field.scorable
        for tbytes, freq, weight, vbytes in field.index(value):
            postings = terms.get(tbytes)
            if postings is None:
                postings = terms[tbytes] = ([], [], [])
            postings[0].append(docnum)
            postings[1].append(weight)
            if vbytes:
                postings[2].append(vbytes)
            if scorable:
                length += freq
            self.postings += 1
        return length

    def finish(self):
        """Write the term table and postings, close the segment and return it."""
        self.perdoc.close()
        writer = self.codec.field_writer(self.storage, self.segment)
        postings = _PostingsFile(writer._postfile, self.codec)
        for name in sorted(self.terms):
            terms = self.terms[name]
            if not terms:
                continue
            field = self.schema[name]
            writer.start_field(name, field)
            prefix = pack_ushort(writer._fieldid)
            add_term = writer._tindex.add
            lengths = self.lengths[name]
            if isinstance(field, AnalyzedField):
                positions = field.analysis_name == "bigram"
                for term in sorted(terms):  # str order is UTF-8 byte order
                    ids, freqs, *flat = terms[term]
                    values = _positions_values(freqs, flat[0]) if positions else _frequency_values(freqs)
                    add_term(prefix + term.encode("utf-8"), postings.write_term(ids, array("f", freqs), values, lengths))
            else:
                fixed = field.format.fixed_value_size()
                for tbytes in sorted(terms):
                    ids, weights, values = terms[tbytes]
                    if fixed == 0:
                        blocks = None
                    elif fixed is not None and fixed > 0:
                        blocks = lambda start, end, v=values: b"".join(v[start:end])  # noqa: E731
                    else:
                        blocks = lambda start, end, v=values: tuple(v[start:end])  # noqa: E731
                    add_term(prefix + tbytes, postings.write_term(array("I", ids), array("f", weights), blocks, lengths))
            writer.finish_field()
            terms.clear()
        writer.close()
        self.segment.set_doc_count(self.docnum)
        if self.segment.should_assemble():
            self.segment.create_compound_file(self.storage)
        return self.segment


class _PostingsFile:
    """Writes posting lists in the W3 codec's format (what ``W3PostingsWriter`` writes posting by
    posting), a whole term at a time, and keeps the file offset itself (``tell`` is a system call)."""

    def __init__(self, postfile, codec):
        if codec._inlinelimit > 1:
            raise ValueError("inlined posting lists are not supported")
        self.file = postfile
        self.offset = postfile.tell()
        self.block = codec._blocklimit
        self.compression = codec._compression

    def write_term(self, ids: array, weights: array, values, lengths: array) -> bytes:
        """Write one term's postings; return its term-table entry (``W3TermInfo`` bytes).

        ``values(start, end)`` gives a block's minified values (None: the format stores none).
        """
        count = len(ids)
        pieces = [WHOOSH3_HEADER_MAGIC]
        total_weight = 0
        min_length = None
        max_length = 0
        max_weight = 0
        for start in range(0, count, self.block):
            end = min(start + self.block, count)
            block_ids = ids[start:end]
            block_weights = weights[start:end]
            block_lengths = [lengths[d] for d in block_ids]
            nonzero = [n for n in block_lengths if n]
            low = min(nonzero) if nonzero else None
            high = max(block_lengths)
            heaviest = max(block_weights)
            total_weight += sum(block_weights)
            min_length = low if min_length is None else min(min_length, low)
            max_length = max(max_length, high)
            max_weight = max(max_weight, heaviest)
            first = block_weights[0]
            if block_weights.count(first) == end - start:
                mini_weights = None if first == 1.0 else first
            else:
                mini_weights = tuple(block_weights)
            deltas = tuple(map(sub, block_ids, chain((0,), block_ids)))
            data = dumps((deltas, mini_weights, values(start, end) if values else None), 2)
            if self.compression:
                data = zlib.compress(data, self.compression)
            info = dumps((end - start, block_ids[-1], heaviest, self.compression, length_to_byte(low), length_to_byte(high)), 2)
            size = len(info) + len(data)
            pieces += (pack_int(-size if end == count else size), info, data)
        blob = b"".join(pieces)
        self.file.write(blob)
        terminfo = W3TermInfo(total_weight, count, min_length, max_length, max_weight, ids[0], ids[-1])
        terminfo.set_extent(self.offset, len(blob))
        self.offset += len(blob)
        return terminfo.to_bytes()


def _frequency_values(freqs: array):
    return lambda start, end: struct.pack(f"!{end - start}I", *freqs[start:end])  # fixed 4 bytes each


_POSITIONS = formats.Positions()
# Most bigrams occur once in a passage: their encoded value, by position, made once.
_ONE_POSITION = [_POSITIONS.encode([p]) for p in range(4096)]


def _positions_values(freqs: array, flat: array):
    starts = array("I", [0])
    running = 0
    for freq in freqs:
        running += freq
        starts.append(running)

    def values(start: int, end: int) -> tuple:
        out = []
        for i in range(start, end):
            first, stop = starts[i], starts[i + 1]
            if stop - first == 1 and flat[first] < 4096:
                out.append(_ONE_POSITION[flat[first]])
            else:
                out.append(_POSITIONS.encode(flat[first:stop].tolist()))
        return tuple(out)

    return values


def commit(directory: Path, segments: list) -> None:
    """Make ``segments`` the content of the (new, empty) index at ``directory``."""
    storage = FileStorage(str(directory))
    ix = index.open_dir(str(directory))
    generation = ix.latest_generation() + 1
    TOC(ix.schema, segments, generation).write(storage, ix.indexname)
    clean_files(storage, ix.indexname, generation, segments)
    shutil.rmtree(directory / f"{ix.indexname}.tmp", ignore_errors=True)  # the per-document writers' scratch space


# ---------------------------------------------------------------------------- whole index


def write(directory: Path, passages: Iterable[tuple[int, Passage]], procs: int = 1) -> int:
    """Write ``(document order, passage)`` pairs into a new index at ``directory`` (one process)."""
    directory.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(directory), schema())
    builder = SegmentBuilder(FileStorage(str(directory)), ix.indexname, ix.schema)
    segments = []
    count = 0
    for order, passage in passages:
        builder.add(document_fields(passage, order))
        count += 1
        if builder.postings >= SEGMENT_POSTINGS:
            segments.append(builder.finish())
            builder = SegmentBuilder(FileStorage(str(directory)), ix.indexname, ix.schema)
    if builder.docnum or not segments:
        segments.append(builder.finish())
    commit(directory, segments)
    return count


Work = Callable[[Any], tuple[Any, list[tuple[int, Passage]]]]


class WorkerFailed(RuntimeError):
    pass


def _worker(directory: str, work: Work, jobs, results, segment_postings: int) -> None:
    try:
        ix = index.open_dir(directory)
        storage = FileStorage(directory)
        builder = SegmentBuilder(storage, ix.indexname, ix.schema)
        segments, count = [], 0
        while True:
            batch = jobs.get()
            if batch is None:
                break
            done = []
            for seq, job in batch:
                result, passages = work(job)
                for order, passage in passages:
                    builder.add(document_fields(passage, order))
                    count += 1
                done.append((seq, result))
                if builder.postings >= segment_postings:
                    segments.append(builder.finish())
                    builder = SegmentBuilder(storage, ix.indexname, ix.schema)
            results.put(("results", done))
        if builder.docnum:
            segments.append(builder.finish())
        results.put(("done", segments, count))
    except BaseException:
        results.put(("error", traceback.format_exc()))


class IndexBuilder:
    """A new index at ``directory``, filled by ``work(job) → (result, [(order, passage)])``.

    :meth:`map` runs ``work`` on every job — in ``procs`` forked processes, each indexing the
    passages of its jobs into its own segments — and yields the results in job order;
    :meth:`commit` then publishes all segments and returns the number of passages.
    """

    def __init__(self, directory: Path, procs: int = 1, batch: int = 2, segment_postings: int = SEGMENT_POSTINGS):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.ix = index.create_in(str(directory), schema())
        self.procs = procs if procs > 1 and "fork" in multiprocessing.get_all_start_methods() else 1
        self.batch = batch
        self.segment_postings = segment_postings
        self.segments: list = []
        self.count = 0
        self._processes: list = []

    def map(self, work: Work, jobs: Iterable[Any]) -> Iterator[Any]:
        if self.procs == 1:
            builder = SegmentBuilder(FileStorage(str(self.directory)), self.ix.indexname, self.ix.schema)
            for job in jobs:
                result, passages = work(job)
                for order, passage in passages:
                    builder.add(document_fields(passage, order))
                    self.count += 1
                if builder.postings >= self.segment_postings:
                    self.segments.append(builder.finish())
                    builder = SegmentBuilder(FileStorage(str(self.directory)), self.ix.indexname, self.ix.schema)
                yield result
            if builder.docnum or not self.segments:
                self.segments.append(builder.finish())
            return
        yield from self._map_parallel(work, jobs)

    def _map_parallel(self, work: Work, jobs: Iterable[Any]) -> Iterator[Any]:
        analysis.tokenizer()  # load jieba before forking, so the workers share it
        # Leave what the workers inherit (dictionaries, tables) out of their garbage collection:
        # collecting would touch, and so copy, every shared page.
        gc.freeze()
        context = multiprocessing.get_context("fork")
        job_queue = context.Queue(self.procs * 4)
        results = context.Queue()
        self._processes = [
            context.Process(target=_worker, args=(str(self.directory), work, job_queue, results, self.segment_postings), daemon=True)
            for _ in range(self.procs)
        ]
        for process in self._processes:
            process.start()
        pending: dict[int, Any] = {}
        next_out = 0
        sent = 0
        in_flight = 0
        finished = 0
        iterator = iter(enumerate(jobs))
        exhausted = False

        def receive(block: bool) -> None:
            nonlocal in_flight, finished
            while True:
                try:
                    message = results.get(timeout=1.0) if block else results.get_nowait()
                except queue_module.Empty:
                    if not block:
                        return
                    dead = [p for p in self._processes if not p.is_alive() and p.exitcode not in (0, None)]
                    if dead:
                        raise WorkerFailed(f"an indexing process died (exit code {dead[0].exitcode})")
                    continue
                kind = message[0]
                if kind == "error":
                    raise WorkerFailed(f"indexing process failed:\n{message[1]}")
                if kind == "results":
                    in_flight -= 1
                    for seq, result in message[1]:
                        pending[seq] = result
                else:
                    self.segments += message[1]
                    self.count += message[2]
                    finished += 1
                return

        try:
            while not exhausted or next_out < sent:
                while not exhausted and in_flight < self.procs * 3:
                    batch = []
                    for _ in range(self.batch):
                        try:
                            batch.append(next(iterator))
                        except StopIteration:
                            exhausted = True
                            break
                    if batch:
                        job_queue.put(batch)
                        sent += len(batch)
                        in_flight += 1
                if next_out < sent:
                    receive(block=next_out not in pending)
                    while next_out in pending:
                        yield pending.pop(next_out)
                        next_out += 1
            for _ in self._processes:
                job_queue.put(None)
            while finished < len(self._processes):
                receive(block=True)
            for process in self._processes:
                process.join()
        except BaseException:
            self.cancel()
            raise
        finally:
            gc.unfreeze()

    def cancel(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.kill()
            process.join()
        self._processes = []

    def commit(self) -> int:
        if not self.segments:
            builder = SegmentBuilder(FileStorage(str(self.directory)), self.ix.indexname, self.ix.schema)
            self.segments.append(builder.finish())
        commit(self.directory, self.segments)
        return self.count
