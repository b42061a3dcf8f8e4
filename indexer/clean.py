"""Stage 2, clean: from decoded text to the lines a reader should see.

Removes what is not report text (pinyin glued into words, web-page navigation, stray
symbols) while keeping the script as written. Metadata found in web-page lines
(发布机构, 发布时间) is kept before those lines go.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from indexer import domain
from indexer.normalize import normalize

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A pinyin gloss right after an ideograph: 鎮(zhèn), 規（guī）. At least one tone mark, so
# ordinary Latin in parentheses, e.g. 项目(EOD) or 村(社区), is never touched.
PINYIN_GLOSS = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])[(（](?=[a-zü]*[{_TONED}])[a-zü{_TONED}ê]{{1,8}}[)）]"
)
# Braille dots, zero-width and bidi marks, private-use code points, the replacement
# character and control characters: never meaningful in a report.
STRAY = re.compile("[\u2800-\u28ff\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ue000-\uf8ff\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_PUBLISHER_LABEL = re.compile(r"(?:发布机构|发文机关|发文单位)\s*[:]\s*([^\s:]+?)(?=\s|发布|点击|$)")
_INDEX_NUMBER = re.compile(r"索引号\s*[:]\s*([0-9a-z][0-9a-z_/\-.]*)")
_DATE_LABEL = re.compile(r"(?:发布时间|发布日期|成文日期)\s*[:]\s*(\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2})")


@dataclass
class CleanText:
    lines: list[str]
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def remove_pinyin(text: str) -> str:
    for _ in range(3):  # a second gloss right after the first (字(zì)（zì）) only shows once the first is gone
        text, removed = PINYIN_GLOSS.subn("", text)
        if not removed:
            break
    return text


def remove_stray(text: str) -> str:
    return STRAY.sub("", text)


def iso_date(text: str) -> str | None:
    match = _DATE.search(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def web_metadata(line: str) -> dict[str, str]:
    """发布机构 / 发布时间 / 索引号 a line of a scraped page states; the publisher as written."""
    folded = normalize(line)
    found: dict[str, str] = {}
    if match := _PUBLISHER_LABEL.search(folded):
        found["publisher"] = line[match.start(1) : match.end(1)]
    if match := _DATE_LABEL.search(folded):
        if date := iso_date(match.group(1)):
            found["published"] = date
    if match := _INDEX_NUMBER.search(folded):
        found["index_number"] = line[match.start(1) : match.end(1)]
    return found


def clean(text: str) -> CleanText:
    rules = domain.load_rules()
    drop_prefixes = rules.list("web", "drop_line_prefixes") + ("发布机构", "发布时间", "发布日期", "成文日期", "发文机关")
    drop_lines = set(rules.list("web", "drop_lines"))
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = remove_stray(remove_pinyin(text))
    result = CleanText(lines=[])
    for raw in text.split("\n"):
        line = raw.strip().strip("\u3000").strip()
        if not line:
            continue
        folded = normalize(line)
        if folded.startswith(drop_prefixes) or folded in drop_lines:
            for key, value in web_metadata(line).items():
                result.metadata.setdefault(key, value)
            continue
        result.lines.append(line)
    if not result.lines:
        result.warnings.append("no report text left after cleaning")
    return result
