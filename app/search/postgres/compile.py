"""The query tree (:mod:`app.search.query`) as SQL over the ``passages`` table.

A query becomes two conditions and two expressions:

* the **pre-filter**: what the GIN index answers (``grams @@`` the grams of each string, or the
  word lexemes of a term that may match by its words), a necessary condition, structured like
  the tree (AND, OR; an exclusion constrains nothing);
* the **check**: the exact meaning, row by row, on what the row holds inline: ``strpos`` on the
  normalized text (contains means contains), and for words found separately membership in the
  passages holding them all (looked up once per statement). It is
  left out where the pre-filter is already exact (strings of one or two characters), so a
  common word costs no per-row work;
* the **verbatim count** and the **scoring terms** (field, term, weight) of BM25, as the port
  states them (:mod:`app.search.port`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.search.port import HEADING_BOOST
from app.search.query import And, Node, Not, Or, Term, exact_only
from indexer import analysis, contract
from indexer.postgres_store import schema as sql

WORDS_CODE = sql.FIELD_CODES[contract.WORDS]


@dataclass
class Params:
    """Named parameters of one statement (and the schema it reads)."""

    schema: str = "township"
    values: dict = field(default_factory=dict)

    def add(self, value) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"%({name})s"


@dataclass(frozen=True)
class Alternative:
    """One string a term matches: verbatim, or (``together``) by all of its words."""

    text: str
    together: tuple[str, ...] = ()

    @property
    def exact_by_index(self) -> bool:
        """The gram index alone answers it: one gram (one or two characters), no words."""
        return len(self.text) <= 2 and not self.together

    def grams(self) -> list[str]:
        return list(dict.fromkeys(analysis.exact_lookup(self.text)[1]))


def alternatives(term: Term, synonyms) -> list[Alternative]:
    """The strings a term matches (itself, and its synonyms as unquoted terms)."""
    terms = [term] if term.exact or term.text not in synonyms else [term] + [Term(s) for s in synonyms[term.text] if s != term.text]
    out = []
    for t in terms:
        words = list(dict.fromkeys(analysis.query_words(t.text)))
        together = tuple(words) if not t.exact and len(words) > 1 and all(len(w) >= 2 for w in words) else ()
        out.append(Alternative(t.text, together))
    return out


# ---------------------------------------------------------------------------- pre-filter

# A pre-filter: ("grams", tsquery) | ("and"|"or", [pre-filters]) | None (no constraint)


def _prefilter(node: Node, synonyms) -> tuple | None:
    if isinstance(node, Term):
        parts = []
        for alt in alternatives(node, synonyms):
            parts.append(("grams", sql.tsquery_all(alt.grams())))
            if alt.together:
                parts.append(("grams", sql.tsquery_all(sql.word_lexemes(alt.together))))
        return _combine("or", parts)
    if isinstance(node, Not):
        # Strings the grams index answers exactly are left out by the index itself (``f:*``: every
        # passage, so the query never asks the index for everything but something).
        if _exact_by_index(node, synonyms):
            return ("grams", f"{sql.tsquery_all([sql.EVERY_PASSAGE])} & !({_prefilter(exact_only(node.child), {})[1]})")
        return None
    children = [_prefilter(c, synonyms) for c in node.children]
    if isinstance(node, And):
        return _combine("and", [c for c in children if c is not None])
    return None if any(c is None for c in children) else _combine("or", children)


def _combine(kind: str, parts: list) -> tuple | None:
    """``kind`` of ``parts``, with the parts on one column merged into one tsquery."""
    if not parts:
        return None
    flat = []
    for part in parts:
        flat += part[1] if part[0] == kind else [part]
    merged, others = {}, []
    for part in flat:
        if part[0] == "grams":
            merged.setdefault(part[0], []).append(part[1])
        else:
            others.append(part)
    joiner = " & " if kind == "and" else " | "
    combined = [(column, joiner.join(f"({q})" for q in queries) if len(queries) > 1 else queries[0]) for column, queries in merged.items()]
    combined += others
    return combined[0] if len(combined) == 1 else (kind, combined)


def _render_prefilter(prefilter: tuple, params: Params, alias: str) -> str:
    kind, value = prefilter
    if kind == "grams":
        return f"{alias}.grams @@ {params.add(value)}::tsquery"
    joiner = " AND " if kind == "and" else " OR "
    return "(" + joiner.join(_render_prefilter(part, params, alias) for part in value) + ")"


# ---------------------------------------------------------------------------- exact check


def _row(node: Node, synonyms, params: Params, alias: str) -> str:
    """The exact condition on one row, on what the row holds inline (never its grams): words
    found separately are looked up once for the statement, in their posting arrays."""
    if isinstance(node, Term):
        parts = []
        for alt in alternatives(node, synonyms):
            parts.append(f"strpos({alias}.body, {params.add(alt.text)}) > 0")
            if alt.together:
                holding = " INTERSECT ".join(
                    f"SELECT unnest(pids) FROM {params.schema}.postings WHERE field = {WORDS_CODE} AND term = {params.add(word)}"
                    for word in alt.together
                )
                parts.append(f"{alias}.pid IN ({holding})")
        return "(" + " OR ".join(parts) + ")"
    if isinstance(node, Not):
        return f"NOT {_row(exact_only(node.child), {}, params, alias)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(_row(c, synonyms, params, alias) for c in node.children) + ")"


def _exact_by_index(node: Node, synonyms) -> bool:
    """Whether the grams index alone answers ``node`` (no row needs checking)."""
    if isinstance(node, Term):
        return all(alt.exact_by_index for alt in alternatives(node, synonyms))
    if isinstance(node, Not):
        return _exact_by_index(exact_only(node.child), {}) and _positive(node.child)
    return all(_exact_by_index(c, synonyms) for c in node.children)


def _positive(node: Node) -> bool:
    """No exclusion inside (what an exclusion excludes must be a plain string or strings)."""
    return not isinstance(node, Not) and all(_positive(c) for c in getattr(node, "children", ()))


def _check(node: Node, synonyms, params: Params, alias: str) -> str | None:
    """What the pre-filter leaves to check row by row (None: nothing)."""
    if _exact_by_index(node, synonyms):
        return None
    if isinstance(node, And):
        parts = [_check(c, synonyms, params, alias) for c in node.children]
        return "(" + " AND ".join(p for p in parts if p) + ")"
    return _row(node, synonyms, params, alias)


def match_condition(root: Node | None, synonyms, params: Params, alias: str = "p", also: str | None = None) -> tuple[str, bool]:
    """The SQL condition selecting the passages ``root`` matches (every passage for None) and
    the index lookup ``also`` (a tsquery: the filters) asks for, and whether the index narrows
    it (a pre-filter)."""
    prefilter = _prefilter(root, synonyms) if root is not None else None
    if also is not None:
        prefilter = _combine("and", [p for p in (prefilter, ("grams", also)) if p is not None])
    parts = []
    if prefilter is not None:
        parts.append(_render_prefilter(prefilter, params, alias))
    check = _check(root, synonyms, params, alias) if root is not None else None
    if check:
        parts.append(check)
    return (" AND ".join(parts) if parts else "TRUE"), prefilter is not None


def single_lexeme(root: Node | None, synonyms) -> str | None:
    """The one gram whose passages are exactly what ``root`` matches (a one- or two-character
    string without synonyms), else None."""
    if not isinstance(root, Term):
        return None
    found = alternatives(root, synonyms)
    if len(found) != 1 or not found[0].exact_by_index:
        return None
    grams = found[0].grams()
    return grams[0] if len(grams) == 1 else None


# ---------------------------------------------------------------------------- relevance


def _constant_verbatim(node: Node, synonyms) -> int | None:
    """The verbatim count when every match has the same (terms the gram index answers exactly,
    ANDed): the check per row can then be left out."""
    if isinstance(node, Term):
        alts = alternatives(node, synonyms)
        return 1 if len(alts) == 1 and alts[0].exact_by_index else None
    if isinstance(node, Not):
        return 0
    if isinstance(node, Or):
        return None
    counts = [_constant_verbatim(c, synonyms) for c in node.children]
    return None if None in counts else sum(counts)


def verbatim_count(node: Node, synonyms, params: Params, alias: str = "p") -> str:
    """How many of the query's terms a row contains verbatim (synonyms count once, OR takes the
    best, AND adds, exclusions add nothing)."""
    constant = _constant_verbatim(node, synonyms)
    if constant is not None:
        return str(constant)
    if isinstance(node, Term):
        alts = [f"(strpos({alias}.body, {params.add(alt.text)}) > 0)::int" for alt in alternatives(node, synonyms)]
        return alts[0] if len(alts) == 1 else f"GREATEST({', '.join(alts)})"
    if isinstance(node, Not):
        return "0"
    parts = [verbatim_count(c, synonyms, params, alias) for c in node.children if not isinstance(c, Not)]
    if not parts:
        return "0"
    if isinstance(node, Or):
        return parts[0] if len(parts) == 1 else f"GREATEST({', '.join(parts)})"
    return "(" + " + ".join(parts) + ")"


def scoring_terms(node: Node, synonyms) -> dict[tuple[str, str], float]:
    """(field, term) → weight of every BM25 term the query ranks by: the jieba words of each
    positive term's strings in the body and (boosted) the heading path, and the gram of a string
    of one or two characters."""
    out: dict[tuple[str, str], float] = {}

    def add(key, weight):
        out[key] = out.get(key, 0.0) + weight

    def visit(n: Node):
        if isinstance(n, Not):
            return
        if isinstance(n, Term):
            for alt in alternatives(n, synonyms):
                for word in dict.fromkeys(analysis.query_words(alt.text)):
                    add((contract.WORDS, word), 1.0)
                    add((contract.HEADING_WORDS, word), HEADING_BOOST)
                gram_field, grams = analysis.exact_lookup(alt.text)
                if len(grams) == 1:
                    add((gram_field, grams[0]), 1.0)
            return
        for child in n.children:
            visit(child)

    if node is not None:
        visit(node)
    return out
