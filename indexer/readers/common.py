"""Small helpers the format readers share: joining CJK text and sniffing what a file really is."""

from __future__ import annotations

import re
from pathlib import Path

from indexer.normalize import is_cjk
from indexer.read import SourceText, UnreadableReport


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
