"""The PostgreSQL engine: where generations are published (the database at
``TOWNSHIP_PG_DSN``), read from streaming-replication standbys (``TOWNSHIP_PG_READ_DSNS``) when
there are any.

Each server has a bounded connection pool. A statement goes to the first server that answers,
in order: the standbys, then the primary. A server that stops answering (refused, shut down,
the connection lost mid-statement) is left alone for a few seconds and the statement runs again
on the next one, so the request does not fail; a standby that has not yet replayed the
generation a searcher reads is passed over for it (it will have it within moments).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from app.search.port import Deadline
from app.search.postgres.searcher import PostgresSearcher
from app.search.service import SearchTimeout, ServiceUnavailable
from indexer.layout import IndexMissing
from indexer.postgres_store import redacted
from indexer.postgres_store import schema as sql

log = logging.getLogger("township.postgres")

POOL_SIZE = int(os.environ.get("TOWNSHIP_PG_POOL", "4"))  # connections per server and worker process, at most
DOWN_SECONDS = 5.0  # a server that failed is tried again after this long
CONNECT_SECONDS = 2.0
WAIT_SLICE = 0.2  # waiting for a pooled connection, seconds between looks at whether the server is down
# Per connection: no JIT and no parallel workers (each costs more than these statements take,
# and a loaded server has no core to spare), memory for the hash tables of facet counts, and a
# planner told that the indexes are in memory.
SESSION = (
    "SET jit = off",
    "SET work_mem = '64MB'",
    "SET max_parallel_workers_per_gather = 0",
    "SET random_page_cost = 1.1",
    "SET effective_cache_size = '4GB'",
    "SET default_transaction_read_only = on",
)
# For the statements over a query's matches (found through the gram and word indexes). The
# planner cannot estimate how many passages hold several grams at once (it multiplies their
# frequencies as if independent: 2,572 passages estimated as 1 for a 16-character phrase) and
# then joins the word frequencies row by row (12 s instead of 0.1 s); and for a common gram it
# walks another index testing ``grams @@`` on every passage, reading every passage's grams
# (0.26 s instead of 0.02 s at 39,000 passages), or reads the whole table doing so when the gram
# is in half the passages. So: hash joins, and bitmap scans of the indexes.
STEERED = ("SET LOCAL enable_nestloop = off", "SET LOCAL enable_indexscan = off", "SET LOCAL enable_seqscan = off")


@dataclass
class Server:
    dsn: str
    role: str  # "standby" or "primary"
    pool: ConnectionPool | None
    down_until: float = 0.0
    generations: set = field(default_factory=set)  # generations seen present here

    @property
    def name(self) -> str:
        return f"{self.role} {redacted(self.dsn)}"


def _configure(connection: psycopg.Connection) -> None:
    connection.autocommit = True
    for statement in SESSION:
        connection.execute(statement)


class PostgresEngine:
    name = "postgres"

    def __init__(self, dsn: str, read_dsns: Sequence[str] = (), pool_size: int = POOL_SIZE):
        """``dsn``: the primary (builds write there; read last); ``read_dsns``: its standbys."""
        self.dsn = dsn
        self.schema = sql.schema_name()
        self.build_command = f"python -m indexer build --engine postgres --dsn {redacted(dsn) if dsn else '$TOWNSHIP_PG_DSN'}"
        self._lock = threading.Lock()
        self.servers = [self._server(d, "standby", pool_size) for d in read_dsns] + ([self._server(dsn, "primary", pool_size)] if dsn else [])

    def _server(self, dsn: str, role: str, size: int) -> Server:
        server = Server(dsn, role, None)

        def failed(pool: ConnectionPool) -> None:  # the pool could not connect: skip this server at once
            self._down(server, "cannot connect")

        server.pool = ConnectionPool(
            dsn,
            min_size=0,
            max_size=size,
            open=True,
            configure=_configure,
            check=ConnectionPool.check_connection,
            kwargs={"connect_timeout": int(CONNECT_SECONDS), "application_name": "township-search"},
            name=f"township-{role}",
            reconnect_timeout=0,
            reconnect_failed=failed,
        )
        return server

    # -- running statements with failover

    def _down(self, server: Server, error) -> None:
        with self._lock:
            first = server.down_until <= time.monotonic()
            server.down_until = time.monotonic() + DOWN_SECONDS
        if first:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            log.warning("%s stopped answering (%s); using the next server for %.0f s", server.name, reason, DOWN_SECONDS)

    def _candidates(self) -> list[Server]:
        now = time.monotonic()
        up = [s for s in self.servers if s.down_until <= now]
        return up or sorted(self.servers, key=lambda s: s.down_until)  # all failed lately: try anyway

    def _connection(self, server: Server, wait: float) -> psycopg.Connection | None:
        """A connection of ``server``'s pool, waiting at most ``wait`` seconds; None when the
        server turns out to be down meanwhile."""
        started = time.monotonic()
        while True:
            try:
                return server.pool.getconn(timeout=WAIT_SLICE)
            except PoolTimeout:
                if server.down_until > started:
                    return None
                if time.monotonic() - started >= wait:
                    raise

    def run(self, generation: int | None, statement: str, params=None, one: bool = False, deadline: Deadline | None = None, steer: bool = False):
        """Rows of ``statement`` from the first server that answers (and, for ``generation``,
        holds it). ``steer``: a statement over many matches (see :data:`STEERED`)."""
        errors = []
        for server in self._candidates():
            remaining = deadline.remaining() if deadline is not None else 30.0
            if remaining <= 0:
                deadline.check()
            try:
                connection = self._connection(server, min(remaining, 30.0))
            except PoolTimeout:
                if deadline is not None:
                    deadline.check()
                raise SearchTimeout("数据库繁忙，请稍后重试") from None
            if connection is None:
                errors.append(f"{server.name}: cannot connect")
                continue
            try:
                if generation is not None and generation not in server.generations:
                    if connection.execute(f"SELECT 1 FROM {self.schema}.generations WHERE generation = %s", (generation,)).fetchone() is None:
                        errors.append(f"{server.name}: has not replayed generation {generation} yet")
                        continue
                    server.generations.add(generation)
                with connection.transaction():
                    connection.execute(f"SET LOCAL statement_timeout = {max(1, int(remaining * 1000))}")
                    if steer:
                        for setting in STEERED:
                            connection.execute(setting)
                    cursor = connection.execute(statement, params)
                    return cursor.fetchone() if one else cursor.fetchall()
            except psycopg.errors.QueryCanceled:
                if deadline is not None:
                    deadline.check()
                raise SearchTimeout("查询超过时间限制，请使用更具体的词语或加上筛选条件") from None
            except psycopg.OperationalError as error:
                self._down(server, error)
                errors.append(f"{server.name}: {str(error).strip()}")
            finally:
                server.pool.putconn(connection)
        raise ServiceUnavailable("the database does not answer: " + "; ".join(errors))

    # -- the port

    def current_token(self) -> str | None:
        if not self.dsn:
            return None
        try:
            row = self.run(None, f"SELECT generation FROM {self.schema}.state", one=True)
        except (ServiceUnavailable, psycopg.Error):
            return None
        return str(row[0]) if row and row[0] is not None else None

    def open_current(self) -> PostgresSearcher:
        hint = f"build it with: {self.build_command}"
        if not self.dsn:
            raise IndexMissing(f"TOWNSHIP_ENGINE=postgres needs TOWNSHIP_PG_DSN=postgresql://… (the database the index is built into); {hint}")
        try:
            row = self.run(None, f"SELECT generation FROM {self.schema}.state", one=True)
        except psycopg.errors.UndefinedTable:
            raise IndexMissing(f"no index in the database {redacted(self.dsn)} (schema {self.schema}); {hint}") from None
        except ServiceUnavailable as error:
            raise IndexMissing(f"{error}; {hint}") from None
        if not row or row[0] is None:
            raise IndexMissing(f"no generation published in {redacted(self.dsn)} yet; {hint}")
        return PostgresSearcher(self, row[0])

    def close(self) -> None:
        for server in self.servers:
            server.pool.close()
