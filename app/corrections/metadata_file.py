"""A correction written into the metadata corrections file (``data/metadata.toml`` or the one
the index was built with) as a person would: the report's table updated, or a new one added at
the end, every comment and every other table kept as they were (tomlkit), each changed value
commented with who changed it, when, and what it was. The file is replaced atomically, after
the new text has been parsed back: a correction never leaves a broken file behind.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomlkit
from tomlkit.items import Table

from app.corrections.model import Change
from app.files import atomic_write

HEADER = (
    "元数据更正 (metadata corrections), one table per report keyed by its file name, its path in "
    "the data folder or its doc_id; see data/metadata.toml for the fields."
)


def _shown(value) -> str:
    return "未识别" if value in (None, "") else str(value)


def _table_for(document: tomlkit.TOMLDocument, source: str, doc_id: str) -> tuple[str, Table | None]:
    """The key and table that decide this report's corrections: of the tables that apply to it
    (its doc_id wins over its path, its path over its file name; see indexer.build), the one
    that wins; a table keyed by a bare file name shared with reports in other folders is left
    alone (a new table keyed by the path wins over it)."""
    name = source.rsplit("/", 1)[-1]
    for key in (doc_id, source, name):
        if key in document and isinstance(document[key], Table):
            if key == name and name != source:
                break
            return key, document[key]
    readable = source.encode("utf-8", "ignore").decode("utf-8") == source
    return (source if readable else doc_id), None


def updated_text(text: str, source: str, doc_id: str, title: str | None, changes: list[Change], note: str) -> tuple[str, str]:
    """(the file's new text, the key of the table corrected). ``note``: who and when."""
    document = tomlkit.parse(text) if text.strip() else tomlkit.document()
    if not text.strip():
        document.add(tomlkit.comment(HEADER))
    key, table = _table_for(document, source, doc_id)
    if table is None:
        table = tomlkit.table()
        if title:
            table.add(tomlkit.comment(" ".join(title.split())[:120]))
        document.add(tomlkit.nl())
        document.add(key, table)
    for change in changes:
        table[change.field] = "" if change.after is None else change.after
        table[change.field].comment(f"{note}; 原为 {_shown(change.before)}")
    return tomlkit.dumps(document), key


def write(path: Path, source: str, doc_id: str, title: str | None, changes: list[Change], note: str) -> str:
    """Apply ``changes`` to ``path`` (created when missing); the key of the table corrected.
    The caller holds the corrections lock."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        text, mode = "", 0o644
    new_text, key = updated_text(text, source, doc_id, title, changes, note)
    tomllib.loads(new_text)  # what the indexer will read: never publish a file it cannot
    atomic_write(path, new_text, mode)
    return key
