"""Page links: 1 … 4 5 [6] 7 8 … 20, previous and next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def page_numbers(current: int, last: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the first, the last and two either side; None is a gap."""
    wanted = sorted(p for p in {1, last, *range(current - 2, current + 3)} if 1 <= p <= last)
    numbers: list[int | None] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers


@dataclass
class Pagination:
    current: int
    links: list[tuple[int | None, str]]  # (page number, its URL); (None, "") is a gap
    prev_url: str = ""  # empty on the first page
    next_url: str = ""  # empty on the last page


def pagination(current: int, last: int, url: Callable[[int], str]) -> Pagination:
    """The links of page ``current`` of ``last``, ``url(n)`` being page n."""
    return Pagination(
        current=current,
        links=[(n, url(n) if n else "") for n in page_numbers(current, last)],
        prev_url=url(current - 1) if current > 1 else "",
        next_url=url(current + 1) if current < last else "",
    )
