"""The build that publishes corrections: ``python -m indexer build`` in a process of its own
(the server never writes an index), one at a time per worker, and waiting while any other
build holds the index folder's lock (``indexer.layout.build_lock``). Corrections that arrive
during a build are published by the next one: requests coalesce, none is lost. The build is
incremental (only the corrected reports are indexed again); the servers pick up the generation
it publishes by themselves. A failed build changes nothing the servers see: they keep
answering from the index in use; its reason is kept in the status file the curators' page shows.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from app.files import atomic_write, now_iso
from indexer.domain import PROJECT_ROOT

log = logging.getLogger("township.corrections")
BUILD_TIMEOUT = 3600  # seconds; a build of 10,000 reports in full takes some 5 minutes
LOCKED = "another build is running"
LOCK_WAIT = 1.0  # seconds between two tries while another build runs


class Rebuilder:
    def __init__(self, index_dir: Path, status_file: Path, target: list[str] | None = None, env: dict[str, str] | None = None):
        """``target``: where the build writes (default ``--index-dir index_dir``; the app's engine
        may name another: ``--engine postgres``, the DSN in ``env``)."""
        self.index_dir = index_dir
        self.status_file = status_file
        self.target = target or ["--index-dir", str(index_dir)]
        self.env = env or {}
        self._pending: tuple[str, str] | None = None  # (data folder, metadata file) to build
        self._running = False
        self._lock = threading.Lock()

    def request(self, data_dir: str, metadata: str) -> None:
        """Build ``data_dir`` with ``metadata`` soon (now, or after the build under way)."""
        with self._lock:
            self._pending = (data_dir, metadata)
            if self._running:
                return
            self._running = True
        self._record(state="queued", requested_at=now_iso(), message="")
        threading.Thread(target=self._loop, name="corrections-build", daemon=True).start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._running = False
                    return
            try:
                self._build(*job)
            except Exception as error:  # the thread must go on serving later requests
                log.exception("the build publishing corrections failed")
                self._record(state="failed", finished_at=now_iso(), message=f"{type(error).__name__}: {error}")

    def _build(self, data_dir: str, metadata: str) -> None:
        command = [sys.executable, "-m", "indexer", "build", "--data-dir", data_dir, *self.target, "--metadata", metadata, "--quiet"]
        started = time.monotonic()
        self._record(state="running", started_at=now_iso(), message="")
        while True:
            run = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
            if run.returncode == 0 or LOCKED not in run.stderr or time.monotonic() - started > BUILD_TIMEOUT:
                break
            time.sleep(LOCK_WAIT)  # another build (a curator's in another worker, a person's, watch)
        lines = run.stdout.splitlines()
        if run.returncode == 0:
            summary = next((line for line in lines if line.startswith(("incremental build", "full build", "index is up to date"))), "")
            self._record(state="published", finished_at=now_iso(), message=summary, seconds=round(time.monotonic() - started, 1))
            log.info("corrections published: %s", summary)
        else:
            reason = (run.stderr.strip() or run.stdout.strip() or f"exit status {run.returncode}")[-2000:]
            self._record(state="failed", finished_at=now_iso(), message=reason, seconds=round(time.monotonic() - started, 1))
            log.error("the build publishing corrections failed; the index in use stays: %s", reason)

    def _record(self, **changes) -> None:
        status = {**(self.status() or {}), **changes}
        try:
            atomic_write(self.status_file, json.dumps(status, ensure_ascii=False, indent=2) + "\n")
        except OSError:
            log.exception("cannot write %s", self.status_file)

    def status(self) -> dict | None:
        """The last build's state (queued, running, published, failed), times and message."""
        try:
            return json.loads(self.status_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
