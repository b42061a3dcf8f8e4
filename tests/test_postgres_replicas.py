"""Streaming replication: a primary and two hot standbys (real servers, pg_basebackup -R). Builds
write to the primary; a new generation shows on the standbys within seconds; the engine reads
from the standbys and, when one is stopped under load, moves to the next one and then to the
primary without failing a request.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from app.search.deadline import Deadline
from app.search.port import Query
from app.search.postgres.engine import PostgresEngine
from app.search.query import parse
from indexer.postgres_store.build import build as build_postgres
from tests import pgcluster
from tests.conftest import DATA_DIR

QUERIES = ["茶", "发展", '"强村公司"', "信访 -矛盾", "光伏 OR 水电", "產業", "乡村振兴 产业"]


def _generation(dsn: str) -> int | None:
    with psycopg.connect(dsn, connect_timeout=3) as connection:
        if connection.execute("SELECT to_regclass('township.state')").fetchone()[0] is None:
            return None
        return connection.execute("SELECT generation FROM township.state").fetchone()[0]


def _wait_for(dsn: str, generation: int, seconds: float = 30) -> float:
    started = time.monotonic()
    while _generation(dsn) != generation:
        assert time.monotonic() - started < seconds, f"generation {generation} not on {dsn} after {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    with pgcluster.cluster() as primary, pgcluster.standby(primary) as first, pgcluster.standby(primary) as second:
        yield primary, first, second


def test_standbys_serve_what_the_primary_built_and_failover_loses_nothing(replicated, tmp_path, monkeypatch):
    primary, first, second = replicated
    monkeypatch.setenv("TOWNSHIP_PG_PURGE_GRACE", "0")
    report = build_postgres(DATA_DIR, primary.dsn, procs=1)
    lag = max(_wait_for(first.dsn, 1), _wait_for(second.dsn, 1))
    print(f"\ngeneration 1 on both standbys {lag:.2f} s after the build returned")
    assert report.mode == "full"
    with psycopg.connect(first.dsn) as connection:
        assert connection.execute("SELECT pg_is_in_recovery()").fetchone()[0]

    engine = PostgresEngine(primary.dsn, read_dsns=[first.dsn, second.dsn])
    try:
        assert engine.run(None, "SELECT pg_is_in_recovery(), current_setting('port')", one=True) == (True, str(first.port))
        searcher = engine.open_current()
        expected = {q: searcher.search(Query(root=parse(q).root, facets=("township", "theme")), Deadline(120)) for q in QUERIES}
        assert all(answer.total for answer in expected.values())

        # A new generation built on the primary shows on the standbys within seconds.
        data = tmp_path / "data"
        import shutil

        shutil.copytree(DATA_DIR, data)
        (data / "新报告.txt").write_text("某某镇2024年工作总结\n一、工作总结\n琥珀蜂巢项目建成投产。\n", encoding="utf-8")
        started = time.monotonic()
        assert build_postgres(data, primary.dsn, procs=1).mode == "incremental"
        built = time.monotonic() - started
        seen = max(_wait_for(first.dsn, 2, 10), _wait_for(second.dsn, 2, 10))
        print(f"incremental build {built:.1f} s; generation 2 on both standbys {seen:.2f} s later")
        assert seen < 5
        assert engine.current_token() == "2"
        newer = engine.open_current()
        assert newer.search(Query(root=parse("琥珀蜂巢").root), Deadline(120)).total == 1
        expected = {q: newer.search(Query(root=parse(q).root, facets=("township", "theme")), Deadline(120)) for q in QUERIES}

        # Under load, the standbys stop one after the other: every request is answered, and
        # answered alike, by the next server.
        failures: list[str] = []
        answered = [0]
        stop = threading.Event()

        def client(offset: int) -> None:
            i = offset
            while not stop.is_set():
                q = QUERIES[i % len(QUERIES)]
                i += 1
                try:
                    answer = newer.search(Query(root=parse(q).root, facets=("township", "theme")), Deadline(30))
                    if (answer.total, answer.ids) != (expected[q].total, expected[q].ids):
                        failures.append(f"{q}: {answer.total} != {expected[q].total}")
                    answered[0] += 1
                except Exception as error:  # a lost request: the test fails
                    failures.append(f"{q}: {type(error).__name__}: {error}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        before_first = answered[0]
        first.stop("fast")
        time.sleep(1.5)
        assert engine.run(None, "SELECT current_setting('port')", one=True) == (str(second.port),)
        before_second = answered[0]
        second.stop("immediate")
        time.sleep(1.5)
        assert engine.run(None, "SELECT pg_is_in_recovery()", one=True) == (False,)
        stop.set()
        for thread in threads:
            thread.join(60)
        print(
            f"{answered[0]} searches under load ({before_first} before the first standby stopped, "
            f"{before_second - before_first} on the second, {answered[0] - before_second} on the primary), {len(failures)} failed"
        )
        assert not failures, failures[:5]
        assert before_first > 0 and before_second > before_first and answered[0] > before_second

        # Back up: the engine returns to the standby once it answers again.
        first.start()
        pgcluster._wait_accepting(first)
        time.sleep(6)  # past the time a failed server is left alone
        assert engine.run(None, "SELECT current_setting('port')", one=True) == (str(first.port),)
    finally:
        engine.close()
