"""What every reader shares, below all of them: the :class:`SourceText` a reader returns, the
:class:`UnreadableReport` it raises, decoding a text file's bytes, joining CJK text and
sniffing what a file really is. It imports no reader and no later stage, so readers, the
registry (``indexer.read``) and the cleaning stage (``indexer.clean``) all import it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from indexer.normalize import is_cjk


class UnreadableReport(Exception):
    """A report file that cannot be indexed; ``str(error)`` is the reason."""


@dataclass
class SourceText:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)
    # Metadata the format carries itself (an HTML page's title or publisher, say).
    metadata: dict[str, str] = field(default_factory=dict)


def truncated_tail(data: bytes, encoding: str) -> tuple[str, bool] | None:
    """Decode ``data``, tolerating only an incomplete multi-byte sequence at the very end."""
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 4 and error.end == len(data):
            try:
                return data[: error.start].decode(encoding), True
            except UnicodeDecodeError:
                return None
        return None


def _expected_in_report(c: str) -> bool:
    return (
        is_cjk(c)
        or c.isascii()
        or "\u3000" <= c <= "\u303f"  # CJK punctuation
        or "\uff00" <= c <= "\uffef"  # full-width forms
        or "\u00c0" <= c <= "\u024f"  # Latin letters with tone marks: pinyin (zhèn, nóng, lǜ)
        or "\u2100" <= c <= "\u24ff"  # ℃, Ⅲ, ①, arrows
        or "\u25a0" <= c <= "\u25ff"  # ●, ■, △
        or "\u3300" <= c <= "\u33ff"  # ㎡, ㎞
        or c in "“”‘’…—·•×÷°±"
    )


def plausible(text: str) -> bool:
    """Mostly what a report in a legacy code page decodes to: ideographs, ASCII, punctuation,
    pinyin and the symbols reports use."""
    sample = text[:20000]
    if not sample.strip():
        return False
    good = sum(1 for c in sample if _expected_in_report(c))
    return good / len(sample) >= 0.95


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Return (text, encoding, warnings) for the bytes of a text report."""
    warnings: list[str] = []
    if not data.strip():
        raise UnreadableReport("empty file")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            decoded = truncated_tail(data, encoding)
            if decoded is None or (encoding == "utf-16" and not plausible(decoded[0])):
                raise UnreadableReport(f"starts with a {encoding} byte-order mark but is not valid {encoding} text")
            text, truncated = decoded
            break
    else:
        if b"\x00" in data[:8192]:
            raise UnreadableReport("binary file (contains NUL bytes), not a text report")
        for encoding in ("utf-8", "gb18030"):
            decoded = truncated_tail(data, encoding)
            if decoded is not None and (encoding == "utf-8" or plausible(decoded[0])):
                text, truncated = decoded
                break
        else:
            raise UnreadableReport("undecodable: neither UTF-8, UTF-16 nor GB18030/GBK text")
    if truncated:
        warnings.append(f"文件末尾有不完整的{encoding}字符, 已丢弃残缺的字节")
    if "\x00" in text:
        raise UnreadableReport("binary file (contains NUL characters), not a text report")
    if not text.strip():
        raise UnreadableReport("empty file (only whitespace)")
    return text, encoding, warnings


def wide(char: str) -> bool:
    """An ideograph or a full-width / CJK punctuation mark: text joined to it needs no space."""
    return is_cjk(char) or "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef" or char in "“”‘’…—·"


def join_pieces(left: str, right: str) -> str:
    """Join two pieces of one paragraph: no space in Chinese text (not even between digits, as in
    ``全乡19`` + ``3户``), one space between the words of Latin text."""
    left, right = left.rstrip(" \t"), right.lstrip(" \t")
    if not left or not right:
        return left + right
    if left[-1] == "-" or any(wide(c) for c in left[-8:] + right[:8]):
        return left + right
    return left + " " + right


def source_text(lines: list[str], encoding: str, kind: str, warnings: list[str] | None = None, metadata: dict[str, str] | None = None) -> SourceText:
    """The reader's result, or :class:`UnreadableReport` when the file holds no text at all."""
    lines = [line.strip() for line in lines]
    lines = [line for line in lines if line]
    if not lines:
        raise UnreadableReport(f"{kind} without any text")
    return SourceText(text="\n".join(lines), encoding=encoding, warnings=list(warnings or []), metadata=dict(metadata or {}))


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.doc, .xls, …) compound file
ZIP_MAGIC = b"PK\x03\x04"
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)


def sniff(path: Path) -> str:
    """What the first bytes say the file is: ``ole``, ``zip``, ``pdf``, ``rtf``, ``html`` or ``unknown``."""
    with path.open("rb") as handle:
        head = handle.read(2048)
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if _HTML_START.match(head.lstrip(b"\xef\xbb\xbf")) or head.lstrip().lower().startswith(b"mime-version"):
        return "html"
    return "unknown"
