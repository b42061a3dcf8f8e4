"""PostgreSQL as an engine: the sink that writes a generation into a database
(:mod:`.writer`, :mod:`.build`) and the schema both it and the searcher
(:mod:`app.search.postgres`) use (:mod:`.schema`).

Every character of a passage's normalized text (punctuation included) becomes a unigram and
every overlapping pair a bigram lexeme of a ``tsvector`` written as a literal here, never by
PostgreSQL's own text parser (which drops punctuation); a GIN index over those grams finds the
candidates of a string and ``strpos`` on the stored normalized text confirms them. jieba's
words (body and heading path) are kept as posting arrays with their frequencies, for BM25 in
SQL. Generations share one set of tables: a passage row is visible to the generations from the
one that wrote it (``born``) up to the one that removed it (``died``), so a build publishes by
moving one pointer, and a failed or killed build leaves only rows no reader looks at.
"""

import re as _re
from urllib.parse import urlsplit as _urlsplit

ENGINE = "postgres"


def engine_version() -> str:
    """The version of the client library that writes and reads (the server's is in the manifest)."""
    from importlib import metadata

    return metadata.version("psycopg")


def redacted(dsn: str) -> str:
    """A DSN fit for a log line or an error message: without its password."""
    try:
        parts = _urlsplit(dsn)
    except ValueError:
        return "(unparsable DSN)"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return _re.sub(r"(password\s*=\s*)\S+", r"\1***", dsn)
