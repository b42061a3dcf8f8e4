"""The audit trail: one JSON line per corrected field (who, when, which report, which field,
before → after), appended and never rewritten. Readers page through it newest first holding at
most one page's worth of lines, however long it grows."""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path

MAX_ENTRIES_READ = 10_000  # page × size: how deep the trail can be paged into


class AuditTrail:
    def __init__(self, path: Path):
        self.path = path

    def append(self, entries: list[dict]) -> None:
        """One write of whole lines with O_APPEND: lines of two writers never interleave."""
        if not entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode("utf-8")
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def page(self, page: int = 1, size: int = 50) -> tuple[list[dict], int]:
        """(the entries of ``page``, newest first; how many entries there are)."""
        wanted = min(page * size, MAX_ENTRIES_READ)
        newest: deque[str] = deque(maxlen=wanted)
        total = 0
        try:
            with self.path.open(encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        newest.append(line)
                        total += 1
        except FileNotFoundError:
            return [], 0
        lines = list(reversed(newest))[(page - 1) * size : page * size]
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:  # a line cut by a full disk: the others still show
                continue
        return entries, total
