"""The real HTTP stack: uvicorn in a subprocess on loopback, clients on real sockets."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from indexer.domain import PROJECT_ROOT
from tests.benchmarks import procs
from tests.server import free_port


class Server:
    """``uvicorn app.main:app`` on 127.0.0.1 serving ``index_dir``."""

    def __init__(self, index_dir: Path, workers: int = 1, python: str = sys.executable, env: dict | None = None):
        self.port = free_port()
        env = {**os.environ, "TOWNSHIP_INDEX_DIR": str(index_dir), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
        command = [python, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        if workers > 1:
            command += ["--workers", str(workers)]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.ready_s = self._wait_ready()

    def _wait_ready(self, timeout: float = 600) -> float:
        """Seconds until /healthz answers 200 (the index generation is open by then)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read()[-2000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become ready")

    def memory(self) -> dict:
        return procs.memory(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Client:
    """One keep-alive connection; ``get`` returns (status, body bytes, milliseconds)."""

    def __init__(self, port: int, timeout: float = 120):
        self.port = port
        self.timeout = timeout
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.retries = 0

    def get(self, url: str) -> tuple[int, bytes, float]:
        for attempt in (1, 2):
            started = time.perf_counter()
            reused = self.connection.sock is not None
            try:
                self.connection.request("GET", url)
                response = self.connection.getresponse()
                body = response.read()
                return response.status, body, (time.perf_counter() - started) * 1000
            except (OSError, http.client.HTTPException) as error:
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                # A keep-alive connection the server closed while idle: retry once, like any client.
                stale = isinstance(error, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError))
                if not (attempt == 1 and reused and stale):
                    return 0, repr(error).encode(), (time.perf_counter() - started) * 1000
                self.retries += 1
        raise AssertionError("unreachable")

    def json(self, url: str) -> tuple[int, dict | None, float]:
        status, body, ms = self.get(url)
        try:
            return status, json.loads(body) if status == 200 else None, ms
        except ValueError:
            return status, None, ms

    def close(self) -> None:
        self.connection.close()


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load(port: int, urls: list[str], clients: int, seconds: float, stop: threading.Event | None = None) -> LoadResult:
    """``clients`` threads, each on its own connection, cycling through ``urls`` for ``seconds``
    (or until ``stop`` is set)."""
    result = LoadResult(clients=clients, seconds=seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(offset: int) -> None:
        client = Client(port)
        latencies: list[float] = []
        errors: list[str] = []
        count = 0
        start.wait()
        i = offset
        while time.monotonic() < deadline[0] and not (stop and stop.is_set()):
            url = urls[i % len(urls)]
            status, body, ms = client.get(url)
            count += 1
            latencies.append(ms)
            if status != 200:
                errors.append(f"{status} {url} {body[:200]!r}")
            i += 1
        client.close()
        with lock:
            result.requests += count
            result.latencies_ms += latencies
            result.errors += len(errors)
            result.error_samples += errors[:3]

    threads = [threading.Thread(target=worker, args=(k * max(1, len(urls) // clients),)) for k in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    return result
