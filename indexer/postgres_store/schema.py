"""The tables a PostgreSQL generation lives in, and the encodings writer and searcher share.

Tables (schema ``township`` unless ``TOWNSHIP_PG_SCHEMA`` says otherwise):

* ``state``: the published generation (one row); moving it is publishing.
* ``generations``: each published generation's manifest and statistics (passages, total length
  of each text field: BM25's averages) and ``base``, the full build its document frequencies
  count from.
* ``documents``: every report's record per generation (its ``order`` is per generation), the
  ``version`` of the report its passages belong to and ``born``, the generation that wrote it.
* ``versions``: every report version written (report, generation, segment): a generation is
  the list of versions its documents name.
* ``passages``: one row per passage, immutable, visible in every generation whose documents
  name its ``version``. A narrow row: the facet values as small integer codes
  (``facet_values``; years as numbers), the length of each text field, the normalized text
  (``body``, for ``strpos``: kept in the row) and the ``grams`` (a ``tsvector`` under GIN, kept
  aside): every character, every pair, ``w:`` + each word of two characters or more (for a term
  that matches by its words), ``f:facet=value`` for each facet value (filters are index
  lookups), ``f:*`` (every passage), and where it is: ``s:`` + its segment (``:w`` added: before
  the segment's summaries begin) and ``v:`` + its report version.
* ``passage_records``: the stored record of each passage (read for a page of hits only).
* ``postings``: per field, term and segment (what one indexing process wrote), the passages
  holding the term and how often (BM25): every jieba word of bodies and heading paths; a
  gram only where it occurs more than once (once is what the grams index says).
* ``summaries``: per segment and common lexeme (a gram or a facet value held by many of the
  segment's passages), the passages holding it and their facet value counts, from the
  segment's ``summarized_from``-th passage on: a common term's total and facet counts are read
  here instead of counted over its matches.
* ``term_df``: document frequencies of grams and words among the live passages of each
  generation, a row per term whenever a generation changes it.
* ``segments``, ``segment_df``: which generation wrote each segment and what it adds to the
  document frequencies, until it is published.
"""

from __future__ import annotations

import os

from indexer import contract

SCHEMA_VERSION = 2
LOCK_KEY = 0x7A6C_6A71  # pg_advisory_lock: one build at a time per database
CODES_LOCK = LOCK_KEY + 2  # pg_advisory_xact_lock: writers adding facet values one at a time

# Field codes of ``postings`` and ``term_df``.
FIELD_CODES = {contract.UNIGRAM: 0, contract.BIGRAM: 1, contract.WORDS: 2, contract.HEADING_WORDS: 3}
LENGTH_COLUMNS = {contract.UNIGRAM: "len_unigram", contract.BIGRAM: "len_bigram", contract.WORDS: "len_words", contract.HEADING_WORDS: "len_heading"}
# Facet columns of ``passages``: codes of ``facet_values`` (wide: int, narrow: smallint), years
# as numbers (0: unknown), and the multi-valued one (codes).
WIDE_CODED = ("township", "county")
NARROW_CODED = ("section", "kind", "period")
NUMERIC = ("year", "about_year")
THEMES = "themes"
THEME = "theme"  # its facet (contract column) name
SINGLE_COLUMNS = WIDE_CODED + NUMERIC + NARROW_CODED  # one value per passage
CODED = WIDE_CODED + NARROW_CODED + (THEME,)  # columns whose values ``facet_values`` codes
FACET_NUMBERS = {name: number for number, name in enumerate(SINGLE_COLUMNS + (THEME,))}  # ``summaries.facet``
UNKNOWN_YEAR = 0

# Lexemes: grams are one or two characters, so a prefixed lexeme (three or more) never meets one.
WORD_PREFIX = "w:"
FACET_PREFIX = "f:"
EVERY_PASSAGE = "f:*"
SEGMENT_PREFIX = "s:"
VERSION_PREFIX = "v:"
BEFORE_SUMMARIES = ":w"


def schema_name() -> str:
    name = os.environ.get("TOWNSHIP_PG_SCHEMA", "township")
    if not name.isidentifier() or not name.isascii():
        raise ValueError(f"TOWNSHIP_PG_SCHEMA must be a plain identifier, not {name!r}")
    return name.lower()


def ddl(schema: str, index_method: str = "gin") -> list[str]:
    """Statements creating every table (idempotent)."""
    s = schema
    lengths = ", ".join(f"{column} integer NOT NULL" for column in LENGTH_COLUMNS.values())
    wide = ", ".join(f"{name} integer NOT NULL" for name in WIDE_CODED)
    narrow = ", ".join(f"{name} smallint NOT NULL" for name in NUMERIC + NARROW_CODED)
    return [
        f"CREATE SCHEMA IF NOT EXISTS {s}",
        f"""CREATE TABLE IF NOT EXISTS {s}.state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  schema_version integer NOT NULL,
  generation integer)""",
        f"CREATE SEQUENCE IF NOT EXISTS {s}.segment_numbers",
        f"CREATE SEQUENCE IF NOT EXISTS {s}.version_numbers",
        f"INSERT INTO {s}.state (schema_version) VALUES ({SCHEMA_VERSION}) ON CONFLICT DO NOTHING",
        f"""CREATE TABLE IF NOT EXISTS {s}.generations (
  generation integer PRIMARY KEY,
  published_at timestamptz NOT NULL DEFAULT now(),
  base integer NOT NULL,
  manifest jsonb NOT NULL,
  passages integer NOT NULL,
  documents integer NOT NULL,
  lengths jsonb NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {s}.documents (
  generation integer NOT NULL,
  doc_id text COLLATE "C" NOT NULL,
  version integer NOT NULL,
  born integer NOT NULL,
  ord integer NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (generation, doc_id))""",
        f"CREATE INDEX IF NOT EXISTS documents_order ON {s}.documents (generation, ord)",
        f"""CREATE TABLE IF NOT EXISTS {s}.versions (
  version integer PRIMARY KEY,
  doc_id text COLLATE "C" NOT NULL,
  born integer NOT NULL,
  segment integer NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {s}.facet_values (
  facet text COLLATE "C" NOT NULL,
  code integer NOT NULL,
  value text COLLATE "C" NOT NULL,
  PRIMARY KEY (facet, code),
  UNIQUE (facet, value))""",
        f"""CREATE TABLE IF NOT EXISTS {s}.passages (
  pid bigint PRIMARY KEY,
  born integer NOT NULL,
  version integer NOT NULL,
  ordinal integer NOT NULL,
  {lengths},
  {wide},
  {narrow},
  is_heading boolean NOT NULL,
  {THEMES} smallint[] NOT NULL,
  body text COLLATE "C" NOT NULL,
  grams tsvector NOT NULL)""",
        # The row is what a match costs to read: the text stays in it (strpos), the grams (read
        # by the index only) go aside.
        f"ALTER TABLE {s}.passages ALTER COLUMN body SET STORAGE MAIN, ALTER COLUMN grams SET STORAGE EXTERNAL, ALTER COLUMN {THEMES} SET STORAGE PLAIN",
        f"""CREATE TABLE IF NOT EXISTS {s}.passage_records (
  pid bigint PRIMARY KEY,
  record jsonb NOT NULL)""",
        f"CREATE INDEX IF NOT EXISTS passages_grams ON {s}.passages USING {index_method} (grams)"
        + (" WITH (fastupdate = on, gin_pending_list_limit = 65536)" if index_method == "gin" else ""),
        f"CREATE INDEX IF NOT EXISTS passages_version ON {s}.passages (version, ordinal)",
        f"""CREATE TABLE IF NOT EXISTS {s}.postings (
  field smallint NOT NULL,
  term text COLLATE "C" NOT NULL,
  segment integer NOT NULL,
  pids bigint[] NOT NULL,
  tfs integer[] NOT NULL,
  PRIMARY KEY (field, term, segment))""",
        f"""CREATE TABLE IF NOT EXISTS {s}.summaries (
  lexeme text COLLATE "C" NOT NULL,
  segment integer NOT NULL,
  passages integer NOT NULL,
  facets smallint[] NOT NULL,
  codes integer[] NOT NULL,
  counts integer[] NOT NULL,
  PRIMARY KEY (lexeme, segment))""",
        f"""CREATE TABLE IF NOT EXISTS {s}.term_df (
  field smallint NOT NULL,
  term text COLLATE "C" NOT NULL,
  generation integer NOT NULL,
  df integer NOT NULL,
  PRIMARY KEY (field, term, generation))""",
        f"""CREATE TABLE IF NOT EXISTS {s}.segments (
  segment integer PRIMARY KEY,
  generation integer NOT NULL,
  summarized_from integer)""",
        # What each segment adds to the document frequencies (and, under segment -G, what
        # generation G's removals take away): read when G is published, then dropped.
        f"""CREATE TABLE IF NOT EXISTS {s}.segment_df (
  segment integer NOT NULL,
  field smallint NOT NULL,
  term text COLLATE "C" NOT NULL,
  df integer NOT NULL)""",
    ]


# ---------------------------------------------------------------------------- lexemes and literals


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def word_lexeme(word: str) -> str:
    return WORD_PREFIX + word


def word_lexemes(words) -> list[str]:
    """Lexemes of the jieba words of a body that can match together (two characters or more)."""
    return [WORD_PREFIX + word for word in words if len(word) >= 2]


def facet_lexeme(column: str, value: str) -> str:
    """The lexeme of a passage holding ``value`` ("" when unknown) in facet column ``column``."""
    return f"{FACET_PREFIX}{column}={value}"


def place_lexemes(segment: int, version: int, before_summaries: bool) -> list[str]:
    """The lexemes of a passage's segment (``:w`` also: among the passages its summaries leave
    out) and report version."""
    place = [f"{SEGMENT_PREFIX}{segment}", f"{VERSION_PREFIX}{version}"]
    return place + [f"{SEGMENT_PREFIX}{segment}{BEFORE_SUMMARIES}"] if before_summaries else place


def tsvector_literal(lexemes) -> str:
    """A ``tsvector`` written out (no positions): PostgreSQL's parser never sees the text."""
    lexemes = list(lexemes)
    if not lexemes:
        return ""
    together = "".join(lexemes)
    if "'" in together or "\\" in together:  # rare: escape what needs it, lexeme by lexeme
        return " ".join(_quoted(lexeme) for lexeme in lexemes)
    return "'" + "' '".join(lexemes) + "'"


def tsquery_all(lexemes) -> str:
    """A ``tsquery`` holding every one of ``lexemes``."""
    return " & ".join(_quoted(lexeme) for lexeme in lexemes)


def tsquery_any(lexemes) -> str:
    """A ``tsquery`` holding any one of ``lexemes``."""
    return " | ".join(_quoted(lexeme) for lexeme in lexemes)
