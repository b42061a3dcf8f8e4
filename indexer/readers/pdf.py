"""PDF with a text layer: text in reading order, running headers, footers and page numbers
removed, lines joined back into paragraphs.

pdfminer.six does the layout analysis (characters → lines with their coordinates and size).
Lines are read top to bottom per page (pieces of one printed line, such as a table row or a
heading number drawn apart from its words, are put back together); government reports are set
in one column.

* Running headers, footers and page numbers: among the two first and two last lines of each
  page, a line shaped like a page number (``3``, ``- 3 -``, ``第3页 共9页``, ``3/9``) and a line
  that recurs on at least half of the pages (digits aside, so ``汤垟乡2023年工作总结 第3页``
  counts as one) are dropped.
* Paragraphs: a line starts a paragraph when it begins with a heading marker (一、 (一) 1.
  (1) 一是 第…章/条), is indented or centred, or follows a line that ends one. A line ends a
  paragraph when it stops well short of the right margin, or ends with 。！？；： — except in a
  document whose paragraphs are marked by first-line indents, where a full line ending in 。
  is only where the page wrapped. Chinese lines are joined without a space, Latin words with one.
* A PDF whose pages carry images but no text is a scan: reported as such (run OCR first),
  never indexed as empty. Fonts without a Unicode mapping (text extracted as ``(cid:N)``) and
  encrypted files are reported too.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTChar, LTContainer, LTImage, LTTextLine
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psexceptions import PSEOF, PSException

from indexer.normalize import normalize
from indexer.readers.common import SourceText, UnreadableReport, join_pieces, sniff, source_text

_NUM = "一二三四五六七八九十百零〇"
HEADING_START = re.compile(rf"^(?:[{_NUM}]+[、.]|\([{_NUM}\d]+\)|\d{{1,2}}(?:、|\.(?!\d))|[{_NUM}]{{1,3}}是|第[{_NUM}\d]+[章节条部分篇]|[①-⑳])")
PAGE_NUMBER = re.compile(
    r"^(?:[-—–‐－·•\s]*\d{1,4}[-—–‐－·•\s]*|第\s*\d+\s*页(?:\s*[,/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|page\s*\d+(?:\s*of\s*\d+)?|[-—–]\s*[{_NUM}]+\s*[-—–])$".replace(
        "{_NUM}", _NUM
    ),
    re.I,
)
_ENDS_SENTENCE = re.compile(r"[。！？；：!?;:][”’」』)）\]】]*$")
_CID = re.compile(r"\(cid:\d+\)")
_WIDE = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’…—·]"
WIDE_PAIR = re.compile(rf"(?<={_WIDE})( ?)(?={_WIDE})")
WIDE_SPACE = re.compile(rf"(?<={_WIDE}) (?={_WIDE})")
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be a running header or footer


@dataclass
class Row:
    page: int
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    text: str


def _line_size(line: LTTextLine) -> float:
    sizes = [char.size for char in line if isinstance(char, LTChar)]
    return statistics.median(sizes) if sizes else max(line.height, 1.0)


def _unspaced(text: str) -> str:
    """Letter-spaced Chinese (``我 们 坚 持``) loses its spaces; an odd space between words stays."""
    pairs = WIDE_PAIR.findall(text)
    if pairs and sum(1 for gap in pairs if gap) >= 0.3 * len(pairs):
        return WIDE_SPACE.sub("", text)
    return text


def _rows(lines: list[tuple[float, float, float, float, float, str]], page: int) -> list[Row]:
    """Printed lines of one page, top to bottom: pieces sharing a baseline become one row."""
    lines.sort(key=lambda line: (-line[2], line[0]))
    rows: list[Row] = []
    for x0, x1, top, bottom, size, text in lines:
        row = rows[-1] if rows else None
        if row and min(row.top, top) - max(row.bottom, bottom) > 0.5 * min(row.top - row.bottom, top - bottom):
            (_, _, first), (second_x0, _, second) = sorted([(row.x0, row.x1, row.text), (x0, x1, text)])
            apart = second_x0 - min(row.x1, x1) > 0.8 * max(size, row.size)
            row.text = first.rstrip() + " " + second.lstrip() if apart else join_pieces(first, second)
            row.x0, row.x1 = min(row.x0, x0), max(row.x1, x1)
            row.top, row.bottom, row.size = max(row.top, top), min(row.bottom, bottom), max(row.size, size)
        else:
            rows.append(Row(page, x0, x1, top, bottom, size, text))
    return rows


def layout(path: Path) -> tuple[list[list[Row]], list[int], int]:
    """Rows of every page, the pages that show images, and how many ``(cid:N)`` codes were met."""
    pages: list[list[Row]] = []
    image_pages: list[int] = []
    cids = 0
    params = LAParams(line_margin=0.3, boxes_flow=None, detect_vertical=False)
    try:
        for number, page in enumerate(extract_pages(str(path), laparams=params), start=1):
            lines = []
            stack = list(page)
            has_image = False
            while stack:
                item = stack.pop()
                if isinstance(item, LTTextLine):
                    raw = item.get_text().rstrip("\n")
                    cids += len(_CID.findall(raw))
                    text = _unspaced(_CID.sub("", raw))
                    if text.strip():
                        lines.append((item.x0, item.x1, item.y1, item.y0, _line_size(item), text))
                elif isinstance(item, LTImage):
                    has_image = True
                elif isinstance(item, LTContainer):
                    stack.extend(item)
            pages.append(_rows(lines, number))
            if has_image:
                image_pages.append(number)
    except PDFPasswordIncorrect as error:
        raise UnreadableReport("encrypted PDF (password protected); save an unprotected copy to index it") from error
    except PDFEncryptionError as error:
        raise UnreadableReport(f"encrypted PDF this reader cannot open ({error})") from error
    except PSEOF as error:
        raise UnreadableReport("truncated PDF (the file ends before its last object; an incomplete download?)") from error
    except (PDFSyntaxError, PSException) as error:
        raise UnreadableReport(f"damaged PDF ({type(error).__name__}: {error})") from error
    return pages, image_pages, cids


def _edge_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", normalize(text)))


def strip_running(pages: list[list[Row]]) -> list[Row]:
    """Body rows of all pages in order, without running headers, footers and page numbers."""
    edges = [set(range(min(EDGE_LINES, len(rows)))) | set(range(max(0, len(rows) - EDGE_LINES), len(rows))) for rows in pages]
    recurring = Counter()
    for rows, edge in zip(pages, edges):
        recurring.update({_edge_key(rows[i].text) for i in edge if len(rows[i].text) <= 80})
    needed = max(2, (len(pages) + 1) // 2)
    body = []
    for rows, edge in zip(pages, edges):
        for index, row in enumerate(rows):
            if index in edge:
                folded = re.sub(r"\s+", " ", normalize(row.text)).strip()
                if PAGE_NUMBER.match(folded) or (len(pages) > 1 and recurring[_edge_key(row.text)] >= needed):
                    continue
            body.append(row)
    return body


def _mode(values: list[float]) -> float:
    return Counter(round(v) for v in values).most_common(1)[0][0]


def paragraphs(rows: list[Row]) -> list[str]:
    if not rows:
        return []
    size = statistics.median(row.size for row in rows)
    left = _mode([row.x0 for row in rows])
    right = sorted(row.x1 for row in rows)[int(0.8 * (len(rows) - 1))]
    indented = [row for row in rows if left + 1.2 * size <= row.x0 <= left + 3.5 * size]
    indent_mode = len(indented) >= max(2, 0.05 * len(rows))
    result: list[str] = []
    ends = True
    for row in rows:
        text = row.text.strip()
        folded = normalize(text)
        short = row.x1 < right - 2.5 * size
        starts = ends or row.x0 > left + 1.2 * size or row.text[:1] in (" ", "\u3000") or bool(HEADING_START.match(folded))
        if starts or not result:
            result.append(text)
        else:
            result[-1] = join_pieces(result[-1], text)
        # With first-line indents marking paragraphs, a full line ending in 。 is only a wrap.
        full = indent_mode and row.x1 >= right - 0.5 * size
        ends = short or (bool(_ENDS_SENTENCE.search(folded)) and not full)
    return result


def read_pdf(path: Path) -> SourceText:
    if sniff(path) != "pdf":
        raise UnreadableReport("not a PDF file (no %PDF- header)")
    pages, image_pages, cids = layout(path)
    text_pages = [number for number, rows in enumerate(pages, start=1) if sum(len(r.text.strip()) for r in rows) >= 10]
    total = sum(len(row.text.strip()) for rows in pages for row in rows)
    if not pages:
        raise UnreadableReport("PDF without pages")
    if cids and cids * 2 > total:
        raise UnreadableReport("PDF whose fonts have no Unicode mapping (its text extracts as (cid:N) codes); run OCR on it, e.g. ocrmypdf")
    if not text_pages:
        if image_pages:
            raise UnreadableReport(
                f"scanned PDF without a text layer ({len(pages)} page{'s' if len(pages) > 1 else ''} of images); run OCR on it first (e.g. ocrmypdf) and index the result"
            )
        raise UnreadableReport(f"PDF without any text ({len(pages)} page{'s' if len(pages) > 1 else ''})")
    warnings = []
    scanned = [n for n in image_pages if n not in text_pages]
    if scanned:
        shown = ", ".join(map(str, scanned[:10])) + (" …" if len(scanned) > 10 else "")
        warnings.append(f"第{shown}页是没有文字层的扫描图像, 未编入索引")
    if cids:
        warnings.append(f"丢弃了{cids}个没有Unicode映射的字符")
    return source_text(paragraphs(strip_running(pages)), "pdf", "PDF", warnings)
