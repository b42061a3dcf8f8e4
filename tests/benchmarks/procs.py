"""Process-tree memory and CPU from /proc (Linux), without third-party packages."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

from tests.server import descendants as tree  # pid and every process below it

PAGE = os.sysconf("SC_PAGE_SIZE")


def _rollup(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes; PSS counts a page shared by k processes as 1/k (forked workers)."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
        return rss, pss
    except OSError:
        try:
            pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            return pages * PAGE, pages * PAGE
        except OSError:
            return 0, 0


def memory(pid: int) -> dict[str, float]:
    """Summed RSS and PSS (MB) of a process tree, and how many processes it has."""
    pids = tree(pid)
    rss = pss = 0
    each = []
    for p in pids:
        r, s = _rollup(p)
        rss += r
        pss += s
        each.append(r / 1048576)
    return {"rss_mb": rss / 1048576, "pss_mb": pss / 1048576, "processes": len(pids), "rss_each_mb": sorted(each, reverse=True)}


class PeakSampler:
    """Samples a process tree's memory every ``interval`` seconds, keeping the peak."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid = pid
        self.interval = interval
        self.peak_rss_mb = 0.0
        self.peak_pss_mb = 0.0
        self.max_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            sample = memory(self.pid)
            self.peak_rss_mb = max(self.peak_rss_mb, sample["rss_mb"])
            self.peak_pss_mb = max(self.peak_pss_mb, sample["pss_mb"])
            self.max_processes = max(self.max_processes, sample["processes"])
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_measured(command: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run a command to completion; wall time, CPU time of the whole tree, peak memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with PeakSampler(process.pid) as sampler:
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime  # includes waited-for children (the build's workers)
    return {
        "returncode": process.returncode,
        "output": output,
        "wall_s": wall,
        "cpu_s": cpu,
        "cores_used": cpu / wall if wall else 0.0,
        "peak_rss_mb": sampler.peak_rss_mb,
        "peak_pss_mb": sampler.peak_pss_mb,
        "max_processes": sampler.max_processes,
    }


def du_mb(path: Path) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total / 1048576
