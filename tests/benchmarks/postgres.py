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
from tests.benchmarks.queries import Corpus


def corpus_from_database(dsn: str) -> Corpus:
    """The passages of the generation in use, in collection order, as the scan reads them."""
    s = schema_name()
    made = Corpus([], [], [], [], [], [])
    with psycopg.connect(dsn) as connection, connection.cursor(name="passages") as cursor:
        cursor.itersize = 5000
        cursor.execute(
            f"""SELECT p.passage_id, r.record->>'text', coalesce(r.record->>'township', ''), coalesce(r.record->>'year', ''), p.section, p.themes
                FROM {s}.passages p JOIN {s}.documents d ON d.generation = (SELECT generation FROM {s}.state) AND d.doc_id = p.doc_id AND d.born = p.born
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
