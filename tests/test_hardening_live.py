"""A real server under a real rebuild (issue 6): ``uvicorn app.main:app --workers 2`` serving
one index while ``python -m indexer build`` replaces it, fails, or is killed with SIGKILL.

* The server starts without an index (503 with how to build it) and picks up the first build.
* A rebuild that adds a GB18030 report is answered from within 5 s by both workers, without a
  restart, while a client loop runs: 0 failed requests.
* A build that fails, or is killed halfway (its forked Whoosh workers included), changes
  nothing the server answers, leaves no process behind, and does not block the next build.
* Raw request paths (``..``, ``%2F``, NUL, huge) over the socket; a short load smoke test.

The full load test is ``python -m tests.load`` (50 clients, 60 s).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from indexer import layout
from indexer.domain import PROJECT_ROOT
from tests.conftest import DATA_DIR, TANGYANG, records_written
from tests.server import alive, build_index, descendants, lock_is_free, run_coroutine, serve

PICKUP_SECONDS = 5.0
UNIQUE = "琥珀蜂巢"  # occurs in no bundled report
NEW_REPORT = f"""云栖镇2024年工作总结

一、2024年主要工作
今年我镇启动{UNIQUE}计划，建成养蜂合作社3家，带动农户增收二十万元。
（一）产业发展。推进光伏项目与茶产业融合发展。

二、2025年工作计划
继续推进{UNIQUE}计划，做好信访维稳工作。
"""


class ClientLoop:
    """Threads that keep asking the server, each request on a new connection (so every
    worker gets some); any answer but 200 with valid JSON, or no answer, is a failure."""

    URLS = [
        "/healthz",
        "/api/search?q=光伏",
        f"/api/search?q={UNIQUE}",
        "/api/search?q=信访 -矛盾&township=汤垟乡",
        f"/api/documents/{TANGYANG}",
        "/api/trends?q=乡村振兴",
        "/api/suggest?q=光",
        "/api/export?q=茶&format=jsonl",
    ]

    def __init__(self, url: str, threads: int = 3, pause: float = 0.02):
        self.url = url
        self.pause = pause  # continuous traffic, not a load test: leave the build some CPU
        self.failures: list[str] = []
        self.requests = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, number: int) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.url, timeout=15, limits=limits) as client:
            i = number
            while not self._stop.is_set():
                path = self.URLS[i % len(self.URLS)]
                i += 1
                try:
                    response = client.get(path)
                    if response.status_code != 200:
                        problem = f"{response.status_code} {path}: {response.text[:200]}"
                    elif path.startswith("/api/export"):
                        problem = None
                    else:
                        response.json()
                        problem = None
                except (httpx.HTTPError, ValueError) as error:
                    problem = f"{type(error).__name__} {path}: {error}"
                with self._lock:
                    self.requests += 1
                    if problem:
                        self.failures.append(problem)
                self._stop.wait(self.pause)

    def __enter__(self) -> ClientLoop:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def search_total(url: str, q: str) -> int:
    with httpx.Client(base_url=url, timeout=15, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        response = client.get("/api/search", params={"q": q})
        response.raise_for_status()
        return response.json()["total"]


def wait_until_every_answer(url: str, check, seconds: float, in_a_row: int = 10) -> float:
    """Seconds until ``check(url)`` held for ``in_a_row`` consecutive requests (new connections,
    so both workers answer), or AssertionError after ``seconds``."""
    started = time.monotonic()
    streak = 0
    while streak < in_a_row:
        elapsed = time.monotonic() - started
        assert elapsed < seconds, f"not every answer was from the new index after {seconds} s"
        streak = streak + 1 if check(url) else 0
        if not streak:
            time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """Two workers started on an empty index folder, then the bundled reports built into it."""
    root = tmp_path_factory.mktemp("live")
    data, index = root / "data", root / "index"
    shutil.copytree(DATA_DIR, data)
    with serve(index, workers=2) as server:
        without_index = httpx.get(server.url + "/healthz", timeout=10)
        search_without_index = httpx.get(server.url + "/api/search", params={"q": "光伏"}, timeout=10)
        built = build_index(data, index)
        assert built.returncode == 0, built.stderr
        waited = wait_until_every_answer(server.url, lambda url: httpx.get(url + "/healthz", timeout=10).status_code == 200, 30)
        yield {
            "server": server,
            "root": root,
            "data": data,
            "index": index,
            "without_index": without_index,
            "search_without_index": search_without_index,
            "first_pickup": waited,
        }


def test_two_workers_serve_one_index(live):
    assert len(descendants(live["server"].process.pid)) >= 3  # the supervisor and two workers


def test_server_starts_without_an_index_and_says_how_to_build_it(live):
    for response in (live["without_index"], live["search_without_index"]):
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/json")
        assert "python -m indexer build" in response.json()["detail"]
    assert live["first_pickup"] < PICKUP_SECONDS
    assert live["server"].process.poll() is None  # no restart


def test_rebuild_while_serving_adds_a_report_without_a_failed_request(live):
    server, data, index = live["server"], live["data"], live["index"]
    assert search_total(server.url, UNIQUE) == 0
    (data / "新报告_gb18030.txt").write_bytes(NEW_REPORT.replace("\n", "\r\n").encode("gb18030"))
    before = (index / layout.POINTER).read_text()
    with ClientLoop(server.url) as loop:
        time.sleep(0.5)
        built = build_index(data, index)
        assert built.returncode == 0, built.stderr
        assert "新报告_gb18030.txt" in built.stdout
        waited = wait_until_every_answer(server.url, lambda url: search_total(url, UNIQUE) > 0, PICKUP_SECONDS)
        time.sleep(1.0)
    assert loop.failures == [], loop.failures[:5]
    assert loop.requests > 20
    assert (index / layout.POINTER).read_text() != before
    assert waited < PICKUP_SECONDS
    assert server.process.poll() is None
    health = httpx.get(server.url + "/healthz", timeout=10).json()
    assert health["documents"] == 6


def _served(url: str) -> tuple:
    with httpx.Client(base_url=url, timeout=15) as client:
        health = client.get("/healthz").json()
        return health["documents"], health["passages"], client.get("/api/search", params={"q": "光伏"}).json()["total"]


def test_a_build_killed_halfway_changes_nothing(live, tmp_path):
    server, index = live["server"], live["index"]
    big = tmp_path / "big"
    shutil.copytree(live["data"], big)
    for i in range(24):  # enough reports that the build is still writing when it is killed
        for report in DATA_DIR.glob("*.txt"):
            (big / f"{i:02d}_{report.name}").write_text(report.read_text(encoding="utf-8") + f"\n附记 {i}\n", encoding="utf-8")
    pointer = (index / layout.POINTER).read_text()
    generations = sorted(p.name for p in index.glob("gen-*"))
    served = _served(server.url)
    command = [sys.executable, "-m", "indexer", "build", "--data-dir", str(big), "--index-dir", str(index), "--quiet", "--procs", "2"]
    with ClientLoop(server.url) as loop:
        build = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while True:  # halfway: passages are being stored and the build has forked its workers
                workers = descendants(build.pid)[1:]
                if records_written(index) > 64 * 1024 and workers:
                    break
                assert build.poll() is None, "the build finished before it could be killed"
                assert time.monotonic() < deadline, "the build never got halfway"
                time.sleep(0.05)
            build.send_signal(signal.SIGKILL)
            build.wait(timeout=30)
        finally:
            if build.poll() is None:
                build.kill()
                build.wait()
        assert build.returncode == -signal.SIGKILL
        time.sleep(2.0)  # past the server's reload check
        gone = time.monotonic() + 5
        while any(alive(pid) for pid in workers) and time.monotonic() < gone:
            time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # do not leave them running when this test fails
        os.kill(pid, signal.SIGKILL)
    assert loop.failures == [], loop.failures[:5]
    assert not left, "the killed build left processes behind"
    assert (index / layout.POINTER).read_text() == pointer
    assert sorted(p.name for p in index.glob("gen-*")) == generations
    assert _served(server.url) == served
    assert search_total(server.url, UNIQUE) > 0
    assert lock_is_free(index), "the killed build's lock is still held"


def test_a_failed_build_changes_nothing(live, tmp_path):
    server, index = live["server"], live["index"]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(b"\x00\xff" * 500)
    pointer = (index / layout.POINTER).read_text()
    served = _served(server.url)
    with ClientLoop(server.url, threads=2) as loop:
        built = build_index(bad, index)
        time.sleep(1.5)
    assert built.returncode == 1 and "empty.txt" in built.stderr and "binary.txt" in built.stderr
    assert loop.failures == []
    assert (index / layout.POINTER).read_text() == pointer
    assert _served(server.url) == served


def _raw(port: int, target: str, timeout: float = 15) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "target",
    [
        "/api/documents/../../../../etc/passwd",
        "/api/documents/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/documents/%2e%2e",
        "/api/documents/%00",
        "/static/../../../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2fpyproject.toml",
        "/static/%00",
        "/static/",
        "/static/vendor/",
        "/api/passages/..%2f..%2fetc%2fpasswd/similar",
    ],
)
def test_raw_paths_over_the_socket(live, target):
    status, content_type, body = _raw(live["server"].port, target)
    assert status == 404, (status, body[:200])
    assert b"root:x:" not in body and b"[project]" not in body and b"docs-init.js" not in body
    if target.startswith("/api"):
        assert content_type.startswith("application/json")


def test_a_huge_request_line_is_never_a_5xx(live):
    for length in (20_000, 300_000):
        try:
            status, _, _ = _raw(live["server"].port, "/api/search?q=" + "a" * length)
        except (ConnectionError, http.client.HTTPException):
            continue  # uvicorn drops a request line it will not parse: no answer is no 5xx
        assert status < 500
    assert httpx.get(live["server"].url + "/healthz", timeout=10).status_code == 200


def test_load_smoke(live):
    from tests.load import run_load

    server = live["server"]
    result = run_coroutine(run_load(server.url, clients=8, seconds=5, warmup=1, pid=server.process.pid))
    assert result.errors == [], result.errors[:5]
    assert result.requests > 20
    assert result.memory and max(mb for _, mb in result.memory) - result.memory[0][1] < 100, result.summary(8)
