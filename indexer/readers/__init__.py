"""Readers for the formats townships publish besides plain text, one module per format.

Each module has one public ``read_<format>(path) -> SourceText`` function that turns a file
into the lines a person would read (one paragraph or heading per line) plus any metadata the
format itself carries, and raises :class:`~indexer.readers.common.UnreadableReport` with a
reason a person can act on for anything it cannot read. Cleaning, normalization, structure and
metadata extraction are shared by every format and never happen here.

The registry (extension → reader) is ``indexer.read.READERS``; these modules are imported
only when a file of their kind is read, so a missing optional library affects that format alone.
For a Word name (``.doc``, ``.docx``) the registry picks the reader by the file's first bytes
(a ``.doc`` that is a ``.docx``, a Word web page, a PDF), so no reader calls another to hand a
file on. Imports go one way: ``indexer.read`` → the format modules → ``common`` (which imports
no reader); ``doc`` reads LibreOffice's conversion through ``docx``, never the reverse.

* :mod:`indexer.readers.html`: ``.html`` / ``.htm`` government web pages
* :mod:`indexer.readers.docx`: Word ``.docx``
* :mod:`indexer.readers.pdf`: PDF with a text layer
* :mod:`indexer.readers.doc`: legacy Word ``.doc`` through LibreOffice or antiword
"""
