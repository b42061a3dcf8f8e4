"""The PostgreSQL searcher: one published generation of a database, answered in SQL.

Matching (:mod:`.compile`), exact totals and disjunctive facet counts (one statement over the
matches: a count per facet value with every other facet's filter), BM25 over the same
analysis as every engine (word frequencies from the posting arrays, gram frequencies counted in
the normalized text, document frequencies and average lengths of the generation), ranking and
paging with collection order as the tie-break: all in the database. The service's port
(:mod:`app.search.port`) is all it implements.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from app.search.facets import BY_NAME, FACETS, UNKNOWN, value_order
from app.search.port import (
    HEADING_FACTOR,
    K1,
    SUBSTANTIAL_CHARS,
    VERBATIM_WEIGHT,
    Answer,
    B,
    Deadline,
    FacetDistribution,
    GenerationInfo,
    Query,
    idf,
)
from app.search.postgres import compile as compiled
from app.search.postgres.compile import Params
from indexer import contract, records
from indexer.normalize import normalize
from indexer.postgres_store import ENGINE
from indexer.postgres_store import schema as sql
from indexer.records import Document, Passage

CODES = sql.FIELD_CODES
LENGTHS = sql.LENGTH_COLUMNS


class PostgresSearcher:
    """Generation ``generation`` of the database ``engine`` reads (its servers, with failover)."""

    def __init__(self, engine, generation: int):
        self.engine = engine
        self.schema = engine.schema
        self.generation = generation
        self._lock = threading.Lock()
        s = self.schema
        row = self._fetch(
            f"SELECT base, manifest, passages, documents, lengths, published_at FROM {s}.generations WHERE generation = %s", (generation,), one=True
        )
        if row is None:
            raise LookupError(f"generation {generation} is not in the database")
        self.base, manifest, self.count, document_count, lengths, published = row
        self.manifest = manifest if isinstance(manifest, dict) else json.loads(manifest)
        self.averages = {name: (lengths.get(name, 0) / (self.count or 1)) or 1 for name in LENGTHS}
        self._documents = [records.from_dict(Document, r[0]) for r in self._fetch(f"SELECT record FROM {s}.documents WHERE generation = %s ORDER BY ord", (generation,))]
        self._by_doc = {d.doc_id: d for d in self._documents}
        self.info = GenerationInfo(
            name=f"generation {generation}",
            engine=f"{ENGINE} {self.manifest.get('server_version', '')}".strip(),
            built_at=self.manifest.get("built_at"),
            documents=document_count,
            passages=self.count,
            analysis=self.manifest.get("analysis", {}),
            manifest=self.manifest,
        )
        self._all_counts: dict[str, dict[str, int]] | None = None

    # -- plumbing

    def _fetch(self, statement: str, params=None, one: bool = False, deadline: Deadline | None = None, steer: bool = False):
        return self.engine.run(self.generation, statement, params, one=one, deadline=deadline, steer=steer)

    @property
    def _alive(self) -> str:
        """The passages of this generation: those its documents name."""
        return f"{self.schema}.passages p JOIN {self.schema}.documents d ON d.generation = {int(self.generation)} AND d.doc_id = p.doc_id AND d.born = p.born"

    # -- facets

    def all_counts(self) -> dict[str, dict[str, int]]:
        """Every facet's value counts over the whole generation (once per generation)."""
        if self._all_counts is None:
            params = Params(self.schema)
            names = [f.name for f in FACETS]
            rows = self._fetch(self._statement("TRUE", params, {}, names, True, None), params.values)
            counted = _facet_counts(rows, names)[0]
            with self._lock:
                self._all_counts = counted
        return self._all_counts

    def _values(self, facet: str, selected: tuple[str, ...]) -> list[str]:
        """The stored values a filter selects (in either script or width; UNKNOWN: no value)."""
        spec = BY_NAME[facet]
        wanted = {normalize(v.strip()) for v in selected}
        out = [""] if spec.unknown and normalize(UNKNOWN) in wanted else []
        out += [value for value in self.all_counts()[facet] if value != UNKNOWN and normalize(value) in wanted]
        return out

    def canonical(self, facet: str, values: tuple[str, ...]) -> tuple[str, ...]:
        """Selected values as the facet lists them (鬆江鎮 → 松江镇); unknown ones as given."""
        known = sorted(self.all_counts()[facet])
        out = []
        for value in values:
            folded = normalize(value.strip())
            out.append(next((v for v in known if normalize(v) == folded), value))
        return tuple(dict.fromkeys(out))

    def _filter_sql(self, facet: str, values: tuple[str, ...], params: Params) -> str:
        spec = BY_NAME[facet]
        stored = self._values(facet, values)
        if spec.multi_valued:
            return f"p.{sql.THEMES} && {params.add(stored)}::text[]"
        return f"p.{spec.column} = ANY({params.add(stored)}::text[])"

    def _distribution(self, name: str, counts: dict[str, int], selected: tuple[str, ...], limit: int) -> FacetDistribution:
        spec = BY_NAME[name]
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], value_order(spec, kv[0])))
        top, rest = ordered[:limit], ordered[limit:]
        chosen = {value: counts.get(value, 0) for value in self.canonical(name, selected)}
        return FacetDistribution(top=top, selected=chosen, omitted=len(rest), omitted_passages=sum(c for _, c in rest))

    # -- search

    def search(self, query: Query, deadline: Deadline) -> Answer:
        """One statement: the matches, read once, give the facet counts, the total and the
        window (ranked when asked)."""
        params = Params(self.schema)
        synonyms = dict(query.synonyms)
        condition, steer = compiled.match_condition(query.root, synonyms, params)
        if query.exclude_documents:
            condition += f" AND p.doc_id <> ALL({params.add(list(query.exclude_documents))}::text[])"
        filters = {name: values for name, values in query.filters.items() if values}
        names = list(query.facets)
        counted, total = None, None
        if names and query.root is None and not filters and not query.exclude_documents:
            counted, total, names = self.all_counts(), self.count, []  # browsing everything: counted once
        page = None
        if query.limit != 0:
            page = self._page(query, synonyms, params)
        rows = []
        if page is not None or names or total is None:
            statement = self._statement(condition, params, filters, names, query.disjunctive, page, count=total is None)
            rows = self._fetch(statement, params.values, deadline=deadline, steer=steer)
        found, counted_total = _facet_counts(rows, names)
        counted = counted or found
        total = counted_total if total is None else total
        hits = sorted((row for row in rows if row[0] == _HIT), key=lambda row: row[3])
        facets = {name: self._distribution(name, counted[name], filters.get(name, ()), query.facet_limit) for name in query.facets}
        ranked = page is not None and page.ranked
        return Answer([r[1] for r in hits], [float(r[4]) if ranked else 0.0 for r in hits], total, facets)

    def _statement(self, condition: str, params: Params, filters: dict, names: list[str], disjunctive: bool, page, count: bool = True) -> str:
        """The matches (``base``: ``condition``, each filter a flag), the value counts of each
        facet in ``names`` (a facet's own filter left out when ``disjunctive``), the total, and
        (``page``) the window among the matches meeting every filter. With nothing to count (a
        page of every passage), only the window: read in collection order, it stops early."""
        flags = {name: self._filter_sql(name, values, params) for name, values in filters.items()}
        if not names and not count:
            source = f"(SELECT p.*, d.ord FROM {self._alive} WHERE {condition}) p"
            return (
                f"SELECT {_HIT}, passage_id, '', (row_number() OVER ())::bigint, value FROM "
                f"(SELECT p.passage_id, {page.value} AS value FROM {source}{page.joins} ORDER BY {page.order}{page.window}) hits"
            )
        columns = ["p.pid", "p.passage_id", "d.ord", "p.ordinal", "p.year", "p.is_heading", *(f"p.{c}" for c in LENGTHS.values())]
        columns += [f"p.{BY_NAME[n].column}" if not BY_NAME[n].multi_valued else f"p.{sql.THEMES}" for n in names]
        if page is not None and page.body:
            columns.append("p.body")
        columns += [f"{expression} AS f_{name}" for name, expression in flags.items()]
        columns = list(dict.fromkeys(columns))

        def within(leave_out: str | None) -> str:
            chosen = [f"f_{name}" for name in flags if name != leave_out]
            return " AND ".join(chosen) if chosen else "TRUE"

        parts = []
        for name in names:
            spec = BY_NAME[name]
            where = within(name if disjunctive else None)
            if spec.multi_valued:
                parts.append(f"SELECT {_FACET}, '{name}', t, count(*) FILTER (WHERE {where}), NULL::float8 FROM base, unnest(base.{sql.THEMES}) t GROUP BY t")
            else:
                parts.append(f"SELECT {_FACET}, '{name}', {spec.column}, count(*) FILTER (WHERE {where}), NULL::float8 FROM base GROUP BY {spec.column}")
        parts.append(f"SELECT {_TOTAL}, '', '', count(*) FILTER (WHERE {within(None)}), NULL::float8 FROM base")
        if page is not None:
            parts.append(
                f"SELECT {_HIT}, passage_id, '', (row_number() OVER ())::bigint, value FROM "
                f"(SELECT p.passage_id, {page.value} AS value FROM base p{page.joins} WHERE {within(None)} ORDER BY {page.order}{page.window}) hits"
            )
        return (
            f"WITH base AS MATERIALIZED (SELECT {', '.join(columns)} FROM {self._alive} WHERE {condition})\n"
            + "\nUNION ALL ".join(f"({part})" for part in parts)
        )

    def _page(self, query: Query, synonyms, params: Params) -> _Page:
        ranked = query.root is not None and query.sort != "document"
        value, joins, body = self._relevance(query.root, synonyms, params) if ranked else (_f(0), "", False)
        order = "p.ord, p.ordinal"
        if query.sort == "relevance" and ranked:
            order = "value DESC, " + order
        elif query.sort in ("year_desc", "year_asc"):
            direction = "DESC" if query.sort == "year_desc" else "ASC"
            order = f"(p.year = ''), NULLIF(p.year, '')::int {direction}, value DESC, " + order
        window = f" LIMIT {int(query.limit)}" if query.limit is not None else ""
        window += f" OFFSET {int(query.offset)}" if query.offset else ""
        return _Page(ranked, value, joins, body, order, window)

    # -- BM25

    def frequencies(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """Document frequencies in this generation of (field code, term) pairs."""
        if not keys:
            return {}
        rows = self._fetch(
            f"""SELECT DISTINCT ON (t.field, t.term) t.field, t.term, t.df FROM {self.schema}.term_df t
JOIN unnest(%s::smallint[], %s::text[]) k(field, term) ON t.field = k.field AND t.term = k.term
WHERE t.generation BETWEEN %s AND %s ORDER BY t.field, t.term, t.generation DESC""",
            ([k[0] for k in keys], [k[1] for k in keys], self.base, self.generation),
        )
        return {(field, term): df for field, term, df in rows}

    def _norm(self, field: str, alias: str = "p") -> str:
        return f"{_f(K1)} * ({_f(1 - B)} + {_f(B)} * {alias}.{LENGTHS[field]} / {_f(self.averages[field])})"

    def _relevance(self, root, synonyms, params: Params) -> tuple[str, str, bool]:
        """(the ranking value of a row, the join it needs, whether it reads the body): verbatim
        count first, then BM25 of the scoring terms scaled by the passage weight.

        Term frequencies come from the posting arrays (a gram's only where it occurs more than
        once: a passage holding it holds it once otherwise), looked up once per term."""
        terms = compiled.scoring_terms(root, synonyms)
        df = self.frequencies([(CODES[f], t) for f, t in terms])
        verbatim = compiled.verbatim_count(root, synonyms, params)
        # When every match holds every term (its verbatim count is the same for all), a gram of
        # the query is in every match; otherwise whether a row holds it is asked of the body.
        held = verbatim.isdigit()
        looked_up, parts = [], []
        for (field, term), weight in terms.items():
            frequency = df.get((CODES[field], term), 0)
            if not frequency:
                continue
            factor = _f(weight * idf(self.count, frequency) * (K1 + 1))
            i = len(looked_up)
            looked_up.append((CODES[field], term))
            if field in (contract.WORDS, contract.HEADING_WORDS):
                tf = f"coalesce(w.tf{i}, 0)"
            elif held:
                tf = f"coalesce(w.tf{i}, 1)"
            else:
                tf = f"(CASE WHEN strpos(p.body, {params.add(term)}) > 0 THEN coalesce(w.tf{i}, 1) ELSE 0 END)"
            parts.append(f"{factor} * {tf} / ({tf} + {self._norm(field)})")
        joins = ""
        if looked_up:
            pivot = ", ".join(f"sum(x.tf) FILTER (WHERE x.i = {i}) AS tf{i}" for i in range(len(looked_up)))
            # One index lookup per term, never a join with the postings table (which the planner,
            # told to hash-join, would scan whole).
            lookups = " UNION ALL ".join(
                f"SELECT {i} AS i, u.pid, u.tf FROM {self.schema}.postings g, unnest(g.pids, g.tfs) u(pid, tf) WHERE g.field = {code} AND g.term = {params.add(term)}"
                for i, (code, term) in enumerate(looked_up)
            )
            joins = f" LEFT JOIN (SELECT x.pid, {pivot} FROM ({lookups}) x GROUP BY x.pid) w ON w.pid = p.pid"
        bm25 = " + ".join(parts) if parts else _f(0)
        weight = f"LEAST({_f(1)}, p.len_unigram / {_f(SUBSTANTIAL_CHARS)}) * CASE WHEN p.is_heading THEN {_f(HEADING_FACTOR)} ELSE {_f(1)} END"
        return f"(({verbatim}) * {_f(VERBATIM_WEIGHT)} + ({bm25}) * {weight})", joins, not held

    # -- records

    def passages(self, ids: Sequence[str]) -> list[Passage | None]:
        asked = _storable(ids)
        if not asked:
            return [None] * len(ids)
        rows = self._fetch(
            f"SELECT p.passage_id, r.record FROM {self._alive} JOIN {self.schema}.passage_records r ON r.pid = p.pid WHERE p.passage_id = ANY(%s::text[])",
            (asked,),
        )
        found = {pid: _passage(record) for pid, record in rows}
        return [found.get(i) for i in ids]

    def document_passages(self, doc_id: str) -> list[Passage]:
        if not _storable([doc_id]):
            return []
        rows = self._fetch(
            f"SELECT r.record FROM {self._alive} JOIN {self.schema}.passage_records r ON r.pid = p.pid WHERE p.doc_id = %s ORDER BY p.ordinal", (doc_id,)
        )
        return [_passage(r[0]) for r in rows]

    def documents(self) -> list[Document]:
        return list(self._documents)

    def document(self, doc_id: str) -> Document | None:
        return self._by_doc.get(doc_id)

    def prefixes(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        if not prefix or not _storable([prefix]):
            return []
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1) if ord(prefix[-1]) < 0x10FFFF else None
        bound = "AND t.term < %(upper)s" if upper else ""
        rows = self._fetch(
            f"""SELECT term, df FROM (SELECT DISTINCT ON (t.term) t.term, t.df FROM {self.schema}.term_df t
WHERE t.field = %(field)s AND t.term >= %(prefix)s {bound} AND t.generation BETWEEN %(base)s AND %(g)s
ORDER BY t.term, t.generation DESC) latest WHERE df > 0 ORDER BY df DESC, term LIMIT %(limit)s""",
            {"field": CODES[contract.WORDS], "prefix": prefix, "upper": upper, "base": self.base, "g": self.generation, "limit": limit},
        )
        return [(term, df) for term, df in rows]

    def word_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        found = self.frequencies([(CODES[contract.WORDS], w) for w in dict.fromkeys(words)])
        return {w: found.get((CODES[contract.WORDS], w), 0) for w in words}

    def more_like_this(self, terms, deadline: Deadline, limit: int | None = None, within=None, exclude_documents=(), headings: bool = False) -> list[tuple[str, float]]:
        code = CODES[contract.WORDS]
        terms = [(w, weight) for w, weight in terms]
        df = self.frequencies([(code, w) for w, _ in terms])
        factors = [(w, weight * idf(self.count, df[(code, w)])) for w, weight in terms if df.get((code, w))]
        params = Params(self.schema)
        conditions = []
        if not headings:
            conditions.append("NOT p.is_heading")
        if exclude_documents:
            conditions.append(f"p.doc_id <> ALL({params.add(list(exclude_documents))}::text[])")
        if within is not None:
            conditions.append(f"p.passage_id = ANY({params.add(list(within))}::text[])")
        where = " AND ".join(conditions) or "TRUE"
        if not factors:
            if within is not None and limit is None:
                return [(i, 0.0) for i in within]
            return []
        norm = self._norm(contract.WORDS)
        score = f"sum(x.tf * x.factor * {_f(K1 + 1)} / (x.tf + {norm}))"
        lookups = " UNION ALL ".join(
            f"SELECT {_f(factor)} AS factor, u.pid, u.tf FROM {self.schema}.postings g, unnest(g.pids, g.tfs) u(pid, tf) WHERE g.field = {code} AND g.term = {params.add(word)}"
            for word, factor in factors
        )
        source = f"({lookups}) x JOIN {self._alive} ON p.pid = x.pid"
        window = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self._fetch(
            f"SELECT p.passage_id, {score} AS score FROM {source} WHERE {where} GROUP BY p.passage_id, d.ord, p.ordinal "
            f"HAVING {score} > 0 ORDER BY score DESC, d.ord, p.ordinal{window}",
            params.values, deadline=deadline,
        )
        scored = [(pid, float(score)) for pid, score in rows]
        if within is not None and limit is None:
            found = dict(scored)
            return [(i, found.get(i, 0.0)) for i in within]
        return scored

    def close(self) -> None:
        pass


def _f(value: float) -> str:
    """A float8 literal (a bare ``1.5`` is numeric in SQL, and numeric arithmetic is slow)."""
    return f"{float(value)!r}::float8"


_FACET, _TOTAL, _HIT = 0, 1, 2  # the parts of a search statement's rows


@dataclass(frozen=True)
class _Page:
    ranked: bool
    value: str  # the ranking value of a row
    joins: str
    body: bool  # the value reads the body
    order: str
    window: str


def _storable(texts: Sequence[str]) -> list[str]:
    """The strings a text column can hold (PostgreSQL refuses NUL: no passage or word has one)."""
    return [t for t in texts if "\x00" not in t]


def _facet_counts(rows, names: list[str]) -> tuple[dict[str, dict[str, int]], int | None]:
    """Value counts per facet (values without one under UNKNOWN for the facets that count them)
    and the total, from a search statement's rows."""
    counted: dict[str, dict[str, int]] = {name: {} for name in names}
    total = None
    for part, name, value, count, _ in rows:
        if part == _TOTAL:
            total = count
        elif part == _FACET and count:
            if not value:
                if not BY_NAME[name].unknown:
                    continue
                value = UNKNOWN
            counted[name][value] = counted[name].get(value, 0) + count
    return counted, total


def _passage(record) -> Passage:
    data = record if isinstance(record, dict) else json.loads(record)
    return contract.passage_from_record(data)
