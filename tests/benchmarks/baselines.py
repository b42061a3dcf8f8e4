"""What a user could use instead of the product, on the same passages and the same queries.

* **scan**: every normalized passage in a Python list, ``needle in text`` for each: the
  no-index floor. Answers every query exactly (it defines recall), computes the same
  disjunctive facet counts and the first page (in document order: no ranking, no snippets).
* **SQLite FTS5** with the ``trigram`` tokenizer (substring search, what a Datasette user would
  set up), facets by ``GROUP BY``, ten ``snippet()`` hits ordered by ``rank``. The trigram
  tokenizer cannot look up strings shorter than three characters: such a query finds nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from itertools import chain
from pathlib import Path

from tests.benchmarks.queries import BenchQuery, Corpus, matching

FACETS = ("township", "year", "section", "theme")


# ---------------------------------------------------------------------------- scan


def scan(corpus: Corpus, query: BenchQuery) -> dict:
    """The query answered by brute force: total, disjunctive facet counts, one page of ids."""
    found = matching(corpus, query)
    facets = {}
    for facet in FACETS:
        docs = matching(corpus, query, ignore=facet) if facet in query.filters else found
        column = corpus.facet_column(facet)
        if facet == "theme":
            counts = Counter(chain.from_iterable(column[i] for i in docs))
        else:
            counts = Counter(column[i] for i in docs)
        counts.pop("", None)
        facets[facet] = counts.most_common()
    first = (query.page - 1) * query.size
    return {"total": len(found), "facets": facets, "page": [corpus.ids[i] for i in found[first : first + query.size]], "found": found}


# ---------------------------------------------------------------------------- FTS5


def fts5_available() -> bool:
    try:
        connection = sqlite3.connect(":memory:")
        connection.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        connection.close()
        return True
    except sqlite3.Error:
        return False


def fts5_answerable(query: BenchQuery) -> bool:
    """Trigram MATCH needs at least three characters in every string it looks up."""
    return all(len(s) >= 3 for s in query.includes + query.excludes)


class Fts5:
    def __init__(self, path: Path, corpus: Corpus):
        self.path = path
        self.corpus = corpus
        started = time.perf_counter()
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False)
        db = self.db
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE VIRTUAL TABLE fts USING fts5(text, tokenize='trigram')")
        db.execute("CREATE TABLE meta(id INTEGER PRIMARY KEY, township TEXT, year TEXT, section TEXT)")
        db.execute("CREATE TABLE theme(id INTEGER, theme TEXT)")
        db.executemany("INSERT INTO fts(rowid, text) VALUES (?, ?)", enumerate(corpus.texts))
        db.executemany(
            "INSERT INTO meta VALUES (?, ?, ?, ?)",
            ((i, corpus.township[i], corpus.year[i], corpus.section[i]) for i in range(len(corpus))),
        )
        db.executemany("INSERT INTO theme VALUES (?, ?)", ((i, t) for i in range(len(corpus)) for t in corpus.themes[i]))
        for column in ("township", "year", "section"):
            db.execute(f"CREATE INDEX meta_{column} ON meta({column}, id)")
        db.execute("CREATE INDEX theme_theme ON theme(theme, id)")
        db.execute("CREATE INDEX theme_id ON theme(id, theme)")
        db.commit()
        db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        db.commit()
        self.build_s = time.perf_counter() - started

    def size_mb(self) -> float:
        return self.path.stat().st_size / 1048576

    @staticmethod
    def match_expression(query: BenchQuery) -> str:
        quoted = lambda s: '"' + s.replace('"', '""') + '"'  # noqa: E731
        expression = " AND ".join(quoted(s) for s in query.includes)
        for s in query.excludes:
            expression += f" NOT {quoted(s)}"
        return expression

    def _where(self, query: BenchQuery, ignore: str | None = None, matched: str = "hits") -> tuple[str, list]:
        clauses, args = [], []
        if query.includes:
            clauses.append(f"meta.id IN (SELECT id FROM {matched})")
        for facet, value in query.filters.items():
            if facet == ignore:
                continue
            if facet == "theme":
                clauses.append("meta.id IN (SELECT id FROM theme WHERE theme = ?)")
            else:
                clauses.append(f"meta.{facet} = ?")
            args.append(value)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def _match(self, query: BenchQuery) -> None:
        """The full-text part once per request, into a temporary table the facet queries join."""
        db = self.db
        db.execute("CREATE TEMP TABLE IF NOT EXISTS hits(id INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM hits")
        if query.includes:
            db.execute("INSERT INTO hits SELECT rowid FROM fts WHERE fts MATCH ?", (self.match_expression(query),))

    def search(self, query: BenchQuery) -> dict:
        """Total, disjunctive facets (GROUP BY) and ten hits with snippets, like the API page."""
        db = self.db
        self._match(query)
        where, args = self._where(query)
        total = db.execute(f"SELECT count(*) FROM meta{where}", args).fetchone()[0]
        facets = {}
        for facet in FACETS:
            fwhere, fargs = self._where(query, ignore=facet) if facet in query.filters else (where, args)
            if facet == "theme":
                sql = f"SELECT theme.theme, count(*) FROM theme JOIN meta ON meta.id = theme.id{fwhere} GROUP BY theme.theme ORDER BY 2 DESC"
            else:
                sql = f"SELECT meta.{facet}, count(*) FROM meta{fwhere} GROUP BY meta.{facet} ORDER BY 2 DESC"
            facets[facet] = db.execute(sql, fargs).fetchall()
        offset = (query.page - 1) * query.size
        if query.includes:
            filters_where, filters_args = self._where(BenchQuery(cls="", q="", filters=query.filters))
            sql = (
                "SELECT fts.rowid, snippet(fts, 0, '<mark>', '</mark>', '…', 24) FROM fts JOIN meta ON meta.id = fts.rowid WHERE fts MATCH ?"
                + (" AND " + filters_where[len(" WHERE ") :] if query.filters else "")
                + " ORDER BY rank LIMIT ? OFFSET ?"
            )
            page = db.execute(sql, [self.match_expression(query), *filters_args, query.size, offset]).fetchall()
        else:
            page = db.execute(f"SELECT meta.id, '' FROM meta{where} ORDER BY meta.id LIMIT ? OFFSET ?", [*args, query.size, offset]).fetchall()
        return {"total": total, "facets": facets, "page": page}

    def found(self, query: BenchQuery) -> set[int]:
        self._match(query)
        where, args = self._where(query)
        return {row[0] for row in self.db.execute(f"SELECT meta.id FROM meta{where}", args)}

    def close(self) -> None:
        self.db.close()
