"""Throwaway PostgreSQL clusters for the tests and the benchmark: real servers, no mocks.

Not a test module. :func:`cluster` runs Debian's ``initdb`` and ``pg_ctl`` (found under
``/usr/lib/postgresql/<version>/bin``, or ``$TOWNSHIP_PG_BIN``) in a temporary folder, on a free
loopback port, and stops and removes it afterwards; :func:`standby` clones a running cluster
with ``pg_basebackup`` into a streaming-replication standby. PostgreSQL refuses to run as root,
so when the tests run as root (CI does) the server runs as the unprivileged ``postgres`` user
(Debian's package creates it), or ``nobody``; its folder belongs to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.server import free_port, rss_mb

SUPERUSER = "township"
DATABASE = "township"
# Settings for a throwaway cluster: durability traded for speed (the data is rebuilt each
# run), enough WAL senders for standbys, a little more memory than the default 128 MB.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "replica",
    "max_wal_senders": "10",
    "wal_keep_size": "1GB",
    "hot_standby": "on",
    "hot_standby_feedback": "on",
    "max_connections": "100",
    "shared_buffers": os.environ.get("TOWNSHIP_PG_SHARED_BUFFERS", "256MB"),
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


class ClusterUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed (``bash scripts/system-deps.sh`` installs them)."""


def bin_dir() -> Path:
    configured = os.environ.get("TOWNSHIP_PG_BIN")
    candidates = [Path(configured)] if configured else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise ClusterUnavailable("PostgreSQL server programs not found (initdb, pg_ctl): run bash scripts/system-deps.sh (apt-get install postgresql)")


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


@dataclass
class Cluster:
    directory: Path  # owned by the server's user: data/ and the socket
    port: int
    user: pwd.struct_passwd | None
    process_log: Path

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def dsn(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def run(self, program: str, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """A PostgreSQL program, as the server's user."""
        kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []} if self.user else {}
        completed = subprocess.run(
            [str(bin_dir() / program), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.directory,
            env={**os.environ, "LC_ALL": "C.UTF-8", "PGTZ": "UTC"},
            **kwargs,
        )
        if check and completed.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}\n{self.log_tail()}"
            )
        return completed

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.process_log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self) -> None:
        self.run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-w",
            "-t",
            "120",
            "-l",
            str(self.process_log),
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast`` (a clean shutdown) or ``immediate`` (as a crash)."""
        self.run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "120", check=False)

    def running(self) -> bool:
        return self.run("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def rss_mb(self) -> float:
        """Resident memory of the server and its processes."""
        pid = self.pid()
        return rss_mb(pid) if pid else 0.0

    def size_mb(self) -> float:
        total = 0
        for root, _, files in os.walk(self.data):
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    pass
        return total / 1048576


def _new_directory(user: pwd.struct_passwd | None, parent: Path | None) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="township-pg-", dir=parent))
    if user:
        os.chown(directory, user.pw_uid, user.pw_gid)
    return directory


def _settings_file(cluster: Cluster, extra: dict[str, str]) -> None:
    lines = [f"{key} = '{value}'" for key, value in {**SETTINGS, **extra}.items()]
    with open(cluster.data / "postgresql.auto.conf", "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def _wait_accepting(cluster: Cluster, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while cluster.run("pg_isready", "-h", "127.0.0.1", "-p", str(cluster.port), "-d", DATABASE, "-U", SUPERUSER, check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL on port {cluster.port} does not accept connections:\n{cluster.log_tail()}")
        time.sleep(0.1)


def _remove(cluster: Cluster) -> None:
    if cluster.running():
        cluster.stop("immediate")
    shutil.rmtree(cluster.directory, ignore_errors=True)


@contextmanager
def cluster(parent: Path | None = None, settings: dict[str, str] | None = None, keep: bool = False) -> Iterator[Cluster]:
    """A new primary with the database ``township``; stopped and removed on exit (``keep``: left running)."""
    user = _server_user()
    directory = _new_directory(user, parent)
    made = Cluster(directory, free_port(), user, directory / "server.log")
    try:
        made.run("initdb", "-D", str(made.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        _settings_file(made, settings or {})
        made.start()
        made.run("createdb", "-h", "127.0.0.1", "-p", str(made.port), "-U", SUPERUSER, DATABASE)
        yield made
    finally:
        if not keep:
            _remove(made)


@contextmanager
def standby(primary: Cluster, parent: Path | None = None) -> Iterator[Cluster]:
    """A streaming-replication standby of ``primary`` (``pg_basebackup -R``), hot: it answers reads."""
    directory = _new_directory(primary.user, parent)
    made = Cluster(directory, free_port(), primary.user, directory / "server.log")
    try:
        made.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", SUPERUSER, "-D", str(made.data), "-R", "-X", "stream", "--no-sync"
        )
        made.start()
        _wait_accepting(made)
        yield made
    finally:
        _remove(made)


def new_database(server: Cluster, name: str | None = None) -> str:
    """A new, empty database on ``server``; its DSN."""
    import uuid

    import psycopg

    name = name or f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.dsn.rsplit("/", 1)[0] + "/" + name
