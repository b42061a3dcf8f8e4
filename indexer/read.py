"""Stage 1, read: find report files and turn their bytes into text.

A format is only a reader: it returns :class:`SourceText` (text plus any metadata the format
itself carries) and every later stage is shared. Problems are raised as
:class:`UnreadableReport` with a reason a person can act on; the build names the file.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from indexer.normalize import is_cjk

MAX_FILE_BYTES = 20 * 1024 * 1024
# Files in a data folder that are configuration, not reports: skipped without a warning.
IGNORED_SUFFIXES = {".toml", ".json", ".jsonl", ".md", ".yml", ".yaml"}


class UnreadableReport(Exception):
    """A report file that cannot be indexed; ``str(error)`` is the reason."""


@dataclass
class SourceText:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)
    # Metadata the format carries itself (an HTML page's title or publisher, say).
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class ReportFile:
    path: Path
    relative: str  # path inside the data folder, with forward slashes
    sha1: str
    size: int


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


# Block and inline tags a page saved as text is made of (not <script> or <a>: a report may
# quote those, and it stays text; searching "span" must not find a saved page's markup).
_MARKUP = re.compile(r"<\s*/?\s*(?:div|p|span|br|table|tbody|tr|td|li|ul|ol|font|strong|b|h[1-6]|section|article)\b[^>]*>", re.I)


def holds_html(text: str) -> bool:
    """True when a text file is really a page: it opens like one, or most of its lines carry markup."""
    head = text.lstrip("\ufeff \t\r\n")[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<head", "<body", "<meta")):
        return True
    sample = text[:50000]
    lines = [line for line in sample.splitlines() if line.strip()]
    tagged = sum(1 for line in lines if _MARKUP.search(line))
    return len(_MARKUP.findall(sample)) >= 8 and tagged >= 0.3 * len(lines)


def read_text(path: Path) -> SourceText:
    text, encoding, warnings = decode(path.read_bytes())
    if holds_html(text):
        from indexer.readers.html import html_source

        return html_source(text, encoding, warnings + ["文本文件含HTML标记, 按网页读取"])
    return SourceText(text=text, encoding=encoding, warnings=warnings)


def _format_reader(module: str, kind: str, package: str) -> Callable[[Path], SourceText]:
    """``indexer.readers.<module>.read_<module>``, imported on first use.

    A missing library then affects that format alone, and anything unexpected a damaged file
    makes its library raise becomes an :class:`UnreadableReport` naming the format.
    """

    def reader(path: Path) -> SourceText:
        try:
            function = getattr(importlib.import_module(f"indexer.readers.{module}"), f"read_{module}")
        except ImportError as error:
            raise UnreadableReport(f"{kind} files need the Python package {package} ({error}); install it with: bash scripts/venv.sh") from error
        try:
            return function(path)
        except (UnreadableReport, OSError):
            raise
        except RecursionError as error:
            raise UnreadableReport(f"damaged {kind} file (nested too deeply to read)") from error
        except Exception as error:  # a damaged file must never stop the build with a traceback
            raise UnreadableReport(f"damaged or unsupported {kind} file ({type(error).__name__}: {error})") from error

    reader.__name__ = f"read_{module}"
    return reader


# Extension → reader. A format is only a reader: every later stage is shared.
READERS: dict[str, Callable[[Path], SourceText]] = {
    ".txt": read_text,
    ".text": read_text,
    ".html": _format_reader("html", "HTML", "lxml / readability-lxml"),
    ".htm": _format_reader("html", "HTML", "lxml / readability-lxml"),
    ".docx": _format_reader("docx", "Word .docx", "python-docx"),
    ".pdf": _format_reader("pdf", "PDF", "pdfminer.six"),
    ".doc": _format_reader("doc", "Word .doc", "python-docx"),
}


def read_report(path: Path) -> SourceText:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableReport(f"unsupported file type {path.suffix or '(none)'!r}; readable: {', '.join(sorted(READERS))}")
    try:
        return reader(path)
    except UnreadableReport:
        raise
    except (OSError, ValueError) as error:
        raise UnreadableReport(f"cannot be read: {error}") from error


def discover(data_dir: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[list[ReportFile], list[tuple[str, str]]]:
    """Report files under ``data_dir`` in a stable order, and (file, reason) for those skipped.

    Symbolic links are followed only when they stay inside the data folder; identical files
    are indexed once.
    """
    root = data_dir.resolve()
    found: list[ReportFile] = []
    skipped: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for current, dirs, files in os.walk(data_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in dirs:  # os.walk lists links to folders here and never enters them
            path = Path(current) / name
            if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
                skipped.append((_name(path, data_dir) + "/", "symbolic link to a folder outside the data folder; not followed"))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(current) / name
            relative = _name(path, data_dir)
            suffix = path.suffix.lower()
            if suffix in IGNORED_SUFFIXES:
                continue
            try:
                reason, report = _examine(path, relative, suffix, root, max_bytes, seen)
            except OSError as error:  # vanished, unreadable, a link loop: this file only
                reason, report = f"cannot be read: {error.strerror or error}", None
            if reason:
                skipped.append((relative, reason))
            elif report:
                seen[report.sha1] = relative
                found.append(report)
    return found, skipped


def _name(path: Path, data_dir: Path) -> str:
    """The path inside the data folder as text; bytes of a name that are not UTF-8 become \ufffd
    (os.walk keeps them as surrogates, which no UTF-8 file or terminal accepts)."""
    relative = path.relative_to(data_dir).as_posix()
    return relative.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _examine(path: Path, relative: str, suffix: str, root: Path, max_bytes: int, seen: dict[str, str]) -> tuple[str | None, ReportFile | None]:
    """(reason to skip, None) or (None, the report file) for one file of the data folder."""
    # os.path.realpath, not Path.resolve: it never raises on a link loop (is_file says no).
    if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
        return "symbolic link to a file outside the data folder; not followed", None
    if path.is_symlink() and not path.exists():
        return "broken symbolic link (its target is missing, or it loops)", None
    if not path.is_file():
        return "not a regular file", None
    if suffix not in READERS:
        return f"unsupported file type {suffix or '(none)'!r}", None
    size = path.stat().st_size
    if size > max_bytes:
        return f"too large ({size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.0f} MB)", None
    digest = hashlib.sha1(path.read_bytes()).hexdigest()
    if digest in seen:
        return f"duplicate of {seen[digest]} (identical content); indexed once", None
    return None, ReportFile(path=path, relative=relative, sha1=digest, size=size)
