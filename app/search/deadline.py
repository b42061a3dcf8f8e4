"""Every request has a time limit (``TOWNSHIP_SEARCH_TIMEOUT``); engines check it between steps
(:class:`app.search.port.Deadline`)."""

from __future__ import annotations

import time

from app.search.service import SearchTimeout


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise SearchTimeout(f"查询超过时间限制 ({self.seconds:g} 秒)，请使用更具体的词语或加上筛选条件")

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())
