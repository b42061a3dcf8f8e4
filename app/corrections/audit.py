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
        """One write of whole lines with O_APPEND (the caller holds the corrections lock)."""
        if not entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode("utf-8")
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(descriptor).st_size
            if size and os.pread(descriptor, 1, size - 1) != b"\n":
                data = b"\n" + data  # after a line cut short, start a line of our own
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def page(self, page: int = 1, size: int = 50) -> tuple[list[dict], int]:
        """(the entries of ``page``, newest first; how many entries there are). A damaged line
        (cut by a full disk) is skipped."""
        newest: deque[dict] = deque(maxlen=min(page * size, MAX_ENTRIES_READ))
        total = 0
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict):
                        newest.append(entry)
                        total += 1
        except FileNotFoundError:
            return [], 0
        return list(reversed(newest))[(page - 1) * size : page * size], total
