"""The generation in use, for every engine: a new one published by a build is picked up within a
second or two, without a restart; a broken one, or one built with another analysis (jieba, its
user dictionary, the normalization table, the index format), is refused with the command that
rebuilds it, and the generation in use, if any, keeps serving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import TypeVar

from app.search.caches import DerivedOnce
from app.search.port import Engine, Searcher
from app.search.service import ServiceUnavailable
from indexer import analysis, contract, gazetteer
from indexer.layout import IndexMissing

RELOAD_CHECK_SECONDS = 1.0  # how often Engine.current_token() is asked
T = TypeVar("T")


@lru_cache(maxsize=1)
def analysis_fingerprint() -> dict[str, str]:
    """This server's analysis (what query words are made with)."""
    return contract.analysis_fingerprint()


def warm() -> None:
    """Load what every query needs whatever the index (jieba's dictionary: a second or two; the
    counties of the official list, whose common forms select and find the official names: a
    few tenths of a second)."""
    analysis.tokenizer()
    analysis_fingerprint()
    gazetteer.counties()


class Generation:
    """A searcher and what the service derives from it once (a fixed set of names)."""

    DERIVED = ("document views", "township names", "reports by township")

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self._derived = DerivedOnce(self.DERIVED)

    def derived(self, name: Hashable, build: Callable[[], T]) -> T:
        return self._derived.get(name, build)


class LiveGeneration:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._generation: Generation | None = None
        self._token: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self.refused: str | None = None  # why the newest generation is not in use, if it is not

    def _open(self) -> Generation:
        engine = self.engine
        searcher = engine.open_current()
        differences = contract.fingerprint_mismatch(searcher.info.analysis, analysis_fingerprint())
        if differences:
            searcher.close()
            raise ServiceUnavailable(
                f"the {engine.name} index was built with another analysis ({'; '.join(differences)}): "
                f"query words would not match its words; rebuild it with: {engine.build_command} --full"
            )
        warm()  # when not done yet: rather now than in the first search
        return Generation(searcher)

    def current(self) -> Generation:
        """The generation to answer from; raises :class:`ServiceUnavailable` with the reason and
        the command that builds one when there is none that can be used."""
        now = time.monotonic()
        if self._generation is not None and now - self._checked < RELOAD_CHECK_SECONDS:
            return self._generation
        with self._lock:
            self._checked = time.monotonic()
            token = self.engine.current_token()
            if self._generation is None or (token and token != self._token):
                try:
                    generation = self._open()
                except ServiceUnavailable as error:
                    self.refused = str(error)
                except Exception as error:  # a missing, corrupt or half-written generation: keep serving the old one
                    if isinstance(error, IndexMissing):  # the engine's own words: why, and how to build one
                        self.refused = str(error)
                    else:
                        self.refused = f"the {self.engine.name} index cannot be opened ({type(error).__name__}: {error}); build it with: {self.engine.build_command}"
                else:
                    # The old generation is not closed: requests may still be reading it (its
                    # files close when it is garbage-collected).
                    self._generation, self._token, self.refused = generation, token, None
            if self._generation is None:
                raise ServiceUnavailable(self.refused or f"no {self.engine.name} index; build it with: {self.engine.build_command}")
            return self._generation
