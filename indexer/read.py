"""Stage 1, read: find report files and turn their bytes into text.

A format is only a reader (``indexer/readers/``; plain text is read here): it returns
:class:`SourceText` (text plus any metadata the format itself carries) and every later stage is
shared. Problems are raised as :class:`UnreadableReport` with a reason a person can act on; the
build names the file. Both live in ``indexer.readers.common``, below every reader, and are
imported from here by the rest of the indexer.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.readers.common import SourceText, UnreadableReport, decode, sniff

MAX_FILE_BYTES = 20 * 1024 * 1024
# Files in a data folder that are configuration, not reports: skipped without a warning.
IGNORED_SUFFIXES = {".toml", ".json", ".jsonl", ".md", ".yml", ".yaml"}


@dataclass
class ReportFile:
    path: Path
    relative: str  # path inside the data folder, with forward slashes
    sha1: str
    size: int
    signature: tuple[int, ...] = ()  # size, mtime, ctime (ns) and inode when it was hashed


# relative path → (signature, SHA-1) of files hashed by an earlier build
KnownFiles = dict[str, tuple[tuple[int, ...], str]]


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


# Reader module → (the format's name in messages, the Python packages it needs).
FORMATS = {
    "html": ("HTML", "lxml / readability-lxml"),
    "docx": ("Word .docx", "python-docx"),
    "pdf": ("PDF", "pdfminer.six"),
    "doc": ("Word .doc", "python-docx"),
}
# A Word name often holds another format (a .docx saved as .doc, Word's "web page" export, a
# PDF): for these names the first bytes choose the reader, so no reader hands a file to another.
BY_CONTENT = {"zip": "docx", "ole": "doc", "rtf": "doc", "html": "html", "pdf": "pdf"}


def _format_reader(module: str, by_content: bool = False) -> Callable[[Path], SourceText]:
    """``indexer.readers.<module>.read_<module>`` (or, ``by_content``, the reader the file's
    first bytes call for), imported on first use.

    A missing library then affects that format alone, and anything unexpected a damaged file
    makes its library raise becomes an :class:`UnreadableReport` naming the format.
    """
    kind = FORMATS[module][0]

    def reader(path: Path) -> SourceText:
        chosen = BY_CONTENT.get(sniff(path), module) if by_content else module
        try:
            function = getattr(importlib.import_module(f"indexer.readers.{chosen}"), f"read_{chosen}")
        except ImportError as error:
            raise UnreadableReport(
                f"{kind} files need the Python package {FORMATS[chosen][1]} ({error}); install it with: bash scripts/venv.sh"
            ) from error
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
    ".html": _format_reader("html"),
    ".htm": _format_reader("html"),
    ".docx": _format_reader("docx", by_content=True),
    ".pdf": _format_reader("pdf"),
    ".doc": _format_reader("doc", by_content=True),
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


def discover(data_dir: Path, max_bytes: int = MAX_FILE_BYTES, known: KnownFiles | None = None) -> tuple[list[ReportFile], list[tuple[str, str]]]:
    """Report files under ``data_dir`` in a stable order, and (file, reason) for those skipped.

    Symbolic links are followed only when they stay inside the data folder; identical files
    are indexed once. A file whose size, modification and change times and inode are those
    ``known`` recorded keeps the SHA-1 recorded with them instead of being read again (the
    change time moves on any write and cannot be set back; at 100,000 reports reading every
    file took longer than the rest of an update).
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
                reason, report = _examine(path, relative, suffix, root, max_bytes, seen, known or {})
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


def _examine(
    path: Path, relative: str, suffix: str, root: Path, max_bytes: int, seen: dict[str, str], known: KnownFiles
) -> tuple[str | None, ReportFile | None]:
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
    status = path.stat()
    size = status.st_size
    if size > max_bytes:
        return f"too large ({size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.0f} MB)", None
    signature = (size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
    recorded = known.get(relative)
    digest = recorded[1] if recorded and tuple(recorded[0]) == signature else hashlib.sha1(path.read_bytes()).hexdigest()
    if digest in seen:
        return f"duplicate of {seen[digest]} (identical content); indexed once", None
    return None, ReportFile(path=path, relative=relative, sha1=digest, size=size, signature=signature)
