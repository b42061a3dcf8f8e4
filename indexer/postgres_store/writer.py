"""The PostgreSQL sink's segment writers: one per indexing process, each on its own connection,
copying passages, word postings, facet summaries and document frequencies into the database;
:class:`indexer.postgres_store.store.PostgresSink` publishes them as a generation.

A segment is what one writer wrote: its report versions, their passages (``pid = segment << 24
| n``), its posting arrays (per field and term), the summaries of its common lexemes and its
share of the document frequencies. Rows are committed as they are written but belong to no
published generation until the sink moves the pointer; a build that fails or is killed leaves
rows that the next build removes.

Per passage the work is what jieba and the gram counts cost; everything else is C-level
bulk work on what they return (flat posting arrays grouped with numpy when the segment ends,
the tsvector written out in one join).
"""

from __future__ import annotations

import json
import os
from array import array
from collections import Counter
from itertools import compress, repeat

import numpy as np
import psycopg

from indexer import analysis, contract, records
from indexer.normalize import normalize
from indexer.postgres_store import schema as sql
from indexer.records import Document, Passage

SEGMENT_BITS = 24  # passages per segment at most 2**24
COPY_BATCH = 2000  # passage rows per COPY
POSTINGS_SCALE = 4  # what a posting counts for against ParallelIndexer's segment bound
# Summaries: after this many passages of a segment, the lexemes held by at least this share of
# them are counted (with their facet values) for the rest of the segment.
SUMMARY_FROM = int(os.environ.get("TOWNSHIP_PG_SUMMARY_FROM", "1000"))
SUMMARY_SHARE = float(os.environ.get("TOWNSHIP_PG_SUMMARY_SHARE", "0.02"))
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
WORDS_CODE, HEADING_CODE = sql.FIELD_CODES[contract.WORDS], sql.FIELD_CODES[contract.HEADING_WORDS]
UNIGRAM_CODE, BIGRAM_CODE = sql.FIELD_CODES[contract.UNIGRAM], sql.FIELD_CODES[contract.BIGRAM]
PASSAGE_COLUMNS = (
    "pid",
    "born",
    "version",
    "ordinal",
    *sql.LENGTH_COLUMNS.values(),
    *sql.WIDE_CODED,
    *sql.NUMERIC,
    *sql.NARROW_CODED,
    "is_heading",
    sql.THEMES,
    "body",
    "grams",
)
_MORE_THAN_ONCE = (1).__lt__


def copy_field(value: str) -> str:
    """A value in COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def _array(values) -> str:
    return "{" + ",".join(map(str, values)) + "}"


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

    def terms(self, passage: Passage) -> tuple[str, dict[int, Counter]]:
        """The normalized body, and per field code its terms with their frequencies."""
        body = normalize(passage.text).replace("\x00", " ")
        return body, {
            UNIGRAM_CODE: analysis.unigram_counts(body),
            BIGRAM_CODE: analysis.bigram_counts(body),
            WORDS_CODE: analysis.word_counts(body),
            HEADING_CODE: self.heading_words(passage.heading_text),
        }


class Frequencies(dict):
    """Field code → term → passages holding it."""

    def __init__(self):
        super().__init__({code: Counter() for code in sql.FIELD_CODES.values()})

    def add(self, terms: dict[int, Counter]) -> None:
        for code, found in terms.items():
            self[code].update(found.keys())


def df_counts(analysed: PassageAnalysis, passages) -> Frequencies:
    """The document frequencies ``passages`` add."""
    counted = Frequencies()
    for passage in passages:
        counted.add(analysed.terms(passage)[1])
    return counted


def copy_lines(connection: psycopg.Connection, statement: str, lines, batch: int = 5000) -> None:
    """``COPY … FROM STDIN`` of ``lines`` (text format), sent ``batch`` lines at a time."""
    with connection.cursor().copy(statement) as copy:
        pending = []
        for line in lines:
            pending.append(line)
            if len(pending) >= batch:
                copy.write("".join(pending))
                pending = []
        if pending:
            copy.write("".join(pending))


def copy_df(connection: psycopg.Connection, schema: str, segment: int, counted: Frequencies, sign: int = 1) -> None:
    lines = (f"{segment}\t{code}\t{copy_field(term)}\t{sign * df}\n" for code, terms in counted.items() for term, df in terms.items())
    copy_lines(connection, f"COPY {schema}.segment_df (segment, field, term, df) FROM STDIN", lines)


def facet_values(passage: Passage) -> dict[str, list[str]]:
    """The passage's value(s) of every facet column ("" when unknown)."""
    single = contract.category_values(passage)
    return {**{name: [single[name]] for name in sql.SINGLE_COLUMNS}, sql.THEME: list(passage.themes)}


def facet_lexemes(values: dict[str, list[str]]) -> list[str]:
    """The lexemes a filter finds a passage by, and the one every passage holds."""
    return [sql.facet_lexeme(name, value) for name, held in values.items() for value in held] + [sql.EVERY_PASSAGE]


class _TermIds(dict):
    """Term → number in order of first appearance."""

    def __missing__(self, term: str) -> int:
        number = self[term] = len(self)
        return number


class _FlatPostings:
    """One field's postings in a segment as flat arrays (term number, passage number, frequency),
    grouped per term with numpy when the segment ends."""

    def __init__(self):
        self.ids = _TermIds()
        self.terms = array("i")
        self.docs = array("i")
        self.freqs = array("i")

    def add(self, docnum: int, terms, freqs) -> None:
        before = len(self.terms)
        self.terms.extend(map(self.ids.__getitem__, terms))
        self.freqs.extend(freqs)
        self.docs.extend(repeat(docnum, len(self.terms) - before))

    def __len__(self) -> int:
        return len(self.terms)

    def lines(self, field: int, segment: int):
        """COPY lines of ``postings``: per term its passages (ascending) and frequencies."""
        if not self.ids:
            return
        names = list(self.ids)
        terms = np.frombuffer(self.terms, dtype=np.int32)
        order = np.argsort(terms, kind="stable")  # passages were added in ascending order
        docs = np.frombuffer(self.docs, dtype=np.int32)[order].astype(np.int64) + (segment << SEGMENT_BITS)
        freqs = np.frombuffer(self.freqs, dtype=np.int32)[order]
        counts = np.bincount(terms, minlength=len(names))
        ends = np.cumsum(counts).tolist()
        docs_text = docs.astype(str)
        freqs_text = freqs.astype(str)
        start = 0
        for number, end in enumerate(ends):
            if end > start:
                yield f"{field}\t{copy_field(names[number])}\t{segment}\t{{{','.join(docs_text[start:end])}}}\t{{{','.join(freqs_text[start:end])}}}\n"
            start = end


class _Summaries:
    """Facet value counts of the segment's common lexemes.

    The first ``start`` passages only count how many hold each lexeme; the lexemes held by at
    least ``share`` of them are then counted, with every facet value of each passage holding
    them, until the segment ends (what a common term's answer needs; the passages before, and
    the lexemes not followed, are counted over their rows when asked)."""

    def __init__(self, start: int, share: float):
        self.start = start
        self.share = share
        self.seen: Counter | None = Counter()
        self.tracked: frozenset[str] = frozenset()
        self.passages = Counter()
        self.values: dict[tuple[int, int], Counter] = {}
        self.from_docnum: int | None = None

    def add(self, docnum: int, lexemes: tuple, values: list[tuple[int, int]]) -> None:
        """``lexemes``: iterables of the passage's lexemes (disjoint); ``values``: its (facet
        number, code) pairs."""
        if self.seen is not None:
            if docnum < self.start:
                for part in lexemes:
                    self.seen.update(part)
                return
            floor = max(1, self.share * self.start)
            self.tracked = frozenset(lexeme for lexeme, held in self.seen.items() if held >= floor)
            self.seen = None
            self.from_docnum = docnum
        keep = self.tracked.__contains__
        hits = [lexeme for part in lexemes for lexeme in filter(keep, part)]
        if not hits:
            return
        self.passages.update(hits)
        counters = self.values
        for key in values:
            counter = counters.get(key)
            if counter is None:
                counter = counters[key] = Counter()
            counter.update(hits)

    def lines(self, segment: int):
        """COPY lines of ``summaries``."""
        if not self.passages:
            return
        entries: dict[str, tuple[list, list, list]] = {lexeme: ([], [], []) for lexeme in self.passages}
        for (facet, code), counter in self.values.items():
            for lexeme, count in counter.items():
                entry = entries[lexeme]
                entry[0].append(facet)
                entry[1].append(code)
                entry[2].append(count)
        for lexeme, (facets, codes, counts) in entries.items():
            yield f"{copy_field(lexeme)}\t{segment}\t{self.passages[lexeme]}\t{_array(facets)}\t{_array(codes)}\t{_array(counts)}\n"


class FacetCodes:
    """The small integers ``passages`` holds for facet values (``facet_values``): the same in
    every process and build; a value seen first is added under a lock."""

    def __init__(self, connection: psycopg.Connection, schema: str):
        self.connection = connection
        self.schema = schema
        self.codes: dict[tuple[str, str], int] = {
            (facet, value): code for facet, code, value in connection.execute(f"SELECT facet, code, value FROM {schema}.facet_values")
        }

    def code(self, facet: str, value: str) -> int:
        found = self.codes.get((facet, value))
        if found is None:
            found = self.codes[facet, value] = self._add(facet, value)
        return found

    def _add(self, facet: str, value: str) -> int:
        s = self.schema
        with self.connection.transaction():
            self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (sql.CODES_LOCK,))
            self.connection.execute(
                f"INSERT INTO {s}.facet_values (facet, code, value) SELECT %(facet)s, coalesce(max(code) + 1, 0), %(value)s "
                f"FROM {s}.facet_values WHERE facet = %(facet)s ON CONFLICT (facet, value) DO NOTHING",
                {"facet": facet, "value": value},
            )
            return self.connection.execute(f"SELECT code FROM {s}.facet_values WHERE facet = %s AND value = %s", (facet, value)).fetchone()[0]


class PostgresSegmentWriter:
    """One segment: ``add`` passages, ``finish`` writes the rest and returns the segment number.

    The connection opens on the first passage, in the process that writes (never across a fork)."""

    def __init__(self, dsn: str, schema: str, generation: int):
        self.dsn = dsn
        self.schema = schema
        self.generation = generation
        self.docnum = 0
        self.segment: int | None = None
        self._connection: psycopg.Connection | None = None
        self._codes: FacetCodes | None = None
        self._rows: list[str] = []
        self._records: list[str] = []
        self._postings = {code: _FlatPostings() for code in sql.FIELD_CODES.values()}
        self._df = Frequencies()
        self._analysis = PassageAnalysis()
        self._summaries = _Summaries(SUMMARY_FROM, SUMMARY_SHARE)
        self._versions: list[tuple[int, str]] = []  # (version, doc_id) of each report written
        self._spare_versions: list[int] = []

    @property
    def postings(self) -> int:
        """What bounds the segment's memory (ParallelIndexer starts a new segment past a limit)."""
        return POSTINGS_SCALE * sum(len(p) for p in self._postings.values())

    def _open(self) -> psycopg.Connection:
        if self._connection is None:
            self._connection = connect(self.dsn, autocommit=True)
            self.segment = self._connection.execute(f"SELECT nextval('{self.schema}.segment_numbers')").fetchone()[0]
            self._connection.execute(f"INSERT INTO {self.schema}.segments (segment, generation) VALUES (%s, %s)", (self.segment, self.generation))
            self._codes = FacetCodes(self._connection, self.schema)
        return self._connection

    def _version(self, doc_id: str) -> int:
        """The version number of the report ``doc_id`` being written (a new one per report)."""
        if self._versions and self._versions[-1][1] == doc_id:
            return self._versions[-1][0]
        if not self._spare_versions:
            rows = self._connection.execute(f"SELECT nextval('{self.schema}.version_numbers') FROM generate_series(1, 64)").fetchall()
            self._spare_versions = [row[0] for row in reversed(rows)]
        version = self._spare_versions.pop()
        self._versions.append((version, doc_id))
        return version

    def add(self, passage: Passage) -> None:
        self._open()
        docnum = self.docnum
        if docnum >= 1 << SEGMENT_BITS:
            raise OverflowError("a segment holds at most 2**24 passages")
        pid = (self.segment << SEGMENT_BITS) | docnum
        version = self._version(passage.doc_id)
        body, terms = self._analysis.terms(passage)
        self._df.add(terms)
        unigrams, bigrams, words, headings = terms[UNIGRAM_CODE], terms[BIGRAM_CODE], terms[WORDS_CODE], terms[HEADING_CODE]
        # Words: every posting. Grams: only where one occurs more than once (a passage the grams
        # index finds holds it once unless listed here: a tenth of the postings).
        self._postings[WORDS_CODE].add(docnum, words, words.values())
        self._postings[HEADING_CODE].add(docnum, headings, headings.values())
        for code, grams in ((UNIGRAM_CODE, unigrams), (BIGRAM_CODE, bigrams)):
            repeated = list(map(_MORE_THAN_ONCE, grams.values()))
            self._postings[code].add(docnum, compress(grams, repeated), compress(grams.values(), repeated))
        values = facet_values(passage)
        codes = self._codes
        single = [
            codes.code(name, value[0]) if name in sql.CODED else (int(value[0]) if value[0] else sql.UNKNOWN_YEAR)
            for name, value in values.items()
            if name != sql.THEME
        ]
        themes = [codes.code(sql.THEME, value) for value in values[sql.THEME]]
        lexemes = facet_lexemes(values)
        self._summaries.add(
            docnum,
            (unigrams, bigrams, lexemes),
            [*zip(range(len(single)), single), *zip(repeat(sql.FACET_NUMBERS[sql.THEME]), themes)],
        )
        # Where the passage is (what a summary of its segment leaves to count over rows).
        lexemes += sql.place_lexemes(self.segment, version, docnum < self._summaries.start)
        row = (
            f"{pid}\t{self.generation}\t{version}\t{passage.ordinal}\t{sum(unigrams.values())}\t{sum(bigrams.values())}\t"
            f"{sum(words.values())}\t{sum(headings.values())}\t"
            + "\t".join(map(str, single))
            + f"\t{'t' if passage.is_heading else 'f'}\t{_array(themes)}\t{copy_field(body)}\t"
            + copy_field(sql.tsvector_literal([*unigrams, *bigrams, *sql.word_lexemes(words), *lexemes]))
            + "\n"
        )
        self._rows.append(row)
        self._records.append(f"{pid}\t{copy_field(records.to_json(passage))}\n")
        self.docnum += 1
        if len(self._rows) >= COPY_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        connection = self._open()
        copy_lines(connection, f"COPY {self.schema}.passages ({', '.join(PASSAGE_COLUMNS)}) FROM STDIN", self._rows)
        copy_lines(connection, f"COPY {self.schema}.passage_records (pid, record) FROM STDIN", self._records)
        self._rows, self._records = [], []

    def finish(self) -> int | None:
        """Write what is left, the posting arrays, summaries, versions and document frequencies;
        the segment number."""
        if self._connection is None:
            return None
        self._flush()
        connection, s, segment = self._connection, self.schema, self.segment
        for field, postings in self._postings.items():
            copy_lines(connection, f"COPY {s}.postings (field, term, segment, pids, tfs) FROM STDIN", postings.lines(field, segment), 500)
        self._postings = {}
        copy_lines(
            connection, f"COPY {s}.summaries (lexeme, segment, passages, facets, codes, counts) FROM STDIN", self._summaries.lines(segment), 200
        )
        copy_lines(
            connection,
            f"COPY {s}.versions (version, doc_id, born, segment) FROM STDIN",
            (f"{version}\t{copy_field(doc_id)}\t{self.generation}\t{segment}\n" for version, doc_id in self._versions),
        )
        copy_df(connection, s, segment, self._df)
        self._df = Frequencies()
        connection.execute(f"UPDATE {s}.segments SET summarized_from = %s WHERE segment = %s", (self._summaries.from_docnum, segment))
        connection.close()
        self._connection = None
        return segment


def document_row(document: Document) -> str:
    return json.dumps(vars(document), ensure_ascii=False)
