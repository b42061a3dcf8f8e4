"""The benchmark's PostgreSQL side (``--engine postgres``): a server to build into (a throwaway
cluster in the work folder, or ``$TOWNSHIP_PG_DSN``), the corpus view of a database generation,
and the database's memory and size."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import psycopg

from indexer.analysis import normalize
from indexer.postgres_store.schema import schema_name
from indexer.postgres_store.writer import PASSAGE_COLUMNS
from tests.benchmarks.queries import Corpus


def corpus_from_database(dsn: str) -> Corpus:
    """The passages of the generation in use, in collection order, as the scan reads them."""
    s = schema_name()
    made = Corpus([], [], [], [], [], [])
    with psycopg.connect(dsn) as connection, connection.cursor(name="passages") as cursor:
        cursor.itersize = 5000
        cursor.execute(
            f"""SELECT r.record->>'passage_id', r.record->>'text', coalesce(r.record->>'township', ''), coalesce(r.record->>'year', ''),
                       r.record->>'section', r.record->'themes'
                FROM {s}.passages p JOIN {s}.documents d ON d.generation = (SELECT generation FROM {s}.state) AND d.version = p.version
                JOIN {s}.passage_records r ON r.pid = p.pid
                ORDER BY d.ord, p.ordinal"""
        )
        for passage_id, text, township, year, section, themes in cursor:
            made.ids.append(passage_id)
            made.texts.append(normalize(text))
            made.township.append(township)
            made.year.append(year)
            made.section.append(section)
            made.themes.append(tuple(themes))
            made.chars += len(text)
    return made


@contextmanager
def server(work_dir: Path):
    """(DSN, the cluster or None): ``$TOWNSHIP_PG_DSN`` when set (memory and size then
    unmeasured), else a throwaway cluster in ``work_dir`` with a database per run."""
    configured = os.environ.get("TOWNSHIP_PG_DSN")
    if configured:
        yield configured, None
        return
    from tests import pgcluster

    work_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(work_dir, 0o755)
    with pgcluster.cluster(parent=work_dir) as made:
        yield pgcluster.new_database(made, "township_bench"), made


def compare_gram_indexes(dsn: str, rounds: int = 3) -> dict:
    """GIN against RUM (``postgresql-15-rum``) for the grams of a built database: time to build
    the index over every passage, its size, the time to insert 2,000 more passages with it in
    place, and the query mix through the searcher (best of ``rounds`` per query). The
    database ends with a GIN index as the build makes it."""
    import statistics
    import time

    from app.search.facets import NAMES
    from app.search.port import Query
    from app.search.postgres.engine import PostgresEngine
    from app.search.query import parse
    from tests.benchmarks.queries import query_mix

    s = schema_name()
    mix = query_mix(corpus_from_database(dsn))

    class Deadline:
        def __init__(self):
            self.end = time.monotonic() + 120

        def check(self):
            pass

        def remaining(self):
            return self.end - time.monotonic()

    methods = {
        "gin": "USING gin (grams) WITH (fastupdate = on, gin_pending_list_limit = 65536)",
        "rum": "USING rum (grams rum_tsvector_ops)",
    }
    results = {}
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS rum")
        for method, using in methods.items():
            connection.execute(f"DROP INDEX IF EXISTS {s}.passages_grams")
            started = time.perf_counter()
            connection.execute(f"CREATE INDEX passages_grams ON {s}.passages {using}")
            built = time.perf_counter() - started
            size = connection.execute(f"SELECT pg_relation_size('{s}.passages_grams')").fetchone()[0]
            connection.execute(f"VACUUM ANALYZE {s}.passages")
            # Inserting: 2,000 passages copied again under another segment, then removed.
            started = time.perf_counter()
            with connection.transaction():
                connection.execute(
                    f"INSERT INTO {s}.passages SELECT pid + (1::bigint << 50), -1, {', '.join(PASSAGE_COLUMNS[2:])} "
                    f"FROM {s}.passages ORDER BY pid LIMIT 2000"
                )
                if method == "gin":
                    connection.execute(f"SELECT gin_clean_pending_list('{s}.passages_grams'::regclass)")
            inserted = time.perf_counter() - started
            connection.execute(f"DELETE FROM {s}.passages WHERE born = -1")
            connection.execute(f"VACUUM ANALYZE {s}.passages")
            engine = PostgresEngine(dsn)
            searcher = engine.open_current()
            timings = []
            for query in mix:
                asked = Query(
                    root=parse(query.q).root, filters={k: (v,) for k, v in query.filters.items()}, offset=(query.page - 1) * 10, facets=NAMES
                )
                best = None
                for _ in range(rounds):
                    started = time.perf_counter()
                    searcher.search(asked, Deadline())
                    took = (time.perf_counter() - started) * 1000
                    best = took if best is None else min(best, took)
                timings.append(best)
            engine.close()
            timings.sort()
            results[method] = {
                "build_s": round(built, 2),
                "size_mb": round(size / 1048576, 1),
                "insert_2000_s": round(inserted, 2),
                "query_p50_ms": round(statistics.median(timings), 1),
                "query_p95_ms": round(timings[int(len(timings) * 0.95)], 1),
                "query_total_ms": round(sum(timings)),
            }
        connection.execute(f"DROP INDEX IF EXISTS {s}.passages_grams")
        connection.execute(f"CREATE INDEX passages_grams ON {s}.passages {methods['gin']}")
        connection.execute(f"VACUUM ANALYZE {s}.passages")
    return results


class Bench:
    """What ``python -m tests.benchmarks --engine postgres`` runs against: a server (a throwaway
    cluster in the work folder, or ``$TOWNSHIP_PG_DSN``), the build into it, the app's settings
    for it, and the database's size and memory. Call :meth:`close` (stops the cluster)."""

    def __init__(self, work_dir: Path):
        self._server = server(work_dir)
        self.dsn, self.cluster = self._server.__enter__()

    def close(self) -> None:
        self._server.__exit__(None, None, None)

    @property
    def env(self) -> dict[str, str]:
        """The environment of ``uvicorn app.main:app`` serving from the database."""
        return {"TOWNSHIP_ENGINE": "postgres", "TOWNSHIP_PG_DSN": self.dsn, "TOWNSHIP_PG_READ_DSNS": ""}

    def settings(self, timeout_seconds: float):
        from app.settings import Settings

        return Settings(engine="postgres", pg_dsn=self.dsn, pg_read_dsns=(), search_timeout=timeout_seconds)

    def manifest(self) -> dict | None:
        """The manifest of the generation in use (None: nothing built yet)."""
        s = schema_name()
        with psycopg.connect(self.dsn) as connection:
            if connection.execute("SELECT to_regclass(%s)", (f"{s}.state",)).fetchone()[0] is None:
                return None
            row = connection.execute(f"SELECT g.manifest FROM {s}.generations g JOIN {s}.state t ON t.generation = g.generation").fetchone()
        return row[0] if row else None

    def documents(self) -> list[dict]:
        """The report records of the generation in use."""
        s = schema_name()
        with psycopg.connect(self.dsn) as connection:
            rows = connection.execute(
                f"SELECT d.record FROM {s}.documents d JOIN {s}.state t ON t.generation = d.generation ORDER BY d.ord"
            ).fetchall()
        return [row[0] for row in rows]

    def passages_folder(self, work_dir: Path) -> Path:
        """A folder holding the generation's ``passages.jsonl`` (collection order), for the
        baselines that read a generation's records (the Tantivy column)."""
        s = schema_name()
        folder = work_dir / "postgres-generation"
        folder.mkdir(parents=True, exist_ok=True)
        with (
            psycopg.connect(self.dsn) as connection,
            connection.cursor(name="records") as cursor,
            (folder / "passages.jsonl").open("w", encoding="utf-8") as out,
        ):
            cursor.itersize = 5000
            cursor.execute(
                f"""SELECT r.record::text FROM {s}.passages p
                    JOIN {s}.documents d ON d.generation = (SELECT generation FROM {s}.state) AND d.version = p.version
                    JOIN {s}.passage_records r ON r.pid = p.pid ORDER BY d.ord, p.ordinal"""
            )
            for (record,) in cursor:
                out.write(record + "\n")
        return folder

    def build_command(self, data_dir: Path, procs: int) -> list[str]:
        import sys

        return [
            sys.executable,
            "-m",
            "indexer",
            "build",
            "--engine",
            "postgres",
            "--dsn",
            self.dsn,
            "--data-dir",
            str(data_dir),
            "--quiet",
            "--procs",
            str(procs),
            "--full",
        ]

    def sizes_mb(self) -> tuple[float, float]:
        """(the database, of which the grams index)."""
        s = schema_name()
        with psycopg.connect(self.dsn) as connection:
            database, grams = connection.execute(f"SELECT pg_database_size(current_database()), pg_relation_size('{s}.passages_grams')").fetchone()
        return database / 1048576, grams / 1048576

    def memory_mb(self) -> float | None:
        """Memory of the database server's processes, PSS (its shared buffers counted once; None:
        a server not started here)."""
        from tests.benchmarks import procs

        pid = self.cluster.pid() if self.cluster else None
        return round(procs.memory(pid)["pss_mb"], 1) if pid else None
