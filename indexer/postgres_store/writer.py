"""The PostgreSQL sink: segment writers (one per indexing process, each on its own connection)
copy passages, word postings and document frequencies into the database; :class:`PostgresSink`
publishes them as a generation.

A segment is what one writer wrote: its passages (``pid = segment << 24 | n``), its posting
arrays (per field and word) and its share of the document frequencies. Rows are committed as
they are written but belong to no published generation until :meth:`PostgresSink.commit`
moves the pointer; a build that fails or is killed leaves rows that the next build removes.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter

import psycopg

from indexer import analysis, contract, records
from indexer.normalize import normalize
from indexer.postgres_store import schema as sql
from indexer.records import Document, Passage

SEGMENT_BITS = 24  # passages per segment at most 2**24
COPY_BATCH = 2000  # passage rows per COPY
POSTINGS_SCALE = 4  # what a word posting counts for against ParallelIndexer's segment bound
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
WORDS_CODE, HEADING_CODE = sql.FIELD_CODES[contract.WORDS], sql.FIELD_CODES[contract.HEADING_WORDS]
UNIGRAM_CODE, BIGRAM_CODE = sql.FIELD_CODES[contract.UNIGRAM], sql.FIELD_CODES[contract.BIGRAM]
PASSAGE_COLUMNS = (
    "pid", "born", "segment", "passage_id", "doc_id", "ordinal", "is_heading",
    *sql.LENGTH_COLUMNS.values(), *sql.CATEGORY_COLUMNS, sql.THEMES, "body", "grams", "words", "record",
)


def copy_field(value: str) -> str:
    """A value in COPY's text format."""
    return value.translate(_ESCAPES)


def _array(values) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _text_array(values: list[str]) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(dsn, application_name="township-indexer", **kwargs)


class PassageAnalysis:
    """What one passage becomes in the database: its grams, words and heading words."""

    def __init__(self):
        self._headings: dict[str, Counter] = {}  # the same heading path repeats for every passage under it

    def heading_words(self, heading_text: str) -> Counter:
        found = self._headings.get(heading_text)
        if found is None:
            if len(self._headings) > 4096:
                self._headings.clear()
            found = self._headings[heading_text] = analysis.word_counts(normalize(heading_text))
        return found

    def terms(self, passage: Passage) -> tuple[str, set[str], Counter, Counter]:
        body = normalize(passage.text).replace("\x00", " ")
        return body, sql.grams(body), analysis.word_counts(body), self.heading_words(passage.heading_text)


def df_counts(analysed: PassageAnalysis, passages) -> Counter:
    """(field code, term) → passages holding it, for ``passages``."""
    counted: Counter = Counter()
    for passage in passages:
        _, grams, words, headings = analysed.terms(passage)
        counted.update((UNIGRAM_CODE if len(g) == 1 else BIGRAM_CODE, g) for g in grams)
        counted.update((WORDS_CODE, w) for w in words)
        counted.update((HEADING_CODE, w) for w in headings)
    return counted


def copy_df(connection: psycopg.Connection, schema: str, segment: int, counted: Counter) -> None:
    with connection.cursor().copy(f"COPY {schema}.segment_df (segment, field, term, df) FROM STDIN") as copy:
        batch = []
        for (field, term), df in counted.items():
            batch.append(f"{segment}\t{field}\t{copy_field(term)}\t{df}\n")
            if len(batch) >= 10000:
                copy.write("".join(batch))
                batch = []
        if batch:
            copy.write("".join(batch))


class PostgresSegmentWriter:
    """One segment: ``add`` passages, ``finish`` writes the rest and returns the segment number.

    The connection opens on the first passage, in the process that writes (never across a fork)."""

    def __init__(self, dsn: str, schema: str, generation: int):
        self.dsn = dsn
        self.schema = schema
        self.generation = generation
        self.docnum = 0
        self.postings = 0
        self.segment: int | None = None
        self._connection: psycopg.Connection | None = None
        self._rows: list[str] = []
        self._words: dict[tuple[int, str], tuple[array, array]] = {}
        self._df: Counter = Counter()
        self._analysis = PassageAnalysis()

    def _open(self) -> psycopg.Connection:
        if self._connection is None:
            self._connection = connect(self.dsn, autocommit=True)
            self.segment = self._connection.execute(f"SELECT nextval('{self.schema}.segment_numbers')").fetchone()[0]
            self._connection.execute(f"INSERT INTO {self.schema}.segments (segment, generation) VALUES (%s, %s)", (self.segment, self.generation))
        return self._connection

    def add(self, passage: Passage) -> None:
        self._open()
        pid = (self.segment << SEGMENT_BITS) | self.docnum
        if self.docnum >= 1 << SEGMENT_BITS:
            raise OverflowError("a segment holds at most 2**24 passages")
        body, grams, words, headings = self._analysis.terms(passage)
        self._df.update((UNIGRAM_CODE if len(g) == 1 else BIGRAM_CODE, g) for g in grams)
        for field, counts in ((WORDS_CODE, words), (HEADING_CODE, headings)):
            for word, tf in counts.items():
                self._df[field, word] += 1
                entry = self._words.get((field, word))
                if entry is None:
                    entry = self._words[field, word] = (array("q"), array("l"))
                entry[0].append(pid)
                entry[1].append(tf)
            self.postings += len(counts) * POSTINGS_SCALE
        lengths = {
            contract.UNIGRAM: len(body) - body.count(" "),
            contract.BIGRAM: max(0, len(body) - 1),
            contract.WORDS: sum(words.values()),
            contract.HEADING_WORDS: sum(headings.values()),
        }
        categories = contract.category_values(passage)
        row = [
            str(pid), str(self.generation), str(self.segment), passage.passage_id, passage.doc_id, str(passage.ordinal),
            "t" if passage.is_heading else "f",
            *(str(lengths[field]) for field in sql.LENGTH_COLUMNS),
            *(categories[name] for name in sql.CATEGORY_COLUMNS),
            _text_array(list(passage.themes)), body, sql.tsvector_literal(grams), sql.tsvector_literal(sql.word_lexemes(words)), records.to_json(passage),
        ]
        self._rows.append("\t".join(copy_field(value) for value in row) + "\n")
        self.docnum += 1
        if len(self._rows) >= COPY_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        with self._open().cursor().copy(f"COPY {self.schema}.passages ({', '.join(PASSAGE_COLUMNS)}) FROM STDIN") as copy:
            copy.write("".join(self._rows))
        self._rows = []

    def finish(self) -> int | None:
        """Write what is left, the posting arrays and the document frequencies; the segment number."""
        if self._connection is None:
            return None
        self._flush()
        connection = self._connection
        with connection.cursor().copy(f"COPY {self.schema}.postings (field, term, segment, pids, tfs) FROM STDIN") as copy:
            batch = []
            for (field, word), (pids, tfs) in self._words.items():
                batch.append(f"{field}\t{copy_field(word)}\t{self.segment}\t{_array(pids)}\t{_array(tfs)}\n")
                if len(batch) >= 2000:
                    copy.write("".join(batch))
                    batch = []
            if batch:
                copy.write("".join(batch))
        self._words = {}
        copy_df(connection, self.schema, self.segment, self._df)
        self._df = Counter()
        connection.close()
        self._connection = None
        return self.segment


def document_row(document: Document) -> str:
    return json.dumps(vars(document), ensure_ascii=False)
