"""Thresholds on the fixture evaluation (``python -m tests.quality`` prints the figures)."""

from __future__ import annotations

import pytest

from tests.quality import FIXTURES, evaluate

HELD_OUT = FIXTURES.parent / "heldout"  # written after the rules were frozen
# Written by an evaluator from a study of real pages before reading the extraction code; the
# thresholds are the targets for real report pages the project has never seen.
INDEPENDENT = FIXTURES.parent / "independent"
# Issue 19: one or more reports of each class of miss real pages still showed, and a set written
# after those rules were frozen.
ROUND2 = FIXTURES.parent / "round2"
ROUND2_HELD_OUT = FIXTURES.parent / "round2-heldout"
# A second evaluator's set of 40 real-page patterns (run once on the round-2 code as a held-out
# test; its README keeps those figures), and round 3: the classes it still found.
INDEPENDENT2 = FIXTURES.parent / "independent2"
ROUND3 = FIXTURES.parent / "round3"
# The second evaluator's second set (held out on the round-3 code: its README keeps those figures)
# and round 4: the classes it found (chrome no list holds, report text using web words: kept).
INDEPENDENT3 = FIXTURES.parent / "independent3"
ROUND4 = FIXTURES.parent / "round4"
# A third evaluator's 30 pages (run once, held out, on the code before its fixes: its README keeps
# those figures); blogs, forums, 微博, 知乎, 360doc, PPT and PDF library pages among them.
INDEPENDENT4 = FIXTURES.parent / "independent4"
SETS = [FIXTURES, HELD_OUT, INDEPENDENT, ROUND2, ROUND2_HELD_OUT, INDEPENDENT2, ROUND3, INDEPENDENT3, ROUND4, INDEPENDENT4]
IDS = ["fixtures", "held-out", "independent", "round2", "round2-held-out", "independent2", "round3", "independent3", "round4", "independent4"]


@pytest.fixture(scope="module", params=SETS, ids=IDS)
def results(request):
    return evaluate(request.param)


def test_there_are_enough_fixtures():
    minimum = {
        FIXTURES: 40,
        HELD_OUT: 20,
        INDEPENDENT: 50,
        ROUND2: 30,
        ROUND2_HELD_OUT: 15,
        INDEPENDENT2: 40,
        ROUND3: 15,
        INDEPENDENT3: 30,
        ROUND4: 20,
        INDEPENDENT4: 30,
    }
    assert all(evaluate(folder).fixtures >= n for folder, n in minimum.items())


def test_township_right_and_never_invented(results):
    township = results.fields["township"]
    assert township.total >= 15
    assert township.share >= 0.90, results.misses
    assert township.invented == 0, results.misses


def test_county_right_whenever_stated_and_never_invented(results):
    stated = results.fields["county (stated)"]
    assert stated.total >= 3 and stated.share == 1.0, results.misses
    assert results.fields["county"].invented == 0, results.misses


def test_year_and_kind(results):
    assert results.fields["year"].share >= 0.85, results.misses
    assert results.fields["kind"].share >= 0.85, results.misses


def test_sections_and_about_year(results):
    if "section" in results.fields:  # (the round-2 held-out set asks no sections)
        assert results.fields["section"].share >= 0.85, results.misses
    if "about_year" in results.fields:  # (nor round 3 about_year: its classes are elsewhere)
        assert results.fields["about_year"].share >= 0.80, results.misses
    assert "section" in results.fields or "about_year" in results.fields or results.folder == ROUND4  # (round 4: kept)


def test_report_text_using_web_words_is_kept(results):
    if "kept" in results.fields:  # (round 4: 下载, 注册, 公众号 … in sentences of the report)
        assert results.fields["kept"].share == 1.0, results.misses


def test_no_chrome_line_is_a_passage(results):
    assert results.chrome_passages == []


def test_words_split_by_hard_wraps_are_whole_again(results):
    searchable = results.fields["searchable"]
    # (round 3 has no hard wraps: its two words are the cells of a table, which must stay text;
    # round 4 has three, cut by a document site's chunks)
    assert searchable.total >= (2 if results.folder in (ROUND3, ROUND4) else 8) and searchable.share == 1.0, results.misses
