"""HTML pages (``.html``, ``.htm``): the article body of a government web page, and its metadata.

* Charset: a byte-order mark, else bytes that are valid UTF-8, else the charset the page
  declares (``<meta charset>``; GB2312/GBK are read as their superset GB18030, as browsers
  do), else GB18030 when it decodes to plausible Chinese. A declaration that does not fit the
  bytes is overridden with a warning.
* Metadata, from the whole page: the national government-site ``<meta>`` tags
  (``ArticleTitle``, ``PubDate``, ``ContentSource``), the labelled fields of the information
  table (索引号, 发布机构, 发布时间/成文日期) and the title (the article heading that the
  ``<title>`` repeats, else the ``<title>`` without its site-name suffix).
* Body: page chrome (scripts, styles, forms, ``nav``/``header``/``footer``/``aside`` and
  elements whose class or id says navigation, footer, share, print, breadcrumb, related…) is
  removed, then readability-lxml picks the article container; its blocks become lines.
  ``<br>`` and block elements end a line, table cells of one row share a line, and a line
  break inside the HTML source between two Chinese characters is no space.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import lxml.html
from lxml import etree
from readability import Document
from readability.readability import Unparseable

from indexer import domain
from indexer.clean import iso_date, web_metadata
from indexer.normalize import normalize
from indexer.readers.common import SourceText, UnreadableReport, decode, plausible, source_text, truncated_tail, wide

_DECLARED = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_GB = {"gb2312", "gbk", "gb18030", "hz"}

# Elements that are never article text.
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "select",
    "textarea",
    "nav",
    "header",
    "footer",
    "aside",
    "svg",
    "canvas",
    "map",
    "audio",
    "video",
)
# Class or id words (split at - and _) of page chrome on government CMS templates.
_CHROME_WORDS = {
    "nav",
    "navbar",
    "menu",
    "submenu",
    "topbar",
    "top",
    "toolbar",
    "crumb",
    "crumbs",
    "breadcrumb",
    "position",
    "location",
    "weizhi",
    "dqwz",
    "footer",
    "foot",
    "bottom",
    "copyright",
    "banquan",
    "share",
    "bdshare",
    "jiathis",
    "fenxiang",
    "print",
    "dayin",
    "close",
    "guanbi",
    "sidebar",
    "side",
    "related",
    "xgwz",
    "xgxx",
    "comment",
    "pinglun",
    "search",
    "login",
    "qrcode",
    "ewm",
    "erweima",
    "wza",
    "fontsize",
    "zihao",
    "pager",
    "pagination",
    "prev",
    "next",
    "sxp",
    "hits",
    "djs",
    "banner",
    "ad",
    "ads",
    "advert",
    "friendlink",
    "links",
}
_BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "center",
    "address",
    "hr",
    "figure",
    "figcaption",
    "title",
    "body",
    "html",
    "header",
    "footer",
    "nav",
    "aside",
    "form",
    "fieldset",
}
_CELL_TAGS = {"td", "th"}
_SOFT = "\ue000"  # a source line break inside text: a space between Latin words, nothing between Chinese
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_SOFT_RUN = re.compile(rf"[ {_SOFT}]*{_SOFT}[ {_SOFT}]*")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|——|—|–|\s-\s)\s*")
_SITE_NAME = re.compile(r"(?:网|网站|门户|首页|人民政府|政府|信息公开|政务公开)$")


# ------------------------------------------------------------------------------ charset


def _codec(name: bytes | str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.decode("ascii") if isinstance(name, bytes) else name).name
    except (LookupError, UnicodeDecodeError):
        return None
    return "gb18030" if codec in _GB else codec


def declared_charset(data: bytes) -> str | None:
    head = data[:4096]
    match = _XML_DECLARED.match(head) or _DECLARED.search(head)
    return match.group(1).decode("ascii", "replace").lower() if match else None


def decode_page(data: bytes) -> tuple[str, str, list[str]]:
    """(text, encoding, warnings) of an HTML page's bytes."""
    if not data.strip():
        raise UnreadableReport("empty file")
    declared = declared_charset(data)
    codec = _codec(declared)
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode(data)
    if b"\x00" in data[:8192]:
        raise UnreadableReport("binary file (contains NUL bytes), not an HTML page")
    candidates = ["utf-8"] + ([codec] if codec and codec != "utf-8" else []) + ["gb18030"]
    for encoding in dict.fromkeys(candidates):
        decoded = truncated_tail(data, encoding)
        if decoded is None:
            continue
        text, truncated = decoded
        if encoding != "utf-8" and not plausible(text):
            continue
        warnings = []
        if declared and codec != encoding and not (encoding == "utf-8" and text.isascii()):
            warnings.append(f"网页声明的编码是{declared}, 实际是{encoding}; 按{encoding}读取")
        if truncated:
            warnings.append(f"文件末尾有不完整的{encoding}字符, 已丢弃残缺的字节")
        return text, encoding, warnings
    said = f"declared {declared}, " if declared else ""
    raise UnreadableReport(f"undecodable HTML page ({said}neither UTF-8 nor GB18030/GBK text)")


# ------------------------------------------------------------------------------ text of elements


def _clean_inline(text: str | None) -> str:
    if not text:
        return ""
    return _SPACES.sub(lambda m: _SOFT if "\n" in m.group(0) or "\r" in m.group(0) else " ", text)


def _resolve_soft(line: str) -> str:
    def replace(match: re.Match) -> str:
        before = line[match.start() - 1] if match.start() else ""
        after = line[match.end()] if match.end() < len(line) else ""
        return "" if not before or not after or wide(before) or wide(after) else " "

    return re.sub(" {2,}", " ", _SOFT_RUN.sub(replace, line))


def element_lines(root: etree._Element) -> list[str]:
    """The lines a browser shows for ``root``: blocks and ``<br>`` end lines, cells of a row share one."""
    parts: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _BLOCK_TAGS or tag == "br":
                parts.append("\n")
            elif tag in _CELL_TAGS:
                parts.append(" ")
            if tag and tag not in ("script", "style"):
                parts.append(_clean_inline(element.text))
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            elif tag in _CELL_TAGS:
                parts.append(" ")
            if element is not root:
                parts.append(_clean_inline(element.tail))
    lines = (_resolve_soft(line).strip() for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def _text(element: etree._Element) -> str:
    return " ".join(element_lines(element))


# ------------------------------------------------------------------------------ metadata


def _meta(tree: etree._Element, *names: str) -> str | None:
    for name in names:
        for element in tree.xpath(
            f"//meta[translate(@name,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')='{name.lower()}' or @property='{name}']"
        ):
            if value := (element.get("content") or "").strip():
                return value
    return None


def _title(tree: etree._Element) -> str | None:
    if article_title := _meta(tree, "ArticleTitle", "og:title"):
        return article_title
    page_title = " ".join((tree.findtext(".//title") or "").split())
    headings = []
    for element in tree.xpath("//h1|//h2|//h3|//*[contains(@class,'title') or contains(@id,'title') or @class='bt' or contains(@class,'tit')]"):
        if element.tag in ("title", "meta"):
            continue
        text = _text(element)
        if 4 <= len(text) <= 100:
            headings.append(text)
    folded_page = normalize(page_title)
    for heading in headings:
        if normalize(heading) in folded_page:
            return heading
    first = _TITLE_SEPARATORS.split(page_title)[0].strip() if page_title else ""
    if len(first) >= 4 and not _SITE_NAME.search(first):
        return first
    long_headings = [h for h in headings if len(h) >= 8 and not _SITE_NAME.search(h)]
    return long_headings[0] if long_headings else None


def page_metadata(tree: etree._Element) -> dict[str, str]:
    """title, publisher, published (YYYY-MM-DD) and index_number (索引号) a page states."""
    found: dict[str, str] = {}
    if title := _title(tree):
        found["title"] = title
    org_suffixes = domain.load_rules().list("signature", "org_suffixes")
    body = tree.find(".//body")
    for line in element_lines(body if body is not None else tree):
        folded = normalize(line)
        if not any(label in folded for label in ("发布", "索引号", "来源", "成文", "发文")):
            continue
        for key, value in web_metadata(line).items():
            found.setdefault(key, value)
    if "publisher" not in found:
        origin = found.get("origin") or _meta(tree, "ContentSource")
        if origin and normalize(origin).endswith(org_suffixes):
            found["publisher"] = origin
    if "published" not in found and (date := iso_date(_meta(tree, "PubDate", "publishdate", "article:published_time") or "")):
        found["published"] = date
    return found


# ------------------------------------------------------------------------------ body


def _is_chrome(element: etree._Element) -> bool:
    words = set(re.split(r"[-_\s]+", f"{element.get('class', '')} {element.get('id', '')}".lower()))
    return bool(words & _CHROME_WORDS)


def strip_chrome(tree: etree._Element) -> None:
    for element in list(tree.iter(*_DROP_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()
    body = tree.find(".//body")
    for element in list((body if body is not None else tree).iter()):
        if isinstance(element.tag, str) and element.tag not in ("body", "html") and element.getparent() is not None and _is_chrome(element):
            element.drop_tree()
    for element in list(tree.iter(etree.Comment, etree.ProcessingInstruction)):
        if element.getparent() is not None:
            element.drop_tree()


def _cjk_count(lines: list[str]) -> int:
    return sum(1 for line in lines for c in line if "\u4e00" <= c <= "\u9fff")


def article_lines(tree: etree._Element) -> list[str]:
    """The article's lines: readability-lxml's pick of the content container on a page without chrome."""
    strip_chrome(tree)
    body = tree.find(".//body")
    everything = element_lines(body if body is not None else tree)
    try:
        summary = Document(tree, min_text_length=10).summary(html_partial=True)
        lines = element_lines(lxml.html.fromstring(summary))
    except (Unparseable, etree.ParserError, ValueError):
        lines = []
    # readability needs some text to score; a short page or a failed pick keeps all its text.
    if _cjk_count(lines) < 50 and _cjk_count(everything) > _cjk_count(lines):
        return everything
    return lines


def parse(text: str) -> etree._Element:
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        raise UnreadableReport("empty HTML page")
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as error:
        raise UnreadableReport(f"not a readable HTML page ({error})") from error


def read_html(path: Path) -> SourceText:
    text, encoding, warnings = decode_page(path.read_bytes())
    return html_source(text, encoding, warnings)


def html_source(text: str, encoding: str, warnings: list[str]) -> SourceText:
    """The article of a decoded page (also a ``.txt`` file that holds HTML markup)."""
    tree = parse(text)
    metadata = page_metadata(tree)
    lines = article_lines(tree)
    title = metadata.get("title")
    if title and normalize(title) not in (normalize(line) for line in lines[:3]):
        lines.insert(0, title)  # the article heading, as the first line of a report
    return source_text(lines, encoding, "HTML page", warnings, metadata)
