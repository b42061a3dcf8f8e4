"""Reading and cleaning: encodings, bad files, pinyin, web-page leftovers, stray symbols."""

from __future__ import annotations

import codecs

import pytest

from indexer.clean import clean, remove_pinyin
from indexer.normalize import normalize
from indexer.read import UnreadableReport, decode, discover
from tests.conftest import DATA_DIR, GUIZHUMAO, ZHAITAN, ZUSHIDIAN

REPORT = (DATA_DIR / f"{GUIZHUMAO}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "encoded, encoding",
    [
        (REPORT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + REPORT.encode("utf-8"), "utf-8-sig"),
        (REPORT.encode("gb18030"), "gb18030"),
        (REPORT.encode("utf-16"), "utf-16"),  # with BOM
        (REPORT.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
        (REPORT.replace("\n", "\r").encode("gb18030"), "gb18030"),
    ],
)
def test_every_encoding_decodes_to_the_same_lines(encoded, encoding):
    text, used, warnings = decode(encoded)
    assert used == encoding
    assert warnings == []
    assert clean(text).lines == clean(REPORT).lines


def test_gbk_subset_is_read_as_gb18030():
    simplified = (DATA_DIR / f"{ZUSHIDIAN}.txt").read_text(encoding="utf-8").replace("⠂", "")
    text, used, _ = decode(simplified.encode("gbk"))
    assert used == "gb18030" and text == simplified


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"  \n\r\n \t", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
        (b"\xff\xfe\xfa\x01" * 3 + b"\x81", "utf-16"),
        (bytes([0xB0, 0xA1, 0xFF, 0xFE, 0x80, 0x80, 0xE4]) * 50, "undecodable"),
    ],
)
def test_unreadable_files_name_the_reason(data, reason):
    with pytest.raises(UnreadableReport, match=reason):
        decode(data)


def test_truncated_multibyte_tail_is_dropped_with_a_warning():
    data = REPORT.encode("utf-8")[:-1]  # cut inside the last character
    text, used, warnings = decode(data)
    assert used == "utf-8"
    assert REPORT.rstrip().startswith(text.rstrip()[:-1])
    assert warnings and "incomplete" in warnings[0]


def test_pinyin_glued_into_words_is_removed_everywhere():
    lines = clean(REPORT).lines
    joined = "\n".join(lines)
    assert "(zhèn)" not in joined and "(guī)" not in joined
    assert "規劃" in joined and "桂竹帽鎮黨委政府" in joined  # traditional script kept
    assert remove_pinyin("鎮(zhèn)（zhèn）村(社区)项目(EOD)") == "鎮村(社区)项目(EOD)"


def test_web_page_leftovers_are_not_text_but_metadata_is_kept():
    cleaned = clean((DATA_DIR / f"{ZHAITAN}.txt").read_text(encoding="utf-8"))
    joined = "\n".join(cleaned.lines)
    for leftover in ("索引号", "原文链接", "政策解读链接", "点击数", "附件:"):
        assert leftover not in joined
    assert cleaned.metadata == {"publisher": "斋坛乡人民政府", "published": "2025-05-21", "index_number": "00266476_7/2025-20117"}


def test_stray_symbols_dropped_and_fullwidth_folded_for_matching():
    cleaned = clean((DATA_DIR / f"{ZUSHIDIAN}.txt").read_text(encoding="utf-8"))
    assert "⠂" not in "".join(cleaned.lines)
    assert normalize("ＥＯＤ：１８９万（一）") == "eod:189万(一)"
    assert normalize("產業鎮鄉村振興") == "产业镇乡村振兴"


def test_normalization_is_character_for_character():
    assert len(normalize(REPORT)) == len(REPORT)
    for start in range(0, len(REPORT) - 10, 97):
        assert normalize(REPORT[start : start + 10]) == normalize(REPORT)[start : start + 10]


def test_discovery_reports_duplicates_symlinks_and_unsupported(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text(REPORT, encoding="utf-8")
    (data / "copy.txt").write_text(REPORT, encoding="utf-8")
    (data / "notes.xyz").write_text("x", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("外部文件", encoding="utf-8")
    (data / "link.txt").symlink_to(outside)
    (data / "inner-link.txt").symlink_to(data / "a.txt")
    (data / "metadata.toml").write_text("", encoding="utf-8")
    found, skipped = discover(data)
    reasons = dict(skipped)
    assert [f.relative for f in found] == ["a.txt"]
    assert "duplicate of a.txt" in reasons["copy.txt"]
    assert "outside the data folder" in reasons["link.txt"]
    assert "duplicate" in reasons["inner-link.txt"]
    assert "unsupported" in reasons["notes.xyz"]
    assert "metadata.toml" not in reasons
