"""Metadata corrections by signed-in curators: what a correction may say
(:mod:`~app.corrections.model`), how it is written into the metadata file the index was built
with (:mod:`~app.corrections.metadata_file`), the audit trail (:mod:`~app.corrections.audit`),
the build that publishes it (:mod:`~app.corrections.rebuild`), and the whole step
(:mod:`~app.corrections.apply`). No HTTP inside: the routes are in :mod:`app.routes.corrections`.
"""
