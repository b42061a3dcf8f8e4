"""The engine-independent search core.

Query evaluation (:mod:`.matching`), BM25 (:mod:`.scoring`), disjunctive facet counts
(:mod:`.facet_counts`), ranking and paging (:mod:`.ranking`), more-like-this (:mod:`.similar`),
synonyms and deadlines, all over numpy arrays of document numbers, and all over one small
storage port (:mod:`.port`). :mod:`.engine` puts them together as the search service. No module
here imports an engine: Whoosh's side of the port is :mod:`indexer.whoosh_store.reader`.
"""
