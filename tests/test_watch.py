"""``python -m indexer watch`` as a person runs it: a subprocess that builds the folder, waits
while a report is still being copied in, then publishes it (and logs what changed), and ends
cleanly on SIGTERM, also in the middle of a build."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.search.engines import search_service
from app.search.service import SearchRequest
from indexer import layout
from indexer.build import build
from indexer.domain import PROJECT_ROOT
from tests.conftest import DATA_DIR, records_written
from tests.server import alive, descendants, lock_is_free

UNIQUE = "琥珀蜂巢"  # occurs in no bundled report
TAIL = "蜂巢结尾标记"  # the last line of the new report: present only once it is copied in whole
NEW_REPORT = (
    "云栖镇2024年工作总结\n\n一、2024年主要工作\n"
    + "".join(f"今年我镇启动{UNIQUE}计划第{i}期，建成养蜂合作社，带动农户增收。\n" for i in range(40))
    + f"二、2025年工作计划\n继续推进{UNIQUE}计划，做好信访维稳工作。{TAIL}\n"
)


def _start(data: Path, index: Path, interval: float, log=subprocess.PIPE) -> subprocess.Popen:
    """``log``: a file to write the watcher's output to, for a test that reads it while it runs."""
    command = [
        sys.executable,
        "-m",
        "indexer",
        "watch",
        "--data-dir",
        str(data),
        "--index-dir",
        str(index),
        "--interval",
        str(interval),
        "--procs",
        "2",
    ]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, output


def _total(index: Path, q: str) -> int:
    return search_service(index).search(SearchRequest(q=q)).total


def test_watch_publishes_a_report_once_it_is_copied_in_and_stops_on_sigterm(tmp_path):
    data, index = tmp_path / "data", tmp_path / "index"
    shutil.copytree(DATA_DIR, data)
    watcher = _start(data, index, interval=1.0)
    try:
        _wait(lambda: (index / layout.POINTER).exists(), 120, "the first build")
        first = (index / layout.POINTER).read_text()
        # A report arriving slowly (a copy over the network): it keeps growing for 3 s, never
        # still for a whole interval, so nothing is published until it is complete.
        encoded = NEW_REPORT.encode("gb18030")
        pieces = [encoded[i : i + len(encoded) // 30 + 1] for i in range(0, len(encoded), len(encoded) // 30 + 1)]
        with (data / "新报告.txt").open("wb") as handle:
            for piece in pieces:
                handle.write(piece)
                handle.flush()
                time.sleep(0.1)
                assert (index / layout.POINTER).read_text() == first, "published while the file was still being copied in"
        _wait(lambda: (index / layout.POINTER).read_text() != first, 60, "publishing the new report")
        assert _total(index, UNIQUE) > 0 and _total(index, TAIL) == 1  # the whole file, not a part of it
        documents = layout.read_manifest(layout.current_generation(index))["documents"]
        assert documents == 6
        # A report removed: published too.
        (data / "新报告.txt").unlink()
        second = (index / layout.POINTER).read_text()
        _wait(lambda: (index / layout.POINTER).read_text() != second, 60, "publishing the removal")
        assert _total(index, UNIQUE) == 0
    finally:
        code, output = _stop(watcher)
    assert code == 0, output
    assert "Traceback" not in output
    assert "published" in output and "1 added" in output and "新报告.txt" in output and "1 removed" in output
    assert "stopped (SIGTERM)" in output
    assert not list(index.glob(".building-*")) and lock_is_free(index)


def test_sigterm_in_the_middle_of_a_build_changes_nothing(tmp_path):
    data, index = tmp_path / "data", tmp_path / "index"
    shutil.copytree(DATA_DIR, data)
    for i in range(20):  # enough reports that the first build is still running when stopped
        for report in DATA_DIR.glob("*.txt"):
            (data / f"{i:02d}_{report.name}").write_text(report.read_text(encoding="utf-8") + f"\n附记 {i}\n", encoding="utf-8")
    watcher = _start(data, index, interval=0.2)
    workers: list[int] = []
    try:

        def building() -> bool:
            workers[:] = descendants(watcher.pid)[1:]
            return bool(workers) and records_written(index) > 0

        _wait(building, 120, "a build with its indexing processes")
    finally:
        code, output = _stop(watcher)
    assert code == 0, output
    assert "stopped (SIGTERM)" in output and "Traceback" not in output
    assert not (index / layout.POINTER).exists() and not list(index.glob("gen-*")) and not list(index.glob(".building-*"))
    _wait(lambda: not any(alive(pid) for pid in workers), 10, "the indexing processes ending")
    assert lock_is_free(index)


@pytest.mark.parametrize("interval", ["0", "abc", "-1"])
def test_a_bad_interval_is_refused_clearly(interval, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "indexer", "watch", "--index-dir", str(tmp_path), "--interval", interval],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--interval" in done.stderr and "Traceback" not in done.stderr


def test_watch_waits_for_another_build(tmp_path):
    """One build at a time per index folder: while another holds the lock, watch waits."""
    data, index = tmp_path / "data", tmp_path / "index"
    shutil.copytree(DATA_DIR, data)
    index.mkdir()
    with layout.build_lock(index):  # "another build" (this process) holds the folder
        with pytest.raises(layout.BuildLocked, match="another build is running"):
            build(data, index, procs=1)
        # The watcher reports waiting once it has found the lock held: wait for that line rather than
        # a fixed time (starting Python and jieba takes seconds on a loaded machine).
        log_path = tmp_path / "watch.log"
        with log_path.open("w") as log:
            watcher = _start(data, index, interval=0.3, log=log)
        _wait(lambda: "waiting: another build is running" in log_path.read_text(), 120, "the watcher finding the lock held")
        time.sleep(1.0)  # a few more polls while the lock is still held
        assert not (index / layout.POINTER).exists()
    try:
        _wait(lambda: (index / layout.POINTER).exists(), 120, "the build after the lock was released")
    finally:
        code, _ = _stop(watcher)
    output = log_path.read_text()
    assert code == 0 and output.count("waiting: another build is running") == 1 and "published" in output, output
