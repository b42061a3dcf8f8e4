"""Everything that touches Whoosh, and nothing else does.

* :mod:`.schema`: the Whoosh schema of a generation's text index;
* :mod:`.writer`: the sink, writing segments in Whoosh's W3 format from per-term arrays;
* :mod:`.reader`: the storage port of the search core (postings, statistics, stored records,
  lexicon) over those segments.

Both sides read and write Whoosh's internal formats (posting blocks, term infos, segment
files), so the Whoosh package is pinned exactly (``constraints.txt``) and a generation records
the version it was written with; :mod:`indexer.contract` holds what is engine-independent.
"""

from importlib import metadata as _metadata

ENGINE = "whoosh"
DIRECTORY = "whoosh"  # inside a generation


def engine_version() -> str:
    return _metadata.version("whoosh-reloaded")
