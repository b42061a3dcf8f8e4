"""The tables a PostgreSQL generation lives in, and the encodings writer and searcher share.

Tables (schema ``township`` unless ``TOWNSHIP_PG_SCHEMA`` says otherwise):

* ``state``: the published generation (one row); moving it is publishing.
* ``generations``: each published generation's manifest and statistics (passages, total length
  of each text field: BM25's averages) and ``base``, the full build its document frequencies
  count from.
* ``documents``: every report's record per generation (its ``order`` is per generation), and
  ``born``: the generation that wrote its passages.
* ``passages``: one row per passage, immutable, visible in every generation whose ``documents``
  row of its report names its ``born``: facet values, the length of each text field, the
  normalized text (``body``, for ``strpos``: kept in the row) and the ``grams`` (``tsvector``
  under GIN, kept aside): every character, every pair, and ``w:`` + each word of two
  characters or more (for a term that matches by its words).
* ``passage_records``: the stored record of each passage (read for a page of hits only).
* ``postings``: per field, term and segment (what one indexing process wrote), the passages
  holding the term and how often (BM25): every jieba word of bodies and heading paths; a
  gram only where it occurs more than once (once is what the grams index says).
* ``term_df``: document frequencies of grams and words among the live passages of each
  generation, a row per term whenever a generation changes it.
* ``segments``, ``segment_df``: which generation wrote each segment and what it adds to the
  document frequencies, until it is published.
"""

from __future__ import annotations

import os

from indexer import contract

SCHEMA_VERSION = 1
LOCK_KEY = 0x7A6C_6A71  # pg_advisory_lock: one build at a time per database

# Field codes of ``postings`` and ``term_df``.
FIELD_CODES = {contract.UNIGRAM: 0, contract.BIGRAM: 1, contract.WORDS: 2, contract.HEADING_WORDS: 3}
# Facet columns of ``passages`` (single-valued, "" when unknown) and the multi-valued one.
CATEGORY_COLUMNS = contract.CATEGORY_COLUMNS
THEMES = "themes"
LENGTH_COLUMNS = {contract.UNIGRAM: "len_unigram", contract.BIGRAM: "len_bigram", contract.WORDS: "len_words", contract.HEADING_WORDS: "len_heading"}


def schema_name() -> str:
    name = os.environ.get("TOWNSHIP_PG_SCHEMA", "township")
    if not name.isidentifier() or not name.isascii():
        raise ValueError(f"TOWNSHIP_PG_SCHEMA must be a plain identifier, not {name!r}")
    return name.lower()


def ddl(schema: str, index_method: str = "gin") -> list[str]:
    """Statements creating every table (idempotent)."""
    s = schema
    categories = ",\n  ".join(f"{name} text NOT NULL" for name in CATEGORY_COLUMNS)
    lengths = ",\n  ".join(f"{column} integer NOT NULL" for column in LENGTH_COLUMNS.values())
    return [
        f"CREATE SCHEMA IF NOT EXISTS {s}",
        f"""CREATE TABLE IF NOT EXISTS {s}.state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  schema_version integer NOT NULL,
  generation integer)""",
        f"CREATE SEQUENCE IF NOT EXISTS {s}.segment_numbers",
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
  born integer NOT NULL,
  ord integer NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (generation, doc_id))""",
        f"CREATE INDEX IF NOT EXISTS documents_order ON {s}.documents (generation, ord)",
        f"""CREATE TABLE IF NOT EXISTS {s}.passages (
  pid bigint PRIMARY KEY,
  born integer NOT NULL,
  segment integer NOT NULL,
  passage_id text COLLATE "C" NOT NULL,
  doc_id text COLLATE "C" NOT NULL,
  ordinal integer NOT NULL,
  is_heading boolean NOT NULL,
  {lengths},
  {categories},
  {THEMES} text[] NOT NULL,
  body text COLLATE "C" NOT NULL,
  grams tsvector NOT NULL)""",
        # Read for every match: stays in the row. Read by the index only: kept aside.
        f"ALTER TABLE {s}.passages ALTER COLUMN body SET STORAGE MAIN, ALTER COLUMN grams SET STORAGE EXTERNAL",
        f"""CREATE TABLE IF NOT EXISTS {s}.passage_records (
  pid bigint PRIMARY KEY,
  record jsonb NOT NULL)""",
        f"CREATE INDEX IF NOT EXISTS passages_grams ON {s}.passages USING {index_method} (grams)" + (" WITH (fastupdate = on, gin_pending_list_limit = 65536)" if index_method == "gin" else ""),
        f"CREATE INDEX IF NOT EXISTS passages_id ON {s}.passages (passage_id)",
        f"CREATE INDEX IF NOT EXISTS passages_doc ON {s}.passages (doc_id, ordinal)",
        f"CREATE INDEX IF NOT EXISTS passages_segment ON {s}.passages (segment)",
        f"""CREATE TABLE IF NOT EXISTS {s}.postings (
  field smallint NOT NULL,
  term text COLLATE "C" NOT NULL,
  segment integer NOT NULL,
  pids bigint[] NOT NULL,
  tfs integer[] NOT NULL,
  PRIMARY KEY (field, term, segment))""",
        f"""CREATE TABLE IF NOT EXISTS {s}.term_df (
  field smallint NOT NULL,
  term text COLLATE "C" NOT NULL,
  generation integer NOT NULL,
  df integer NOT NULL,
  PRIMARY KEY (field, term, generation))""",
        f"""CREATE TABLE IF NOT EXISTS {s}.segments (
  segment integer PRIMARY KEY,
  generation integer NOT NULL)""",
        # What each segment adds to the document frequencies (and, under segment -G, what
        # generation G's removals take away): read when G is published, then dropped.
        f"""CREATE TABLE IF NOT EXISTS {s}.segment_df (
  segment integer NOT NULL,
  field smallint NOT NULL,
  term text COLLATE "C" NOT NULL,
  df integer NOT NULL)""",
    ]


# ---------------------------------------------------------------------------- literals


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


WORD_PREFIX = "w:"  # grams are one or two characters: a word lexeme (three or more) never meets one


def word_lexeme(word: str) -> str:
    return WORD_PREFIX + word


def word_lexemes(words) -> list[str]:
    """Lexemes of the jieba words of a body that can match together (two characters or more)."""
    return [WORD_PREFIX + word for word in words if len(word) >= 2]


def tsvector_literal(lexemes) -> str:
    """A ``tsvector`` written out (no positions): PostgreSQL's parser never sees the text."""
    return " ".join(_quoted(lexeme) for lexeme in lexemes)


def tsquery_all(lexemes) -> str:
    """A ``tsquery`` holding every one of ``lexemes``."""
    return " & ".join(_quoted(lexeme) for lexeme in lexemes)
