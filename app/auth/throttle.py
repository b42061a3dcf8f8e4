"""Failed sign-ins, counted per client address and per (address, curator name).

After ``limit`` failures within ``window`` seconds a key is blocked until that window ends:
``/login`` answers 429 with ``Retry-After``. The table is capped (``capacity`` keys, the
least recently failed dropped first), so no stream of requests can grow a worker's memory.
Each worker counts for itself: with N workers a client gets at most N times the limit.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

ATTEMPTS_PER_NAME = 5  # wrong passwords for one name from one address, per window
ATTEMPTS_PER_ADDRESS = 20  # wrong passwords from one address, whatever the name
WINDOW_SECONDS = 15 * 60
CAPACITY = 10_000


class LoginThrottle:
    def __init__(
        self,
        per_name: int = ATTEMPTS_PER_NAME,
        per_address: int = ATTEMPTS_PER_ADDRESS,
        window: float = WINDOW_SECONDS,
        capacity: int = CAPACITY,
        clock=time.monotonic,
    ):
        self.limits = {"name": per_name, "address": per_address}
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self._failures: OrderedDict[tuple, list[float]] = OrderedDict()  # key → [count, window start]
        self._lock = threading.Lock()

    @staticmethod
    def keys(address: str, name: str | None) -> list[tuple]:
        keys = [("address", address)]
        if name is not None:
            keys.append(("name", address, name[:64]))
        return keys

    def retry_after(self, address: str, name: str | None = None) -> int:
        """Seconds until a sign-in from ``address`` (for ``name``) is accepted again; 0: now."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in self.keys(address, name):
                entry = self._failures.get(key)
                if entry and now - entry[1] < self.window and entry[0] >= self.limits[key[0]]:
                    wait = max(wait, entry[1] + self.window - now)
        return int(wait + 0.999)

    def failed(self, address: str, name: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self.keys(address, name):
                entry = self._failures.pop(key, None)
                if entry is None or now - entry[1] >= self.window:
                    entry = [0, now]
                entry[0] += 1
                self._failures[key] = entry  # now the most recent
            while len(self._failures) > self.capacity:
                self._failures.popitem(last=False)

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            self._failures.pop(("name", address, name[:64]), None)

    def __len__(self) -> int:
        return len(self._failures)
