"""Generations in a PostgreSQL database: the schema, the one build at a time, what the
generation in use holds (for incremental builds), publishing, and removing what no reader
needs any longer.

A passage row is visible in generation G when G's ``documents`` row of its report names the
generation that wrote it (``born``): an incremental build writes rows only for new and changed
reports, carries the other reports' rows over by naming their ``born`` again, and publishes by
moving ``state.generation`` in one transaction. Readers pin a generation, so a request that
began before a build published finishes on the generation it started with.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from indexer import incremental, records
from indexer.incremental import Previous
from indexer.postgres_store import ENGINE, engine_version, redacted
from indexer.postgres_store import schema as sql
from indexer.postgres_store.writer import SEGMENT_BITS, PassageAnalysis, PostgresSegmentWriter, connect, copy_df, df_counts
from indexer.records import Document, Passage

KEEP_GENERATIONS = 2  # the one in use and the one before (servers switch within seconds)
INDEX_METHOD = os.environ.get("TOWNSHIP_PG_INDEX", "gin")  # the grams index: gin (kept: see the README) or rum
PURGE_GRACE = "TOWNSHIP_PG_PURGE_GRACE"  # seconds after a full build before the old copy goes (default 10)


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used; ``str(error)`` says why (the DSN without password)."""


class BuildLocked(RuntimeError):
    """Another build holds the database's build lock."""


def resolve_dsn(dsn: str | None) -> str:
    found = dsn or os.environ.get("TOWNSHIP_PG_DSN")
    if not found:
        raise DatabaseUnavailable("no database given: pass --dsn postgresql://… or set TOWNSHIP_PG_DSN")
    return found


def open_connection(dsn: str, **kwargs) -> psycopg.Connection:
    try:
        return connect(dsn, connect_timeout=10, **kwargs)
    except psycopg.Error as error:
        raise DatabaseUnavailable(f"cannot connect to {redacted(dsn)}: {str(error).strip()}") from None


def ensure_schema(connection: psycopg.Connection, schema: str) -> None:
    """Create the tables when missing; refuse a schema written by another version of this code."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (sql.LOCK_KEY + 1,))
        exists = connection.execute("SELECT to_regclass(%s)", (f"{schema}.state",)).fetchone()[0]
        if exists:
            version = connection.execute(f"SELECT schema_version FROM {schema}.state").fetchone()
            if version and version[0] != sql.SCHEMA_VERSION:
                raise DatabaseUnavailable(
                    f"schema {schema} was written by schema version {version[0]}, this code writes {sql.SCHEMA_VERSION}: "
                    f"drop it (DROP SCHEMA {schema} CASCADE) and build again"
                )
            return
        if INDEX_METHOD == "rum":
            connection.execute("CREATE EXTENSION IF NOT EXISTS rum")
        for statement in sql.ddl(schema, INDEX_METHOD):
            connection.execute(statement)


def current_generation(connection: psycopg.Connection, schema: str) -> int | None:
    row = connection.execute(f"SELECT generation FROM {schema}.state").fetchone()
    return row[0] if row else None


def documents_of(connection: psycopg.Connection, schema: str, generation: int) -> list[Document]:
    rows = connection.execute(f"SELECT record FROM {schema}.documents WHERE generation = %s ORDER BY ord", (generation,)).fetchall()
    return [records.from_dict(Document, row[0]) for row in rows]


@dataclass
class Database:
    """The build's connection: holds the build lock for as long as it is open."""

    dsn: str
    schema: str
    connection: psycopg.Connection

    @classmethod
    @contextmanager
    def locked(cls, dsn: str):
        schema = sql.schema_name()
        connection = open_connection(dsn, autocommit=True)
        try:
            ensure_schema(connection, schema)
            if not connection.execute("SELECT pg_try_advisory_lock(%s)", (sql.LOCK_KEY,)).fetchone()[0]:
                raise BuildLocked(f"another build is running in {redacted(dsn)} (schema {schema})")
            database = cls(dsn, schema, connection)
            database.remove_unpublished()
            yield database
        finally:
            connection.close()  # releases the lock

    def execute(self, statement: str, params=None):
        return self.connection.execute(statement, params)

    @property
    def current(self) -> int | None:
        return current_generation(self.connection, self.schema)

    def remove_unpublished(self) -> None:
        """What failed or killed builds left: segments of no published generation."""
        s = self.schema
        current = self.current or 0
        stale = [row[0] for row in self.execute(f"SELECT segment FROM {s}.segments WHERE generation > %s", (current,)).fetchall()]
        with self.connection.transaction():
            if stale:
                remove_segments(self.connection, s, stale)
            self.execute(f"DELETE FROM {s}.segment_df WHERE segment <= %s", (-current - 1,))
            self.execute(f"DELETE FROM {s}.documents WHERE generation > %s", (current,))
            self.execute(f"DELETE FROM {s}.term_df WHERE generation > %s", (current,))

    def previous(self, fingerprint: dict, full: bool) -> tuple[Previous | None, str]:
        """The generation in use (None when there is none) and why this build must be full."""
        current = self.current
        if current is None:
            return None, "no index yet"
        manifest = self.execute(f"SELECT manifest FROM {self.schema}.generations WHERE generation = %s", (current,)).fetchone()[0]
        failed = {entry["file"]: (entry["sha1"], entry["reason"]) for entry in manifest.get("failed", [])}
        previous = Previous(current, manifest, documents_of(self.connection, self.schema, current), failed)
        return previous, incremental.full_reason(manifest, fingerprint, full)

    def next_generation(self) -> int:
        last = self.execute(f"SELECT coalesce(max(generation), 0) FROM {self.schema}.generations").fetchone()[0]
        return max(last, self.current or 0) + 1


class PostgresSink:
    """Generation ``generation`` being written: segment writers add passages (in any process),
    :meth:`carry` keeps what the previous generation holds of unchanged reports, :meth:`commit`
    publishes."""

    def __init__(self, database: Database, generation: int, previous: Previous | None):
        self.database = database
        self.generation = generation
        self.previous = previous
        self.carried: dict[str, tuple[int, int]] = {}  # doc_id → (version, born) of its passages

    def segment_writer(self) -> PostgresSegmentWriter:
        return PostgresSegmentWriter(self.database.dsn, self.database.schema, self.generation)

    def carry(self, unchanged: list[str], stale: list[str]) -> None:
        """Unchanged reports keep their rows; the passages of ``stale`` reports (changed or
        removed) leave, and with them their share of the document frequencies."""
        s, database = self.database.schema, self.database
        rows = database.execute(
            f"SELECT doc_id, version, born FROM {s}.documents WHERE generation = %s AND doc_id = ANY(%s)",
            (self.previous.generation, unchanged + stale),
        ).fetchall()
        held = {doc_id: (version, born) for doc_id, version, born in rows}
        self.carried = {doc_id: held[doc_id] for doc_id in unchanged}
        gone = [held[doc_id][0] for doc_id in stale if doc_id in held]
        rows = (
            database.execute(
                f"SELECT r.record FROM {s}.passages p JOIN {s}.passage_records r ON r.pid = p.pid WHERE p.version = ANY(%s)", (gone,)
            ).fetchall()
            if gone
            else []
        )
        removed = df_counts(PassageAnalysis(), (records.from_dict(Passage, row[0]) for row in rows))
        copy_df(database.connection, s, -self.generation, removed, sign=-1)

    def commit(self, segments: list, documents: list[Document], manifest: dict) -> None:
        """Publish: the documents of this generation, its document frequencies and statistics,
        and the pointer, in one transaction."""
        s, database, g = self.database.schema, self.database, self.generation
        written = [segment for segment in segments if segment is not None]
        base = g if self.previous is None else self.previous.manifest.get("postgres", {}).get("base", self.previous.generation)
        if INDEX_METHOD == "gin":
            database.execute(f"SELECT gin_clean_pending_list('{s}.passages_grams'::regclass)")
        versions = dict(database.execute(f"SELECT doc_id, version FROM {s}.versions WHERE segment = ANY(%s)", (written,)).fetchall())
        with database.connection.transaction():
            with database.connection.cursor().copy(f"COPY {s}.documents (generation, doc_id, version, born, ord, record) FROM STDIN") as copy:
                for document in documents:
                    version, born = self.carried.get(document.doc_id) or (versions[document.doc_id], g)
                    copy.write_row((g, document.doc_id, version, born, document.order, records.to_json(document)))
            deltas = f"SELECT field, term, sum(df) AS delta FROM {s}.segment_df WHERE segment = ANY(%(segments)s) GROUP BY field, term"
            if self.previous is None:
                database.execute(
                    f"INSERT INTO {s}.term_df (field, term, generation, df) SELECT field, term, %(g)s, delta FROM ({deltas}) d WHERE delta <> 0",
                    {"segments": written, "g": g},
                )
            else:
                database.execute(
                    f"""INSERT INTO {s}.term_df (field, term, generation, df)
SELECT d.field, d.term, %(g)s, coalesce(p.df, 0) + d.delta FROM ({deltas}) d
LEFT JOIN LATERAL (SELECT df FROM {s}.term_df t WHERE t.field = d.field AND t.term = d.term AND t.generation BETWEEN %(base)s AND %(previous)s
                   ORDER BY t.generation DESC LIMIT 1) p ON true
WHERE d.delta <> 0""",
                    {"segments": written + [-g], "g": g, "base": base, "previous": self.previous.generation},
                )
            database.execute(f"DELETE FROM {s}.segment_df WHERE segment = ANY(%s)", (written + [-g],))
            lengths = ", ".join(f"coalesce(sum(p.{column}), 0)" for column in sql.LENGTH_COLUMNS.values())
            counted = database.execute(
                f"SELECT count(*), {lengths} FROM {s}.passages p JOIN {s}.documents d ON d.generation = %s AND d.version = p.version",
                (g,),
            ).fetchone()
            stored = {**manifest, "postgres": {"base": base, "generation": g, "schema": s, "index": INDEX_METHOD}}
            database.execute(
                f"INSERT INTO {s}.generations (generation, base, manifest, passages, documents, lengths) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    g,
                    base,
                    json.dumps(stored, ensure_ascii=False),
                    counted[0],
                    len(documents),
                    json.dumps(dict(zip(sql.LENGTH_COLUMNS, map(int, counted[1:])))),
                ),
            )
            database.execute(f"UPDATE {s}.state SET generation = %s", (g,))

    @staticmethod
    def manifest() -> dict:
        return {"engine": ENGINE, "engine_version": engine_version()}


def remove_segments(connection: psycopg.Connection, schema: str, segments: list[int]) -> int:
    """Every row of ``segments``: passages, records, postings, summaries, versions; how many
    passages went."""
    s = schema
    ranges = f"unnest(%s::bigint[]) g(segment) WHERE {{alias}}.pid BETWEEN g.segment << {SEGMENT_BITS} AND ((g.segment + 1) << {SEGMENT_BITS}) - 1"
    connection.execute(f"DELETE FROM {s}.passage_records r USING {ranges.format(alias='r')}", (segments,))
    removed = connection.execute(f"DELETE FROM {s}.passages p USING {ranges.format(alias='p')}", (segments,)).rowcount
    for table in ("postings", "summaries", "versions", "segment_df", "segments"):
        connection.execute(f"DELETE FROM {s}.{table} WHERE segment = ANY(%s)", (segments,))
    return removed


def purge(database: Database, wait: bool) -> dict:
    """Remove what no kept generation reads (the newest ``KEEP_GENERATIONS``); with ``wait``
    (after a full build) also the generation before the one in use, once servers have had
    time to move on.

    A segment goes when none of its report versions is in a kept generation: the rows of a
    report changed or removed since stay until then (a segment's summaries count them, and
    the searcher takes them away again), and a full build removes them all."""
    s = database.schema
    current = database.current
    if current is None:
        return {}
    kept = [
        row[0]
        for row in database.execute(f"SELECT generation FROM {s}.generations ORDER BY generation DESC LIMIT %s", (KEEP_GENERATIONS,)).fetchall()
    ]
    if wait and len(kept) > 1:
        time.sleep(float(os.environ.get(PURGE_GRACE, "10")))
        kept = [current]
    oldest = min(kept)
    started = time.perf_counter()
    with database.connection.transaction():
        empty = [
            row[0]
            for row in database.execute(
                f"""SELECT g.segment FROM {s}.segments g WHERE g.generation <= %s AND NOT EXISTS (
  SELECT 1 FROM {s}.versions v JOIN {s}.documents d ON d.version = v.version AND d.generation >= %s WHERE v.segment = g.segment)""",
                (current, oldest),
            ).fetchall()
        ]
        removed = remove_segments(database.connection, s, empty) if empty else 0
        database.execute(f"DELETE FROM {s}.documents WHERE generation < %s", (oldest,))
        database.execute(f"DELETE FROM {s}.generations WHERE generation < %s", (oldest,))
        base = database.execute(f"SELECT min(base) FROM {s}.generations").fetchone()[0]
        database.execute(f"DELETE FROM {s}.term_df WHERE generation < %s", (base,))
        # Of the rows before the oldest kept generation, only each term's latest still counts.
        database.execute(
            f"""DELETE FROM {s}.term_df t USING {s}.term_df n
WHERE n.field = t.field AND n.term = t.term AND n.generation > t.generation AND n.generation <= %s""",
            (oldest,),
        )
    if removed:
        database.execute(f"VACUUM (ANALYZE) {s}.passages, {s}.passage_records, {s}.postings, {s}.summaries, {s}.term_df")
    return {"passages": removed, "segments": len(empty), "seconds": round(time.perf_counter() - started, 3)}


def analyze(database: Database) -> None:
    """Fresh planner statistics and visibility maps after a build wrote many rows."""
    s = database.schema
    database.execute(f"VACUUM (ANALYZE) {s}.passages, {s}.passage_records, {s}.postings, {s}.summaries, {s}.term_df, {s}.documents, {s}.versions")
