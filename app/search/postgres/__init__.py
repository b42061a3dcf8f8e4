"""The ``postgres`` engine's searcher: the port (:mod:`app.search.port`) answered in SQL over a
database the PostgreSQL sink (:mod:`indexer.postgres_store`) built.

* :mod:`.engine`: servers (the primary, its standbys) with bounded pools and failover; the
  newest published generation.
* :mod:`.searcher`: one generation: a search is one statement (facet counts, total, ranked
  window), records, lexicon, more-like-this.
* :mod:`.compile`: the query tree as a pre-filter for the grams index, an exact check per row,
  the verbatim count and the BM25 terms.
"""
