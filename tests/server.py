"""A real uvicorn server in a subprocess, for the live hardening tests and ``python -m tests.load``.

Not a test module: helpers to start ``uvicorn app.main:app`` on a free loopback port against
an index directory, wait until it answers, read its memory, and stop it (only the processes
started here, by their id).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from indexer.domain import PROJECT_ROOT


def run_coroutine(coroutine):
    """``asyncio.run`` in a thread of its own: it works even when the calling thread already
    runs an event loop (Playwright's sync API leaves one in the test process)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for task in tasks:
        try:
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return found


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux ``/proc``)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += _children(current)
    return out


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def lock_is_free(index_dir: Path) -> bool:
    """No build holds the index folder's lock."""
    with open(index_dir / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (the uvicorn workers), in MB."""
    total_kb = 0
    for process in descendants(pid):
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
    return total_kb / 1024


def build_index(data_dir: Path, index_dir: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m indexer build`` as a person runs it; returns the finished process."""
    command = [sys.executable, "-m", "indexer", "build", "--data-dir", str(data_dir), "--index-dir", str(index_dir), "--quiet", *extra]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    port: int
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)


@contextmanager
def serve(index_dir: Path, workers: int = 1, startup_seconds: float = 60, env: dict | None = None) -> Iterator[Server]:
    """``uvicorn app.main:app`` on ``index_dir`` (``TOWNSHIP_INDEX_DIR``); yields once it answers
    (``/healthz`` 200 or 503: the server must start without an index too)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    if workers > 1:
        command += ["--workers", str(workers)]
    environment = {**os.environ, "TOWNSHIP_INDEX_DIR": str(index_dir), **(env or {})}
    log = Path(tempfile.mkstemp(prefix="uvicorn-", suffix=".log")[1])
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}", port, log)
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{server.log_tail()}")
            try:
                if httpx.get(server.url + "/healthz", timeout=2).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not answer within {startup_seconds} s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)
        log.unlink(missing_ok=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # uvicorn stops its workers itself
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the session this module started for it
            process.wait(timeout=5)
