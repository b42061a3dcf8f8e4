"""Word ``.docx``: paragraphs and tables in document order, one paragraph a line.

Opened with python-docx (the package, its styles and numbering parts); the text of each
paragraph is read from its XML so that tracked deletions, text boxes and drawing fall-backs
never get in, and nothing is lost where python-docx's ``Paragraph.text`` skips a run
(insertions, content controls, smart tags).

Structure is kept the way the text stages understand it:

* every paragraph, headings included, is a line of its own, so a Word heading such as
  ``2024年工作总结`` reaches ``structure.py``'s stand-alone heading rules; a line break inside a
  heading is no line break;
* Word's automatic numbering is not in the paragraph text. Its marker is rendered from the
  numbering definitions (format and level text of each level, start values, restarts and
  overrides, counted per list as Word does), so a heading numbered ``%1、`` in
  ``chineseCounting`` reads ``一、…`` and ``（%1）`` reads ``（一）…`` exactly as printed. Bullets
  get no marker, and a numbering format this module does not know is left out rather than
  guessed (the paragraph is still a line of its own).

Page headers and footers live in other parts of the package and are never read. Tables give
one line per row (cells separated by a space); a row of a single cell (a report laid out in a
table) gives the cell's paragraphs as lines.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from indexer.readers.common import SourceText, UnreadableReport, join_pieces, sniff, source_text

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _val(element: etree._Element | None, attribute: str = "val") -> str | None:
    return None if element is None else element.get(_w(attribute))


# Subtrees whose text is not the paragraph's own: deletions, drawings and text boxes, the
# fall-back copy of alternate content, run and paragraph properties.
_SKIP = {_w(t) for t in ("del", "moveFrom", "drawing", "pict", "object", "txbxContent", "rPr", "pPr", "instrText", "delText", "fldData")}
_SKIP.add(f"{{{MC}}}Fallback")

# --------------------------------------------------------------------------- number formats

_DIGITS = "〇一二三四五六七八九"
_COUNTING = "零一二三四五六七八九"
_LEGAL = "零壹贰叁肆伍陆柒捌玖"


def chinese_number(value: int, digits: str = _COUNTING, units: tuple[str, ...] = ("", "十", "百", "千")) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 105 → 一百零五 (up to 9999)."""
    if value <= 0 or value > 9999:
        return str(value)
    text = ""
    zero = False
    for position in range(len(str(value)) - 1, -1, -1):
        digit = value // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += digits[0]
            zero = False
        text += digits[digit] + units[position]
    if text.startswith(digits[1] + units[1]):  # 一十一 → 十一
        text = text[1:]
    return text


def _letters(value: int, alphabet: str) -> str:
    return alphabet[(value - 1) % 26] * ((value - 1) // 26 + 1)


def _roman(value: int) -> str:
    numerals = (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    )
    text = ""
    for number, letters in numerals:
        while value >= number:
            text, value = text + letters, value - number
    return text


def format_number(value: int, fmt: str) -> str | None:
    """``value`` in Word's number format ``fmt``; None for a format not derived here."""
    if fmt in ("decimal", "decimalHalfWidth") or (fmt.startswith("decimal") and value > 20 and "Zero" not in fmt and "FullWidth" not in fmt):
        return str(value)
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(c) + 0xFEE0) for c in str(value))
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return chr(0x245F + value)  # ① …
    if fmt == "decimalEnclosedParen":
        return chr(0x2473 + value)  # ⑴ …
    if fmt == "decimalEnclosedFullstop":
        return chr(0x2487 + value)  # ⒈ …
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand", "japaneseCounting"):
        return chinese_number(value)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join(_DIGITS[int(d)] for d in str(value))
    if fmt == "chineseLegalSimplified":
        return chinese_number(value, _LEGAL, ("", "拾", "佰", "仟"))
    if fmt == "ideographTraditional" and value <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[value - 1]
    if fmt == "ideographZodiac" and value <= 12:
        return "子丑寅卯辰巳午未申酉戌亥"[value - 1]
    if fmt in ("upperLetter", "lowerLetter"):
        return _letters(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if fmt == "upperLetter" else "abcdefghijklmnopqrstuvwxyz")
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(value) if fmt == "upperRoman" else _roman(value).lower()
    return None


# --------------------------------------------------------------------------- styles and numbering


@dataclass
class Level:
    fmt: str
    text: str | None
    start: int
    style: str | None
    legal: bool  # isLgl: every number of the label in decimal
    suffix: str  # tab | space | nothing


@dataclass
class Style:
    name: str
    based_on: str | None
    num_id: str | None
    ilvl: int | None
    outline: int | None


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class Styles:
    def __init__(self, document) -> None:
        self.styles: dict[str, Style] = {}
        try:
            root = document.styles.element
        except (KeyError, ValueError, AttributeError):
            return
        for element in root.iter(_w("style")):
            ppr = element.find(_w("pPr"))
            numpr = ppr.find(_w("numPr")) if ppr is not None else None
            self.styles[element.get(_w("styleId"), "")] = Style(
                name=_val(element.find(_w("name"))) or "",
                based_on=_val(element.find(_w("basedOn"))),
                num_id=_val(numpr.find(_w("numId"))) if numpr is not None else None,
                ilvl=_int(_val(numpr.find(_w("ilvl")))) if numpr is not None else None,
                outline=_int(_val(ppr.find(_w("outlineLvl")))) if ppr is not None else None,
            )

    def chain(self, style_id: str | None):
        seen = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            yield style_id, self.styles[style_id]
            style_id = self.styles[style_id].based_on

    def numbering(self, style_id: str | None) -> tuple[str | None, int | None]:
        for _, style in self.chain(style_id):
            if style.num_id is not None:
                return style.num_id, style.ilvl
        return None, None

    def is_heading(self, style_id: str | None) -> bool:
        for _, style in self.chain(style_id):
            if re.match(r"(?i)(heading|title|标题)", style.name) or (style.outline is not None and style.outline < 9):
                return True
        return False


class Numbering:
    """Renders automatic numbering markers, counting per abstract list as Word does."""

    def __init__(self, document, styles: Styles) -> None:
        self.styles = styles
        self.levels: dict[str, dict[int, Level]] = {}
        self.links: dict[str, str] = {}  # abstractNumId → numbering style it borrows its levels from
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        for abstract in root.iter(_w("abstractNum")):
            abstract_id = abstract.get(_w("abstractNumId"), "")
            if (link := _val(abstract.find(_w("numStyleLink")))) is not None:
                self.links[abstract_id] = link
            levels = self.levels.setdefault(abstract_id, {})
            for lvl in abstract.iter(_w("lvl")):
                ilvl = _int(lvl.get(_w("ilvl")), 0)
                levels[ilvl] = Level(
                    fmt=_val(lvl.find(_w("numFmt"))) or "decimal",
                    text=_val(lvl.find(_w("lvlText"))),
                    start=_int(_val(lvl.find(_w("start"))), 1),
                    style=_val(lvl.find(_w("pStyle"))),
                    legal=lvl.find(_w("isLgl")) is not None and _val(lvl.find(_w("isLgl"))) not in ("0", "false"),
                    suffix=_val(lvl.find(_w("suff"))) or "tab",
                )
        for num in root.iter(_w("num")):
            overrides = {}
            for override in num.iter(_w("lvlOverride")):
                if (start := _int(_val(override.find(_w("startOverride"))))) is not None:
                    overrides[_int(override.get(_w("ilvl")), 0)] = start
            self.nums[num.get(_w("numId"), "")] = (_val(num.find(_w("abstractNumId"))) or "", overrides)

    def _abstract(self, num_id: str) -> str | None:
        abstract_id = self.nums.get(num_id, (None, {}))[0]
        for _ in range(3):  # a list whose levels are defined by a numbering style
            if abstract_id not in self.links:
                break
            linked_num, _ = self.styles.numbering(self.links[abstract_id])
            abstract_id = self.nums.get(linked_num or "", (abstract_id, {}))[0]
        return abstract_id if abstract_id in self.levels else None

    def label(self, num_id: str, ilvl: int | None, style_id: str | None) -> tuple[str, str] | None:
        """(marker, suffix) of the next item of list ``num_id`` at ``ilvl``, or None."""
        abstract_id = self._abstract(num_id)
        if abstract_id is None:
            return None
        levels = self.levels[abstract_id]
        if ilvl is None:
            ilvl = next((i for i, level in levels.items() if style_id and level.style == style_id), 0)
        level = levels.get(ilvl)
        if level is None:
            return None
        counters = self.counters.setdefault(abstract_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for overridden, start in self.nums[num_id][1].items():
                counters[overridden] = start - 1
                for deeper in [d for d in counters if d > overridden]:
                    del counters[deeper]
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [d for d in counters if d > ilvl]:
            del counters[deeper]
        if level.fmt in ("bullet", "none") or not level.text:
            return None
        failed = False

        def number(match: re.Match) -> str:
            nonlocal failed
            index = int(match.group(1)) - 1
            source = levels.get(index, level)
            formatted = format_number(counters.get(index, source.start), "decimal" if level.legal else source.fmt)
            failed = failed or formatted is None
            return formatted or ""

        marker = re.sub(r"%([1-9])", number, level.text)
        return None if failed or not marker.strip() else (marker, level.suffix)


# --------------------------------------------------------------------------- text


def _paragraph_text(paragraph: etree._Element, heading: bool) -> str:
    parts: list[str] = []
    stack = list(reversed(paragraph))
    while stack:
        element = stack.pop()
        tag = element.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == _w("t"):
            parts.append(element.text or "")
        elif tag in (_w("tab"), _w("ptab")):
            parts.append(" ")
        elif tag in (_w("br"), _w("cr")):
            if _val(element, "type") in (None, "textWrapping"):
                parts.append("" if heading else "\n")
        elif tag == _w("noBreakHyphen"):
            parts.append("-")
        else:
            stack.extend(reversed(element))
    return "".join(parts)


class Reader:
    def __init__(self, document) -> None:
        self.styles = Styles(document)
        self.numbering = Numbering(document, self.styles)

    def paragraph(self, element: etree._Element) -> list[str]:
        ppr = element.find(_w("pPr"))
        style_id = _val(ppr.find(_w("pStyle"))) if ppr is not None else None
        heading = self.styles.is_heading(style_id) or (ppr is not None and _int(_val(ppr.find(_w("outlineLvl"))), 9) < 9)
        text = _paragraph_text(element, heading)
        numpr = ppr.find(_w("numPr")) if ppr is not None else None
        num_id, ilvl = self.styles.numbering(style_id)
        if numpr is not None:
            num_id = _val(numpr.find(_w("numId"))) or num_id
            ilvl = _int(_val(numpr.find(_w("ilvl"))), ilvl)
        if num_id and num_id != "0" and text.strip():
            if label := self.numbering.label(num_id, ilvl, style_id):
                marker, suffix = label
                glue = "" if suffix == "nothing" or not marker[-1].isalnum() else " "
                text = marker + glue + text.lstrip()
        return text.split("\n")

    def table(self, table: etree._Element) -> list[str]:
        lines: list[str] = []
        for row in table.findall(_w("tr")):
            cells = []
            for cell in row.findall(_w("tc")):
                tcpr = cell.find(_w("tcPr"))
                merge = tcpr.find(_w("vMerge")) if tcpr is not None else None
                if merge is not None and _val(merge) != "restart":
                    continue  # the continuation of a vertically merged cell
                cell_lines = [line.strip() for line in self.blocks(cell) if line.strip()]
                if cell_lines:
                    cells.append(cell_lines)
            if len(cells) == 1:
                lines.extend(cells[0])
            elif cells:
                lines.append(" ".join(join_lines(cell) for cell in cells))
        return lines

    def blocks(self, parent: etree._Element) -> list[str]:
        lines: list[str] = []
        for child in parent:
            if child.tag == _w("p"):
                lines.extend(self.paragraph(child))
            elif child.tag == _w("tbl"):
                lines.extend(self.table(child))
            elif child.tag in (_w("sdt"), _w("customXml"), _w("smartTag")):
                content = child.find(_w("sdtContent")) if child.tag == _w("sdt") else child
                if content is not None:
                    lines.extend(self.blocks(content))
        return lines


def join_lines(lines: list[str]) -> str:
    text = ""
    for line in lines:
        text = join_pieces(text, line) if text else line
    return text


def _check_package(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        raise UnreadableReport(f"damaged Word .docx file (not a readable ZIP package: {error})") from error
    if "word/document.xml" not in names:
        raise UnreadableReport("ZIP package without word/document.xml: not a Word .docx document")
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableReport(f"Word .docx that unpacks to {unpacked / 1048576:.0f} MB (over {MAX_UNPACKED_BYTES // 1048576} MB); not read")


def read_docx(path: Path) -> SourceText:
    # A .docx name holding another format reaches that format's reader (indexer.read.READERS).
    if sniff(path) != "zip":
        raise UnreadableReport("not a Word .docx file (no ZIP package signature)")
    _check_package(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError, zipfile.BadZipFile) as error:
        raise UnreadableReport(f"damaged Word .docx file ({type(error).__name__}: {error})") from error
    lines = Reader(document).blocks(document.element.body)
    return source_text(lines, "docx", "Word .docx document")
