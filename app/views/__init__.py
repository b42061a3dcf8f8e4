"""View models: what a page shows, made from the search service's answers and the URLs of
:mod:`app.urls`, with no HTTP and no service calls inside (the routes make those and hand the
answers here). The templates only draw them.

* :mod:`app.views.facets`: the facet boxes (each value with its count and toggle URL) and chips
* :mod:`app.views.pagination`: page links
* :mod:`app.views.charts`: the trend charts' geometry
* :mod:`app.views.search`: the rest of the search page and the collection shown before a search
* :mod:`app.views.document`: a report's blocks, table of contents, title and plan follow-through
* :mod:`app.views.compare`: a comparison's header, rows and cells, and the ways into one
"""
