"""What the PostgreSQL engine's database side must guarantee, on a real server (a throwaway
cluster, tests/pgcluster.py): incremental builds answer as full ones (scores included), a build
that dies changes nothing readers see and is cleaned up by the next, one build at a time, clear
errors, the command line. What every engine answers is ``tests/test_conformance.py``'s (the
``postgres`` engine of ``tests/engines.py``); the API and pages run on it too (``SERVED_BY`` in
``tests/conftest.py``).
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from app.search.deadline import Deadline
from app.search.facets import NAMES
from app.search.port import Query
from app.search.postgres.engine import PostgresEngine
from app.search.query import parse
from indexer.build import BuildFailed
from indexer.postgres_store import writer
from indexer.postgres_store.build import build as build_postgres
from indexer.postgres_store.store import BuildLocked, Database
from tests import pgcluster
from tests.benchmarks import corpus
from tests.benchmarks.postgres import corpus_from_database
from tests.benchmarks.queries import query_mix
from tests.conftest import DATA_DIR, GUIZHUMAO, TANGYANG


def _answers(dsn: str, mix) -> dict:
    engine = PostgresEngine(dsn)
    try:
        searcher = engine.open_current()
        out = {}
        for query in mix:
            for sort in ("relevance", "document"):
                answer = searcher.search(
                    Query(
                        root=parse(query.q).root,
                        filters={k: (v,) for k, v in query.filters.items()},
                        sort=sort,
                        offset=(query.page - 1) * 10,
                        facets=NAMES,
                    ),
                    Deadline(120),
                )
                out[query.label(), sort] = (
                    answer.total,
                    answer.ids,
                    [round(s, 6) for s in answer.scores],
                    {n: (f.top, f.selected, f.omitted) for n, f in answer.facets.items()},
                )
        out["documents"] = [(d.doc_id, d.order, d.sha1) for d in searcher.documents()]
        out["words"] = searcher.word_frequencies(["发展", "产业", "光伏", "琥珀蜂巢"])
        out["prefixes"] = searcher.prefixes("乡村", 10)
        return out
    finally:
        engine.close()


@contextmanager
def _summaries(start: int, share: float = 0.05):
    """Builds in this block summarize their segments' common lexemes after ``start`` passages."""
    saved = writer.SUMMARY_FROM, writer.SUMMARY_SHARE
    writer.SUMMARY_FROM, writer.SUMMARY_SHARE = start, share
    try:
        yield
    finally:
        writer.SUMMARY_FROM, writer.SUMMARY_SHARE = saved


def test_incremental_builds_answer_as_full_ones(postgres, tmp_path):
    """Rounds of changes (added, changed, removed reports) built incrementally into one database
    and in full into another: the same answers, scores included. The incremental one keeps
    summaries of nearly every lexeme (common ones from the 15th passage of each segment on,
    reports changed since counted out of them again); the full ones none (every count over rows)."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    names = corpus.township_names(12, corpus.DEFAULT_SEED)
    for i in range(4):
        report = corpus.report(i, corpus.DEFAULT_SEED, names)
        (data / report.relative).write_bytes(report.text.encode(report.encoding))
    rolling = pgcluster.new_database(postgres)
    with _summaries(15):
        first = build_postgres(data, rolling, procs=2)
    assert first.mode == "full"
    with psycopg.connect(rolling) as connection:
        assert connection.execute("SELECT count(*) FROM township.summaries WHERE lexeme IN ('村', 'f:*', 'f:section=总结')").fetchone()[0] >= 3
    rounds = [
        lambda: [(data / f"{GUIZHUMAO}.txt").unlink()],
        lambda: _append(data / f"{TANGYANG}.txt", "琥珀蜂巢新版记述：光伏项目推进。"),
        lambda: [(data / (r := corpus.report(i, corpus.DEFAULT_SEED, names)).relative).write_bytes(r.text.encode(r.encoding)) for i in (7, 8)],
    ]
    for change in rounds:
        change()
        with _summaries(15):
            report = build_postgres(data, rolling, procs=2)
        assert report.mode == "incremental", report.reason
        fresh = pgcluster.new_database(postgres)
        with _summaries(1 << 30):
            assert build_postgres(data, fresh, procs=1).mode == "full"
        mix = query_mix(corpus_from_database(fresh))
        assert _answers(rolling, mix) == _answers(fresh, mix)
    searcher = PostgresEngine(rolling).open_current()
    assert searcher.dead, "reports changed since the full build are left out of its summaries"
    again = build_postgres(data, rolling, procs=1)
    assert again.mode == "up to date"


def _append(path: Path, text: str) -> None:
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "gb18030"
    path.write_bytes(raw + f"\n{text}\n".encode(encoding))


def test_a_failed_build_changes_nothing(postgres, tmp_path):
    dsn = pgcluster.new_database(postgres)
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    build_postgres(data, dsn, procs=1)
    before = _answers(dsn, [])
    (data / "新报告.txt").write_text("某某镇2023年工作总结\n一、工作总结\n琥珀蜂巢是新写的一段。\n", encoding="utf-8")
    # A build that dies after its indexing processes copied their rows: a report that stops
    # the pipeline in the middle (a BaseException, as a kill would) leaves them behind.
    import indexer.postgres_store.store as store

    original = store.PostgresSink.commit

    def killed(self, *args, **kwargs):
        raise KeyboardInterrupt

    store.PostgresSink.commit = killed
    try:
        with pytest.raises(KeyboardInterrupt):
            build_postgres(data, dsn, procs=1)
    finally:
        store.PostgresSink.commit = original
    assert _answers(dsn, []) == before
    with psycopg.connect(dsn) as connection:
        assert connection.execute("SELECT count(*) FROM township.passages WHERE born > (SELECT generation FROM township.state)").fetchone()[0] > 0
    report = build_postgres(data, dsn, procs=1)  # removes what the killed build left, then adds the report
    assert report.mode == "incremental" and report.added == ["新报告.txt"]
    with psycopg.connect(dsn) as connection:
        current = connection.execute("SELECT generation FROM township.state").fetchone()[0]
        assert connection.execute("SELECT count(*) FROM township.passages WHERE born > %s", (current,)).fetchone()[0] == 0
    searcher = PostgresEngine(dsn).open_current()
    assert searcher.search(Query(root=parse("琥珀蜂巢").root), Deadline(120)).total == 1


def test_one_build_at_a_time_and_clear_errors(postgres, tmp_path):
    dsn = pgcluster.new_database(postgres)
    with Database.locked(dsn):
        with pytest.raises(BuildLocked, match="another build is running"):
            build_postgres(DATA_DIR, dsn, procs=1)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildFailed, match="no report files"):
        build_postgres(empty, dsn, procs=1)
    engine = PostgresEngine(dsn)
    from indexer.layout import IndexMissing

    with pytest.raises(IndexMissing, match="--engine postgres"):
        engine.open_current()
    assert engine.current_token() is None
    engine.close()


def test_the_command_line(postgres, tmp_path):
    """``python -m indexer build --engine postgres`` with the DSN from the environment; a wrong
    DSN is one clear line and exit status 1."""
    import subprocess
    import sys

    from indexer.domain import PROJECT_ROOT

    dsn = pgcluster.new_database(postgres)
    env = {**os.environ, "TOWNSHIP_PG_DSN": dsn, "TOWNSHIP_PG_PURGE_GRACE": "0"}

    def build(*options: str, env: dict | None = env, timeout: float = 300) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "indexer", "build", "--engine", "postgres", *options, "--data-dir", str(DATA_DIR), "--quiet"]
        return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)

    done = build()
    assert done.returncode == 0, done.stderr
    assert "full build (no index yet): 5 added" in done.stdout and "index: generation 1" in done.stdout
    again = build()
    assert "index is up to date" in again.stdout
    wrong = build("--dsn", "postgresql://nobody:secret@127.0.0.1:1/none", env=None, timeout=120)
    assert wrong.returncode == 1 and wrong.stderr.startswith("error: cannot connect to postgresql://nobody:***@127.0.0.1:1/none")
    assert "Traceback" not in wrong.stderr and "secret" not in wrong.stderr
