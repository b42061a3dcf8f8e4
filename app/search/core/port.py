"""The storage port: what the core needs from an engine, and nothing more.

An implementation opens one index generation and answers in document numbers ``0 … size-1``
(the engine's own numbering; some may be deleted, see ``alive``). Whoosh's implementation is
:class:`indexer.whoosh_store.reader.WhooshStorage`; another engine passes
``tests/test_conformance.py`` with its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.contract import Columns
from indexer.records import Document, Passage


class Storage(Protocol):
    generation: Path
    manifest: dict  # the generation's manifest.json
    size: int  # document numbers are 0 … size-1
    alive: np.ndarray | None  # bool per document number; None when none is deleted
    columns: Columns  # facet columns, documents and ordinals, field lengths (indexer.contract)

    def documents(self) -> list[Document]:
        """Every report's record (documents.jsonl)."""

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Live document numbers holding ``term`` in ``field`` (int32, ascending) and its
        frequency in each (float32)."""

    def doc_frequency(self, field: str, term: str) -> int:
        """How many passages hold ``term`` (cheap; may count deleted ones)."""

    def lengths(self, field: str) -> np.ndarray:
        """Each passage's length of ``field`` as the engine scores it."""

    def stored(self, docnum: int) -> Passage:
        """The passage record at a document number."""

    def contains(self, docnums: np.ndarray, text: str) -> np.ndarray:
        """Bool per document number: does its normalized text contain ``text`` verbatim."""

    def lexicon(self, field: str) -> tuple[list[str], np.ndarray]:
        """Every term of ``field`` in sorted order and its document frequency."""

    def close(self) -> None: ...


# Opens the generation directory it is given (raises indexer.layout.IndexMissing when it can't).
StorageOpener = Callable[[Path], Storage]
