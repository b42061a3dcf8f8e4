"""Everything that touches Whoosh, and nothing else does.

* :mod:`.schema`: the Whoosh schema of a generation's text index;
* :mod:`.writer`: the sink, writing segments in Whoosh's W3 format from per-term arrays;
* :mod:`.reader`: the storage port of the search core (postings, statistics, stored records,
  lexicon) over those segments.

Both sides read and write Whoosh's internal formats (posting blocks, term infos, segment
files), so the Whoosh package is pinned exactly (``constraints.txt``) and a generation records
the version it was written with; :mod:`indexer.contract` holds what is engine-independent.
"""

import json as _json
from importlib import metadata as _metadata
from pathlib import Path as _Path

ENGINE = "whoosh"
DIRECTORY = "whoosh"  # inside a generation
# Inside DIRECTORY, beside segments carried from an earlier generation with deleted passages:
# the terms of those passages, so document frequencies count live passages only.
DELETED_TERMS = "deleted_terms.json"


def engine_version() -> str:
    return _metadata.version("whoosh-reloaded")


def read_deleted_terms(generation: _Path) -> dict[str, dict[str, dict[str, int]]]:
    """Segment id → field → term → how many deleted passages of the segment hold the term."""
    path = generation / DIRECTORY / DELETED_TERMS
    if not path.exists():
        return {}
    return _json.loads(path.read_text(encoding="utf-8"))
