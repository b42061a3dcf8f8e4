"""Every query has a time limit (``TOWNSHIP_SEARCH_TIMEOUT``); work checks it between steps."""

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
