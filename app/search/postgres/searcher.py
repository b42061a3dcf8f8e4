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
from math import log

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


def idf(documents: int, frequency: int) -> float:
    return log(documents / (frequency + 1)) + 1


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
            counted = self._facet_rows("TRUE", Params(self.schema), {}, [f.name for f in FACETS], disjunctive=True, deadline=None)[0]
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
        column = sql.THEMES if spec.multi_valued else spec.column
        if spec.multi_valued:
            return f"p.{column} && {params.add(stored)}::text[]"
        return f"p.{column} = ANY({params.add(stored)}::text[])"

    def _facet_rows(self, condition: str, params: Params, filters: dict, names: list[str], disjunctive: bool, deadline, steer: bool = False) -> tuple[dict[str, dict[str, int]], int]:
        """Value counts of each facet in ``names`` among the rows meeting ``condition`` and the
        filters (a facet's own filter left out when ``disjunctive``), and the total."""
        flags = {name: self._filter_sql(name, values, params) for name, values in filters.items()}
        flag_columns = "".join(f", {expression} AS f_{name}" for name, expression in flags.items())
        facet_columns = ", ".join(f"p.{BY_NAME[n].column}" if not BY_NAME[n].multi_valued else f"p.{sql.THEMES}" for n in names)
        selects = []

        def within(leave_out: str | None) -> str:
            chosen = [f"f_{name}" for name in flags if name != leave_out]
            return f" FILTER (WHERE {' AND '.join(chosen)})" if chosen else ""

        for name in names:
            spec = BY_NAME[name]
            where = within(name if disjunctive else None)
            if spec.multi_valued:
                selects.append(f"SELECT '{name}', t, count(*){where} FROM base, unnest(base.{sql.THEMES}) t GROUP BY t")
            else:
                selects.append(f"SELECT '{name}', {spec.column}, count(*){where} FROM base GROUP BY {spec.column}")
        selects.append(f"SELECT '', '', count(*){within(None)} FROM base")
        columns = (facet_columns + flag_columns).lstrip(", ") or "1 AS one"
        statement = f"WITH base AS MATERIALIZED (SELECT {columns} FROM {self._alive} WHERE {condition})\n" + "\nUNION ALL ".join(selects)
        counted: dict[str, dict[str, int]] = {name: {} for name in names}
        total = 0
        for name, value, count in self._fetch(statement, params.values, deadline=deadline, steer=steer):
            if not name:
                total = count
                continue
            spec = BY_NAME[name]
            if not count:
                continue
            if value == "" or value is None:
                if not spec.unknown:
                    continue
                value = UNKNOWN
            counted[name][value] = counted[name].get(value, 0) + count
        return counted, total

    def _distribution(self, name: str, counts: dict[str, int], selected: tuple[str, ...], limit: int) -> FacetDistribution:
        spec = BY_NAME[name]
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], value_order(spec, kv[0])))
        top, rest = ordered[:limit], ordered[limit:]
        chosen = {value: counts.get(value, 0) for value in self.canonical(name, selected)}
        return FacetDistribution(top=top, selected=chosen, omitted=len(rest), omitted_passages=sum(c for _, c in rest))

    # -- search

    def search(self, query: Query, deadline: Deadline) -> Answer:
        params = Params(self.schema)
        synonyms = dict(query.synonyms)
        condition, steer = compiled.match_condition(query.root, synonyms, params)
        if query.exclude_documents:
            condition += f" AND p.doc_id <> ALL({params.add(list(query.exclude_documents))}::text[])"
        filters = {name: values for name, values in query.filters.items() if values}
        facets: dict[str, FacetDistribution] = {}
        total = None
        if query.facets:
            if query.root is None and not filters and not query.exclude_documents:
                counted, total = self.all_counts(), self.count
            else:
                counted, total = self._facet_rows(condition, params, filters, list(query.facets), query.disjunctive, deadline, steer)
            facets = {name: self._distribution(name, counted[name], filters.get(name, ()), query.facet_limit) for name in query.facets}
        deadline.check()
        filtered = condition + "".join(f" AND {self._filter_sql(name, values, params)}" for name, values in filters.items())
        if query.limit == 0:
            if total is None:
                total = self._count(filtered, params, deadline, steer)
            return Answer([], [], total, facets)
        ids, scores, counted_total = self._page(query, synonyms, filtered, params, deadline, total is None, steer)
        return Answer(ids, scores, counted_total if total is None else total, facets)

    def _page(self, query: Query, synonyms, condition: str, params: Params, deadline: Deadline, count: bool, steer: bool) -> tuple[list[str], list[float], int | None]:
        """The window's ids and ranking values, and (``count``) the total. ``steer``: the
        condition goes through the indexes (:data:`app.search.postgres.engine.STEERED`)."""
        ranked = query.root is not None and query.sort != "document"
        expression, joins = self._relevance(query.root, synonyms, params) if ranked else (_f(0), "")
        order = "d.ord, p.ordinal"
        if query.sort == "relevance" and ranked:
            order = "value DESC, " + order
        elif query.sort in ("year_desc", "year_asc"):
            direction = "DESC" if query.sort == "year_desc" else "ASC"
            order = f"(p.year = ''), NULLIF(p.year, '')::int {direction}, value DESC, " + order
        window = f" LIMIT {int(query.limit)}" if query.limit is not None else ""
        window += f" OFFSET {int(query.offset)}" if query.offset else ""
        total = ", count(*) OVER () AS total" if count else ""
        statement = f"SELECT p.passage_id, {expression} AS value{total} FROM {self._alive}{joins} WHERE {condition} ORDER BY {order}{window}"
        rows = self._fetch(statement, params.values, deadline=deadline, steer=steer)
        counted = None
        if count:
            counted = rows[0][2] if rows else (0 if not query.offset else self._count(condition, params, deadline, steer))
        return [r[0] for r in rows], [float(r[1]) if ranked else 0.0 for r in rows], counted

    def _count(self, condition: str, params: Params, deadline: Deadline, steer: bool) -> int:
        return self._fetch(f"SELECT count(*) FROM {self._alive} WHERE {condition}", params.values, one=True, deadline=deadline, steer=steer)[0]

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

    def _relevance(self, root, synonyms, params: Params) -> tuple[str, str]:
        """(the ranking value of a row, the joins it needs): verbatim count first, then BM25 of
        the scoring terms scaled by the passage weight."""
        terms = compiled.scoring_terms(root, synonyms)
        df = self.frequencies([(CODES[f], t) for f, t in terms])
        word_terms, parts = [], []
        for (field, term), weight in terms.items():
            frequency = df.get((CODES[field], term), 0)
            if not frequency:
                continue
            factor = weight * idf(self.count, frequency)
            if field in (contract.WORDS, contract.HEADING_WORDS):
                word_terms.append((CODES[field], term, factor))
                continue
            tf = _gram_count(term, params)
            parts.append(f"{_f(factor * (K1 + 1))} * ({tf}) / (({tf}) + {self._norm(field)})")
        joins = ""
        if word_terms:
            norms = {code: self._norm(field) for field, code in CODES.items() if code in (CODES[contract.WORDS], CODES[contract.HEADING_WORDS])}
            contribution = " + ".join(
                f"coalesce(w.tf{i}, 0) * {_f(factor * (K1 + 1))} / (coalesce(w.tf{i}, 0) + {norms[code]})" for i, (code, _, factor) in enumerate(word_terms)
            )
            parts.append(f"CASE WHEN w.pid IS NULL THEN {_f(0)} ELSE {contribution} END")
            pivot = ", ".join(f"sum(x.tf) FILTER (WHERE x.i = {i}) AS tf{i}" for i in range(len(word_terms)))
            # One index lookup per word, never a join with the postings table (which the planner,
            # told to hash-join, would scan whole).
            lookups = " UNION ALL ".join(
                f"SELECT {i} AS i, u.pid, u.tf FROM {self.schema}.postings g, unnest(g.pids, g.tfs) u(pid, tf) WHERE g.field = {code} AND g.term = {params.add(term)}"
                for i, (code, term, _) in enumerate(word_terms)
            )
            joins = f" LEFT JOIN (SELECT x.pid, {pivot} FROM ({lookups}) x GROUP BY x.pid) w ON w.pid = p.pid"
        bm25 = " + ".join(parts) if parts else _f(0)
        weight = f"LEAST({_f(1)}, p.len_unigram / {_f(SUBSTANTIAL_CHARS)}) * CASE WHEN p.is_heading THEN {_f(HEADING_FACTOR)} ELSE {_f(1)} END"
        verbatim = compiled.verbatim_count(root, synonyms, params)
        return f"(({verbatim}) * {_f(VERBATIM_WEIGHT)} + ({bm25}) * {weight})", joins

    # -- records

    def passages(self, ids: Sequence[str]) -> list[Passage | None]:
        if not ids:
            return []
        rows = self._fetch(
            f"SELECT p.passage_id, r.record FROM {self._alive} JOIN {self.schema}.passage_records r ON r.pid = p.pid WHERE p.passage_id = ANY(%s::text[])",
            (list(ids),),
        )
        found = {pid: _passage(record) for pid, record in rows}
        return [found.get(i) for i in ids]

    def document_passages(self, doc_id: str) -> list[Passage]:
        rows = self._fetch(
            f"SELECT r.record FROM {self._alive} JOIN {self.schema}.passage_records r ON r.pid = p.pid WHERE p.doc_id = %s ORDER BY p.ordinal", (doc_id,)
        )
        return [_passage(r[0]) for r in rows]

    def documents(self) -> list[Document]:
        return list(self._documents)

    def document(self, doc_id: str) -> Document | None:
        return self._by_doc.get(doc_id)

    def prefixes(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        if not prefix:
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


def _gram_count(gram: str, params: Params) -> str:
    """How often ``gram`` (one or two characters) occurs in the body, overlapping pairs counted."""
    if len(gram) == 2 and gram[0] == gram[1]:
        pattern = f"\\U{ord(gram[0]):08x}(?=\\U{ord(gram[1]):08x})"
        return f"regexp_count(p.body, {params.add(pattern)})"
    # Bytes, not characters: removing every occurrence removes as many bytes as it occurs times
    # the gram's (a length in bytes is stored; one in characters is counted).
    return f"((octet_length(p.body) - octet_length(replace(p.body, {params.add(gram)}, ''))) / {len(gram.encode('utf-8'))})"


def _passage(record) -> Passage:
    data = record if isinstance(record, dict) else json.loads(record)
    return contract.passage_from_record(data)
