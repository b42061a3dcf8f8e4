"""The PostgreSQL searcher: one published generation of a database, answered in SQL.

Matching (:mod:`.compile`: the grams index, filters included, then ``strpos`` where a string
needs it), exact totals and disjunctive facet counts, BM25 over the same analysis as every
engine (word frequencies from the posting arrays, gram frequencies counted in the normalized
text, document frequencies and average lengths of the generation), ranking and paging with
collection order as the tie-break: all in the database. The service's port
(:mod:`app.search.port`) is all it implements.

A search counts the passages of a few *sets*: the matches with every filter (the total, the
facets without a filter), and for each filtered facet the matches with the other filters (its
disjunctive counts). A set that is one lexeme of the index (a one- or two-character string,
one filter value, every passage) is read from the build's summaries of common lexemes, with
what they do not cover counted over its rows; any other set is counted over its rows, read
once, every facet grouped in one pass. The page is its own statement.
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
SEGMENT_BITS = 24  # pid = segment << 24 | passage number (indexer.postgres_store.writer)
TOTAL = -1  # the facet number under which counting statements return the total
NOTHING = "'f:-'"  # a tsquery no passage matches (a filter none of whose values exists)


def _column(facet: str) -> str:
    """The contract column of a facet (``theme`` for the multi-valued one)."""
    return BY_NAME[facet].column


def _passage_column(column: str) -> str:
    return sql.THEMES if column == sql.THEME else column


@dataclass(frozen=True)
class _Set:
    """Passages to count: the query's matches with the filters of ``filters``."""

    filters: tuple[tuple[str, tuple[str, ...]], ...]  # (column, stored values) per filter, sorted


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
        rows = self._fetch(f"SELECT record, version FROM {s}.documents WHERE generation = %s ORDER BY ord", (generation,))
        self._documents = [records.from_dict(Document, r[0]) for r in rows]
        self._by_doc = {d.doc_id: d for d in self._documents}
        self._version_of = {d.doc_id: r[1] for d, r in zip(self._documents, rows)}
        self._doc_of = {version: doc_id for doc_id, version in self._version_of.items()}
        # Report versions written by the generations this one counts from but not in it: their
        # rows stay in the table (a segment goes whole) and are left out.
        written = self._fetch(f"SELECT version FROM {s}.versions WHERE born BETWEEN %s AND %s", (self.base, generation))
        self.dead = sorted({r[0] for r in written} - set(self._doc_of))
        self._segments = dict(
            self._fetch(f"SELECT segment, summarized_from FROM {s}.segments WHERE generation BETWEEN %s AND %s", (self.base, generation))
        )
        self._decode: dict[str, dict[int, str]] = {column: {} for column in sql.CODED}
        self._encode: dict[str, dict[str, int]] = {column: {} for column in sql.CODED}
        for facet, code, value in self._fetch(f"SELECT facet, code, value FROM {s}.facet_values"):
            if facet in self._decode:
                self._decode[facet][code] = value
                self._encode[facet][value] = code
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

    def _alive(self, alias: str = "p") -> str:
        """The condition on a passage row of being in this generation (without joining documents)."""
        condition = f"{alias}.born BETWEEN {int(self.base)} AND {int(self.generation)}"
        if self.dead:
            condition += f" AND {alias}.version <> ALL('{{{','.join(map(str, self.dead))}}}'::int[])"
        return condition

    @property
    def _documents_of_generation(self) -> str:
        return f"{self.schema}.documents d ON d.generation = {int(self.generation)} AND d.version = p.version"

    def _value_of(self, column: str, code: int) -> str:
        """The stored value (as the facet lists it; "" unknown) of a code of ``column``."""
        if column in sql.NUMERIC:
            return str(code) if code != sql.UNKNOWN_YEAR else ""
        return self._decode[column].get(code, "")

    def _code_of(self, column: str, value: str) -> int | None:
        if column in sql.NUMERIC:
            return int(value) if value.isdigit() else (sql.UNKNOWN_YEAR if value == "" else None)
        return self._encode[column].get(value)

    # -- facets

    def all_counts(self) -> dict[str, dict[str, int]]:
        """Every facet's value counts over the whole generation (once per generation)."""
        if self._all_counts is None:
            names = [f.name for f in FACETS]
            counted, _ = self._lexeme_counts(sql.EVERY_PASSAGE, [_column(n) for n in names], None)
            with self._lock:
                self._all_counts = {name: self._listed(name, counted[_column(name)]) for name in names}
        return self._all_counts

    def _listed(self, facet: str, counts: dict[int, int]) -> dict[str, int]:
        """Value counts by stored value; passages without a value under UNKNOWN (for the facets
        that count them)."""
        column = _column(facet)
        out: dict[str, int] = {}
        for code, count in counts.items():
            if not count:
                continue
            value = self._value_of(column, code)
            if not value:
                if not BY_NAME[facet].unknown:
                    continue
                value = UNKNOWN
            out[value] = out.get(value, 0) + count
        return out

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

    def _distribution(self, name: str, counts: dict[str, int], selected: tuple[str, ...], limit: int) -> FacetDistribution:
        spec = BY_NAME[name]
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], value_order(spec, kv[0])))
        top, rest = ordered[:limit], ordered[limit:]
        chosen = {value: counts.get(value, 0) for value in self.canonical(name, selected)}
        return FacetDistribution(top=top, selected=chosen, omitted=len(rest), omitted_passages=sum(c for _, c in rest))

    @staticmethod
    def _filter_query(filters) -> str | None:
        """The filters of a set as a tsquery of the grams index (None: no filter)."""
        if not filters:
            return None
        parts = []
        for column, values in filters:
            parts.append("(" + sql.tsquery_any([sql.facet_lexeme(column, v) for v in values]) + ")" if values else NOTHING)
        return " & ".join(parts)

    # -- search

    def search(self, query: Query, deadline: Deadline) -> Answer:
        """The sets' counts (a statement or two each), then the page (one statement)."""
        synonyms = dict(query.synonyms)
        filters = {name: values for name, values in query.filters.items() if values}
        stored = {name: (_column(name), tuple(self._values(name, values))) for name, values in filters.items()}
        every = _Set(tuple(sorted(stored.values())))
        wanted: dict[_Set, list[str]] = {every: []}
        for name in query.facets:
            key = _Set(tuple(sorted(v for f, v in stored.items() if f != name))) if query.disjunctive else every
            wanted.setdefault(key, []).append(name)
        counted: dict[str, dict[str, int]] = {}
        total = 0
        for key, names in wanted.items():
            columns = list(dict.fromkeys(_column(n) for n in names))
            found, count = self._count(query, synonyms, key, columns, deadline)
            for name in names:
                counted[name] = self._listed(name, found.get(_column(name), {}))
            if key == every:
                total = count
        ids, scores = [], []
        ranked = query.root is not None and query.sort != "document"
        if query.limit != 0 and total:
            deadline.check()
            ids, scores = self._page(query, synonyms, every, deadline, ranked)
        facets = {name: self._distribution(name, counted[name], filters.get(name, ()), query.facet_limit) for name in query.facets}
        return Answer(ids, scores if ranked else [0.0] * len(ids), total, facets)

    def _count(self, query: Query, synonyms, key: _Set, columns: list[str], deadline: Deadline | None) -> tuple[dict[str, dict[int, int]], int]:
        """Value counts of ``columns`` and the total over the set ``key``."""
        lexeme = None
        if not query.exclude_documents:
            if query.root is None and not key.filters:
                lexeme = sql.EVERY_PASSAGE
            elif query.root is None and len(key.filters) == 1 and len(key.filters[0][1]) == 1:
                lexeme = sql.facet_lexeme(key.filters[0][0], key.filters[0][1][0])
            elif not key.filters:
                lexeme = compiled.single_lexeme(query.root, synonyms)
        if lexeme is not None:
            return self._lexeme_counts(lexeme, columns, deadline)
        params = Params(self.schema)
        condition, narrowed = compiled.match_condition(query.root, synonyms, params, also=self._filter_query(key.filters))
        if query.exclude_documents:
            condition += f" AND p.version <> ALL({params.add(self._versions(query.exclude_documents))}::int[])"
        return self._count_rows(condition, params, columns, deadline, narrowed)

    def _versions(self, doc_ids: Sequence[str]) -> list[int]:
        return [self._version_of[d] for d in doc_ids if d in self._version_of]

    def _count_rows(
        self, condition: str, params: Params, columns: list[str], deadline: Deadline | None, narrowed: bool = True, sign: int = 1, alive: bool = True
    ) -> tuple[dict[str, dict[int, int]], int]:
        """Counts over the rows meeting ``condition`` (read once: the total, each single-valued
        column in one grouping pass, the themes apart)."""
        single = [c for c in columns if c != sql.THEME]
        where = f"{self._alive()} AND {condition}" if alive else condition
        read = ", ".join([*single, sql.THEMES] if sql.THEME in columns else single) or "1"
        parts = [f"SELECT {TOTAL}, 0, count(*) FROM m"]
        if single:
            which = " ".join(f"WHEN GROUPING({c}) = 0 THEN {sql.FACET_NUMBERS[c]}" for c in single)
            parts.append(
                f"SELECT CASE {which} END, COALESCE({', '.join(f'{c}::int' for c in single)}), count(*) FROM m "
                f"GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in single)})"
            )
        if sql.THEME in columns:
            parts.append(f"SELECT {sql.FACET_NUMBERS[sql.THEME]}, t::int, count(*) FROM m, unnest(m.{sql.THEMES}) t GROUP BY t")
        statement = f"WITH m AS MATERIALIZED (SELECT {read} FROM {self.schema}.passages p WHERE {where})\n" + "\nUNION ALL ".join(
            f"({p})" for p in parts
        )
        rows = self._fetch(statement, params.values, deadline=deadline, steer=narrowed)
        return _gathered(rows, sign)

    def _lexeme_counts(self, lexeme: str, columns: list[str], deadline: Deadline | None) -> tuple[dict[str, dict[int, int]], int]:
        """Counts over the passages holding ``lexeme``: the summaries of the segments that
        follow it, minus what they count of reports left out since, plus the passages they do
        not cover (counted over their rows)."""
        live = [segment for segment, start in self._segments.items() if start is not None]
        rows = (
            self._fetch(
                f"SELECT segment, passages, facets, codes, counts FROM {self.schema}.summaries WHERE lexeme = %s AND segment = ANY(%s)",
                (lexeme, live),
            )
            if live
            else []
        )
        numbers = {sql.FACET_NUMBERS[c]: c for c in columns}
        counted: dict[str, dict[int, int]] = {c: {} for c in columns}
        total = 0
        for _, passages, facets, codes, counts in rows:
            total += passages
            for facet, code, count in zip(facets, codes, counts):
                column = numbers.get(facet)
                if column is not None:
                    counted[column][code] = counted[column].get(code, 0) + count
        covered = {row[0] for row in rows}
        # Not covered: the passages of a summarized segment before it started following lexemes,
        # and every passage of the other segments.
        uncovered = [f"{sql.SEGMENT_PREFIX}{segment}{sql.BEFORE_SUMMARIES}" for segment in covered]
        uncovered += [f"{sql.SEGMENT_PREFIX}{segment}" for segment in self._segments if segment not in covered]
        parts = []
        if uncovered:
            params = Params(self.schema)
            query = f"{sql.tsquery_all([lexeme])} & ({sql.tsquery_any(uncovered)})"
            parts.append(self._count_rows(f"p.grams @@ {params.add(query)}::tsquery", params, columns, deadline))
        if covered and self.dead:
            params = Params(self.schema)
            query = f"{sql.tsquery_all([lexeme])} & ({sql.tsquery_any([f'{sql.VERSION_PREFIX}{v}' for v in self.dead])})"
            starts = " OR ".join(
                f"(p.pid >> {SEGMENT_BITS} = {int(s)} AND p.pid & {(1 << SEGMENT_BITS) - 1} >= {int(self._segments[s])})" for s in covered
            )
            parts.append(self._count_rows(f"p.grams @@ {params.add(query)}::tsquery AND ({starts})", params, columns, deadline, sign=-1, alive=False))
        for found, count in parts:
            total += count
            for column, values in found.items():
                for code, count in values.items():
                    counted[column][code] = counted[column].get(code, 0) + count
        return counted, total

    # -- the page

    def _page(self, query: Query, synonyms, every: _Set, deadline: Deadline, ranked: bool) -> tuple[list[str], list[float]]:
        params = Params(self.schema)
        condition, narrowed = compiled.match_condition(query.root, synonyms, params, also=self._filter_query(every.filters))
        if query.exclude_documents:
            condition += f" AND p.version <> ALL({params.add(self._versions(query.exclude_documents))}::int[])"
        value, joins = self._relevance(query.root, synonyms, params) if ranked else (_f(0), "")
        order = "d.ord, p.ordinal"
        if query.sort == "relevance" and ranked:
            order = "value DESC, " + order
        elif query.sort in ("year_desc", "year_asc"):
            direction = "DESC" if query.sort == "year_desc" else "ASC"
            order = f"(p.year = {sql.UNKNOWN_YEAR}), p.year {direction}, value DESC, " + order
        window = f" LIMIT {int(query.limit)}" if query.limit is not None else ""
        window += f" OFFSET {int(query.offset)}" if query.offset else ""
        # Without the index (every passage), the planner reads in collection order and stops at
        # the window's end.
        rows = self._fetch(
            f"SELECT p.version, p.ordinal, {value} AS value FROM {self.schema}.passages p JOIN {self._documents_of_generation}{joins} "
            f"WHERE {condition} ORDER BY {order}{window}",
            params.values,
            deadline=deadline,
            steer=narrowed,
        )
        return [records.passage_id(self._doc_of[version], ordinal) for version, ordinal, _ in rows], [float(v) for _, _, v in rows]

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
        the scoring terms scaled by the passage weight.

        Term frequencies come from the posting arrays (a gram's only where it occurs more than
        once: a passage holding it holds it once otherwise), one hashed lookup per term."""
        terms = compiled.scoring_terms(root, synonyms)
        df = self.frequencies([(CODES[f], t) for f, t in terms])
        verbatim = compiled.verbatim_count(root, synonyms, params)
        # When every match holds every term (its verbatim count is the same for all), a gram of
        # the query is in every match; otherwise whether a row holds it is asked of the body.
        held = verbatim.isdigit()
        joins, parts = [], []
        for (field, term), weight in terms.items():
            frequency = df.get((CODES[field], term), 0)
            if not frequency:
                continue
            factor = _f(weight * idf(self.count, frequency) * (K1 + 1))
            i = len(joins)
            joins.append(
                f" LEFT JOIN (SELECT u.pid, u.tf FROM {self.schema}.postings g, unnest(g.pids, g.tfs) u(pid, tf) "
                f"WHERE g.field = {CODES[field]} AND g.term = {params.add(term)}) w{i} ON w{i}.pid = p.pid"
            )
            if field in (contract.WORDS, contract.HEADING_WORDS):
                tf = f"coalesce(w{i}.tf, 0)"
            elif held:
                tf = f"coalesce(w{i}.tf, 1)"
            else:
                tf = f"(CASE WHEN strpos(p.body, {params.add(term)}) > 0 THEN coalesce(w{i}.tf, 1) ELSE 0 END)"
            parts.append(f"{factor} * {tf} / ({tf} + {self._norm(field)})")
        bm25 = " + ".join(parts) if parts else _f(0)
        weight = f"LEAST({_f(1)}, p.len_unigram / {_f(SUBSTANTIAL_CHARS)}) * CASE WHEN p.is_heading THEN {_f(HEADING_FACTOR)} ELSE {_f(1)} END"
        return f"(({verbatim}) * {_f(VERBATIM_WEIGHT)} + ({bm25}) * {weight})", "".join(joins)

    # -- records

    def _located(self, ids: Sequence[str]) -> list[tuple[int, int]]:
        """(version, ordinal) of each passage id of this generation (unknown ones left out)."""
        out = []
        for passage_id in ids:
            split = records.split_passage_id(passage_id) if "\x00" not in passage_id else None
            if split and split[0] in self._version_of and records.passage_id(*split) == passage_id:
                out.append((self._version_of[split[0]], split[1]))
        return out

    def passages(self, ids: Sequence[str]) -> list[Passage | None]:
        located = self._located(ids)
        if not located:
            return [None] * len(ids)
        rows = self._fetch(
            f"SELECT p.version, p.ordinal, r.record FROM {self.schema}.passages p JOIN unnest(%s::int[], %s::int[]) k(version, ordinal) "
            f"ON p.version = k.version AND p.ordinal = k.ordinal JOIN {self.schema}.passage_records r ON r.pid = p.pid",
            ([v for v, _ in located], [o for _, o in located]),
        )
        found = {records.passage_id(self._doc_of[version], ordinal): _passage(record) for version, ordinal, record in rows}
        return [found.get(i) for i in ids]

    def document_passages(self, doc_id: str) -> list[Passage]:
        version = self._version_of.get(doc_id)
        if version is None:
            return []
        rows = self._fetch(
            f"SELECT r.record FROM {self.schema}.passages p JOIN {self.schema}.passage_records r ON r.pid = p.pid WHERE p.version = %s ORDER BY p.ordinal",
            (version,),
        )
        return [_passage(r[0]) for r in rows]

    def documents(self) -> list[Document]:
        return list(self._documents)

    def document(self, doc_id: str) -> Document | None:
        return self._by_doc.get(doc_id)

    def prefixes(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        if not prefix or "\x00" in prefix:
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

    def more_like_this(
        self, terms, deadline: Deadline, limit: int | None = None, within=None, exclude_documents=(), headings: bool = False
    ) -> list[tuple[str, float]]:
        code = CODES[contract.WORDS]
        terms = [(w, weight) for w, weight in terms]
        df = self.frequencies([(code, w) for w, _ in terms])
        factors = [(w, weight * idf(self.count, df[(code, w)])) for w, weight in terms if df.get((code, w))]
        params = Params(self.schema)
        conditions = []
        if not headings:
            conditions.append("NOT p.is_heading")
        if exclude_documents:
            conditions.append(f"p.version <> ALL({params.add(self._versions(exclude_documents))}::int[])")
        if within is not None:
            located = self._located(within)
            conditions.append(
                f"(p.version, p.ordinal) IN (SELECT * FROM unnest({params.add([v for v, _ in located])}::int[], {params.add([o for _, o in located])}::int[]))"
            )
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
        source = f"({lookups}) x JOIN {self.schema}.passages p ON p.pid = x.pid JOIN {self._documents_of_generation}"
        window = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self._fetch(
            f"SELECT p.version, p.ordinal, {score} AS score FROM {source} WHERE {where} GROUP BY p.version, p.ordinal, d.ord, p.len_words "
            f"HAVING {score} > 0 ORDER BY score DESC, d.ord, p.ordinal{window}",
            params.values,
            deadline=deadline,
        )
        scored = [(records.passage_id(self._doc_of[version], ordinal), float(score)) for version, ordinal, score in rows]
        if within is not None and limit is None:
            found = dict(scored)
            return [(i, found.get(i, 0.0)) for i in within]
        return scored

    def close(self) -> None:
        pass


def _f(value: float) -> str:
    """A float8 literal (a bare ``1.5`` is numeric in SQL, and numeric arithmetic is slow)."""
    return f"{float(value)!r}::float8"


def _gathered(rows, sign: int = 1) -> tuple[dict[str, dict[int, int]], int]:
    """Counts per column and the total from a counting statement's (facet number, code, count) rows."""
    columns = {number: column for column, number in sql.FACET_NUMBERS.items()}
    counted: dict[str, dict[int, int]] = {}
    total = 0
    for facet, code, count in rows:
        if facet == TOTAL:
            total = sign * count
        else:
            values = counted.setdefault(columns[facet], {})
            values[code] = values.get(code, 0) + sign * count
    return counted, total


def _passage(record) -> Passage:
    data = record if isinstance(record, dict) else json.loads(record)
    return contract.passage_from_record(data)
