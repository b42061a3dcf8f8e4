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
    *sql.LENGTH_COLUMNS.values(), *sql.CATEGORY_COLUMNS, sql.THEMES, "body", "grams",
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
        self._records: list[str] = []
        self._words: dict[tuple[int, str], tuple[array, array]] = {}
        self._df = Frequencies()
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
        body, terms = self._analysis.terms(passage)
        self._df.add(terms)
        for field, found in terms.items():
            # Words: every posting. Grams: only where one occurs more than once (a passage the
            # grams index finds holds it once unless listed here: a tenth of the postings).
            gram = field in (UNIGRAM_CODE, BIGRAM_CODE)
            for term, tf in found.items():
                if gram and tf == 1:
                    continue
                entry = self._words.get((field, term))
                if entry is None:
                    entry = self._words[field, term] = (array("q"), array("l"))
                entry[0].append(pid)
                entry[1].append(tf)
                self.postings += POSTINGS_SCALE
        lengths = {
            contract.UNIGRAM: sum(terms[UNIGRAM_CODE].values()),
            contract.BIGRAM: sum(terms[BIGRAM_CODE].values()),
            contract.WORDS: sum(terms[WORDS_CODE].values()),
            contract.HEADING_WORDS: sum(terms[HEADING_CODE].values()),
        }
        categories = contract.category_values(passage)
        row = [
            str(pid), str(self.generation), str(self.segment), passage.passage_id, passage.doc_id, str(passage.ordinal),
            "t" if passage.is_heading else "f",
            *(str(lengths[field]) for field in sql.LENGTH_COLUMNS),
            *(categories[name] for name in sql.CATEGORY_COLUMNS),
            _text_array(list(passage.themes)), body,
            sql.tsvector_literal([*terms[UNIGRAM_CODE], *terms[BIGRAM_CODE], *sql.word_lexemes(terms[WORDS_CODE])]),
        ]
        self._rows.append("\t".join(copy_field(value) for value in row) + "\n")
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
        """Write what is left, the posting arrays and the document frequencies; the segment number."""
        if self._connection is None:
            return None
        self._flush()
        connection = self._connection
        lines = (f"{field}\t{copy_field(word)}\t{self.segment}\t{_array(pids)}\t{_array(tfs)}\n" for (field, word), (pids, tfs) in self._words.items())
        copy_lines(connection, f"COPY {self.schema}.postings (field, term, segment, pids, tfs) FROM STDIN", lines, 2000)
        self._words = {}
        copy_df(connection, self.schema, self.segment, self._df)
        self._df = Frequencies()
        connection.close()
        self._connection = None
        return self.segment


def document_row(document: Document) -> str:
    return json.dumps(vars(document), ensure_ascii=False)
