"""The local searcher: the search port answered in this process over a generation's files.

Query evaluation (:mod:`.matching`), BM25 (:mod:`.scoring`), filters and facet counts
(:mod:`.facet_counts`), ranking and windows (:mod:`.ranking`), more-like-this (:mod:`.similar`),
all over numpy arrays of document numbers read through the local storage (:mod:`.storage`),
put together in :mod:`.searcher`. No module here imports an engine: Whoosh's side of the storage
is :mod:`indexer.whoosh_store.reader`, handed in by :mod:`app.search.engines`.
"""
