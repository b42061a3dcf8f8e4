"""Settings in one place, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from app.auth.accounts import curators_file
from indexer.layout import DEFAULT_INDEX_DIR

# Page limits are part of the API contract (and of its OpenAPI schema), so they are constants.
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
DEFAULT_FACET_SIZE = 100  # values listed per facet (a collection of 10,000 reports has thousands of townships)
MAX_FACET_SIZE = 10_000


@dataclass(frozen=True)
class Settings:
    # TOWNSHIP_INDEX_DIR selects the index; by default the one the README's run command builds.
    index_dir: Path = field(default_factory=lambda: Path(os.environ.get("TOWNSHIP_INDEX_DIR") or DEFAULT_INDEX_DIR))
    # Every search is stopped after this many seconds (TOWNSHIP_SEARCH_TIMEOUT).
    search_timeout: float = field(default_factory=lambda: float(os.environ.get("TOWNSHIP_SEARCH_TIMEOUT", "5")))
    max_query_chars: int = 500
    max_filter_values: int = 50  # selected values per facet
    # The engine holding the index (TOWNSHIP_ENGINE, see app.search.engines); Whoosh today.
    engine: str = field(default_factory=lambda: os.environ.get("TOWNSHIP_ENGINE", "whoosh"))
    # Curator accounts (TOWNSHIP_CURATORS_FILE, default var/curators.json); the session key, the
    # audit trail and the corrections' build status live in the same folder.
    curators_file: Path = field(default_factory=curators_file)
    # What a worker keeps of what requests asked (a term's postings and BM25, a filter's passages),
    # least recently used out first, per generation in use (TOWNSHIP_CACHE_MB).
    cache_mb: float = field(default_factory=lambda: float(os.environ.get("TOWNSHIP_CACHE_MB", "64")))
    # TOWNSHIP_ENGINE=postgres: the database generations are built into (TOWNSHIP_PG_DSN), and the
    # streaming-replication standbys to read from first (TOWNSHIP_PG_READ_DSNS, comma-separated).
    pg_dsn: str = field(default_factory=lambda: os.environ.get("TOWNSHIP_PG_DSN", ""))
    pg_read_dsns: tuple[str, ...] = field(
        default_factory=lambda: tuple(d.strip() for d in os.environ.get("TOWNSHIP_PG_READ_DSNS", "").split(",") if d.strip())
    )

    @property
    def cache_bytes(self) -> int:
        return int(self.cache_mb * 1024 * 1024)


def load_settings() -> Settings:
    return Settings()
