"""Recall: every passage whose normalized text contains the query string is found.

The reference is a brute-force scan over the normalized passages (the pipeline's records,
independent of the index); the index is asked through the search service.
"""

from __future__ import annotations

import random

import pytest

from app.search.service import SearchRequest
from indexer.analysis import normalize

QUERY_SYNTAX = set(' \t"“”＂「」()（）　')
HAND_PICKED = [
    "茶",
    "蛙",
    "线虫",
    "189万",
    "EOD",
    "eod",
    "ＥＯＤ",
    "乡村振兴",
    "鄉村振興",
    "强村",
    "1+3+N",
    "稻+",
    "百香果",
    "產業",
    "信访",
    "低保",
    "光伏",
    "两不愁三保障",
    "“八八战略”",
]


def scan(passages, needle: str) -> set[str]:
    folded = normalize(needle)
    return {p.passage_id for p in passages if folded in normalize(p.text)}


def found(service, q: str) -> set[str]:
    return {hit.passage_id for hit in service.export(SearchRequest(q=q))}


def sampled_strings(passages, count: int = 300, seed: int = 20261123) -> list[str]:
    rng = random.Random(seed)
    texts = [p.text for p in passages]
    samples: list[str] = []
    while len(samples) < count:
        text = rng.choice(texts)
        length = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8, 12])
        if len(text) <= length:
            continue
        start = rng.randrange(len(text) - length)
        candidate = text[start : start + length]
        if QUERY_SYNTAX & set(candidate) or candidate.startswith(("-", "－")) or candidate.strip() != candidate:
            continue
        if normalize(candidate) == "or":
            continue
        samples.append(candidate)
    return samples


def test_sampled_substrings_are_all_found(service, passages):
    misses = []
    for needle in sampled_strings(passages):
        expected = scan(passages, needle)
        assert expected, needle
        missing = expected - found(service, needle)
        if missing:
            misses.append((needle, sorted(missing)[:3]))
    assert misses == []


def test_quoted_substrings_find_exactly_the_passages_containing_them(service, passages):
    for needle in sampled_strings(passages, count=120, seed=7):
        assert found(service, f'"{needle}"') == scan(passages, needle), needle


@pytest.mark.parametrize("needle", HAND_PICKED)
def test_hand_picked_strings(service, passages, needle):
    expected = scan(passages, needle.strip("“”"))
    assert expected, needle
    assert expected <= found(service, needle)


def test_single_characters_jieba_never_isolates(service, passages):
    # jieba alone found 1 of the 12 passages containing 茶; every one must be found.
    tea = scan(passages, "茶")
    assert len(tea) >= 10
    assert found(service, "茶") == tea
