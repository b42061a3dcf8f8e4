"""What every engine must do, through the search port alone (:mod:`app.search.port`), checked
against a scan of the passages themselves.

Parametrised over the engines of ``tests/engines.py``: each writes the same folder of reports
(the bundled ones and generated ones: traditional script, unknown townships and years) with its
own sink, and is asked only through :class:`~app.search.port.Searcher`. The reference is the
indexing pipeline's records, normalized texts and jieba words, and the port's matching rules
applied to them by plain Python: recall and exact totals over the benchmark's query mix (plus
OR, nesting, synonyms), disjunctive facet counts, every filter (``未识别`` and values in
traditional script included), paging, document order and the year sorts. Relevance is compared
with the reference engine's top 10 (the overlap is printed).
"""

from __future__ import annotations

import shutil
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from app.search.deadline import Deadline
from app.search.facets import BY_NAME, FACETS, UNKNOWN
from app.search.port import Query
from app.search.query import And, Not, Or, Term, parse
from indexer import analysis, contract
from indexer.normalize import normalize
from indexer.pipeline import doc_id_for, process
from indexer.read import discover
from indexer.records import Passage
from tests.benchmarks import corpus as generator
from tests.benchmarks.queries import Corpus, query_mix
from tests.conftest import DATA_DIR
from tests.engines import ENGINES, REFERENCE

GENERATED = 30  # reports added to the bundled five
EVERY = 1 << 30  # a facet_limit listing every value
EXTRA_QUERIES = (
    "光伏 OR 水电",
    "(光伏 OR 水电) 项目",
    "(信访 OR 低保) -矛盾",
    '乡村 (振兴 OR 治理) -"产业振兴"',
    '"乡村振兴" OR 茶',
    "-村",
    "鄉村振興 OR 黨建",
    "产业发展 (党建 OR (安全 -生产))",
    "1+3+n",
    "c++",
    "：",
    "光伏项目",
    "不存在的词语组合",
    "茶 叶",
)


def deadline() -> Deadline:
    return Deadline(120)


# ------------------------------------------------------------------------------ the reference


@dataclass
class Scanned:
    passage: Passage
    text: str  # normalized
    words: frozenset[str]  # its jieba words (what the words field holds)
    order: tuple[int, int]  # (report order, ordinal): collection order
    values: dict[str, list[str]]  # facet → its values as the index holds them ("": none)


class Scan:
    def __init__(self, data_dir: Path):
        files, _ = discover(data_dir)
        reports = [process(f, doc_id_for(f.relative), i) for i, f in enumerate(files)]
        self.documents = sorted((r.document for r in reports), key=lambda d: d.order)
        self.items: list[Scanned] = []
        for report in reports:
            for p in report.passages:
                body = normalize(p.text)
                columns = {**contract.category_values(p), **contract.multi_values(p)}
                values = {f.name: list(columns[f.column]) if f.multi_valued else [columns[f.column]] for f in FACETS}
                self.items.append(Scanned(p, body, frozenset(analysis.word_counts(body)), (report.document.order, p.ordinal), values))
        self.by_id = {s.passage.passage_id: s for s in self.items}

    def find(self, query: Query, leave_out: str | None = None) -> list[Scanned]:
        """What ``query`` must match, in collection order (optionally ignoring one facet's filter)."""
        excluded = set(query.exclude_documents)
        return sorted(
            (
                s
                for s in self.items
                if s.passage.doc_id not in excluded
                and (query.root is None or matches(query.root, s, query.synonyms))
                and all(allowed(s, name, values) for name, values in query.filters.items() if name != leave_out)
            ),
            key=lambda s: s.order,
        )

    def ids(self, query: Query) -> set[str]:
        return {s.passage.passage_id for s in self.find(query)}

    def counts(self, name: str, found: list[Scanned]) -> Counter:
        facet = BY_NAME[name]
        counted: Counter = Counter()
        for s in found:
            for value in s.values[name]:
                if value or facet.unknown:
                    counted[value or UNKNOWN] += 1
        return counted


def _exact(node):
    if isinstance(node, Term):
        return Term(node.text, exact=True, original=node.original)
    if isinstance(node, Not):
        return Not(_exact(node.child))
    return type(node)(tuple(_exact(c) for c in node.children))


def matches(node, s: Scanned, synonyms) -> bool:
    """The port's matching rules, applied to one passage."""
    if isinstance(node, Term):
        group = [node] if node.exact or node.text not in synonyms else [node] + [Term(t) for t in synonyms[node.text] if t != node.text]
        for term in group:
            if term.text in s.text:
                return True
            words = list(dict.fromkeys(analysis.query_words(term.text)))
            if not term.exact and len(words) > 1 and all(len(w) >= 2 for w in words) and all(w in s.words for w in words):
                return True
        return False
    if isinstance(node, Not):
        return not matches(_exact(node.child), s, {})
    if isinstance(node, And):
        return all(matches(c, s, synonyms) for c in node.children)
    assert isinstance(node, Or)
    return any(matches(c, s, synonyms) for c in node.children)


def allowed(s: Scanned, name: str, values) -> bool:
    facet = BY_NAME[name]
    wanted = {normalize(v.strip()) for v in values}
    held = s.values[name]
    if facet.unknown and UNKNOWN in wanted and not any(held):
        return True
    return any(v and normalize(v) in wanted for v in held)


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("conformance-data")
    shutil.copytree(DATA_DIR, folder, dirs_exist_ok=True)
    names = generator.township_names(6, generator.DEFAULT_SEED)
    for i in range(GENERATED):
        report = generator.report(i, generator.DEFAULT_SEED, names)
        (folder / report.relative).write_bytes(report.text.encode(report.encoding))
    return folder


@pytest.fixture(scope="module")
def scan(data_dir) -> Scan:
    return Scan(data_dir)


@pytest.fixture(scope="module")
def opened(data_dir, tmp_path_factory):
    """Searchers by engine name, each engine built once for this module."""
    searchers = {}
    with ExitStack() as stack:

        def get(name: str):
            if name not in searchers:
                engine = stack.enter_context(ENGINES[name](data_dir, tmp_path_factory.mktemp(f"conformance-{name}")))
                assert engine.name == name and engine.current_token() and engine.build_command
                searchers[name] = engine.open_current()
                stack.callback(searchers[name].close)
            return searchers[name]

        yield get


@pytest.fixture(scope="module", params=list(ENGINES))
def searcher(request, opened):
    return opened(request.param)


@pytest.fixture(scope="module")
def mix(scan):
    """The benchmark's query mix over these passages, as port queries, plus OR and nesting."""
    items = scan.items
    bench = Corpus(
        ids=[s.passage.passage_id for s in items],
        texts=[s.text for s in items],
        township=[s.passage.township or "" for s in items],
        year=[str(s.passage.year or "") for s in items],
        section=[s.passage.section for s in items],
        themes=[tuple(s.passage.themes) for s in items],
    )
    queries = [(b.cls, Query(root=parse(b.q).root, filters={k: (v,) for k, v in b.filters.items()}, limit=None)) for b in query_mix(bench)]
    queries += [("OR / nesting / literal", Query(root=parse(q).root, limit=None)) for q in EXTRA_QUERIES]
    return queries


# ------------------------------------------------------------------------------ the checks


def test_generation_info(searcher, scan):
    info = searcher.info
    assert (info.documents, info.passages) == (len(scan.documents), len(scan.items))
    assert info.analysis == contract.analysis_fingerprint() and info.name and info.engine


def test_recall_and_exact_totals_over_the_query_mix(searcher, scan, mix):
    wrong = []
    for cls, query in mix:
        expected = scan.ids(query)
        answer = searcher.search(query, deadline())
        if answer.total != len(expected) or set(answer.ids) != expected or len(answer.ids) != len(expected):
            wrong.append((cls, query.root, dict(query.filters), answer.total, len(expected)))
    assert wrong == []
    assert sum(1 for _, q in mix if scan.ids(q)) > 0.8 * len(mix)  # the mix finds something


def test_synonyms_and_excluded_reports(searcher, scan):
    group = ("两违", "违法建筑", "违章建筑")
    query = Query(root=parse("两违").root, synonyms={"两违": group}, limit=None)
    assert set(searcher.search(query, deadline()).ids) == scan.ids(query)
    assert scan.ids(query) > scan.ids(replace(query, synonyms={}))
    quoted = Query(root=parse('"两违"').root, synonyms={"两违": group}, limit=None)  # a quoted term is never expanded
    assert set(searcher.search(quoted, deadline()).ids) == scan.ids(replace(quoted, synonyms={}))
    some = scan.documents[0].doc_id
    query = Query(root=parse("工作").root, exclude_documents=(some, scan.documents[-1].doc_id), limit=None)
    answer = searcher.search(query, deadline())
    assert set(answer.ids) == scan.ids(query) and answer.total == len(scan.ids(query))
    assert not any(i.startswith(some + "-") for i in answer.ids)


def _filter_cases(scan: Scan) -> list[dict[str, tuple[str, ...]]]:
    cases = []
    for facet in FACETS:
        values = sorted(scan.counts(facet.name, scan.items))
        cases += [{facet.name: (v,)} for v in values]
        if facet.unknown:
            cases.append({facet.name: (UNKNOWN,)})
        if len(values) > 2:
            cases.append({facet.name: (values[0], values[-1])})
    traditional = generator._opencc("s2t")
    townships = [v for v in scan.counts("township", scan.items) if v != UNKNOWN]
    cases += [{"township": (traditional.convert(t),)} for t in townships[:4]]
    cases += [{"theme": (traditional.convert(t),)} for t in list(scan.counts("theme", scan.items))[:3]]
    cases.append({"township": (townships[0],), "year": tuple(sorted(v for v in scan.counts("year", scan.items)))})
    cases.append({"section": ("总结",), "theme": tuple(scan.counts("theme", scan.items))[:2], "year": (UNKNOWN,)})
    cases.append({"county": ("不存在的县",)})
    return cases


def test_every_filter(searcher, scan):
    cases = _filter_cases(scan)
    assert any(UNKNOWN in values for case in cases for values in case.values())
    wrong = []
    for filters in cases:
        for q in ("", "工作"):
            query = Query(root=parse(q).root, filters=filters, limit=None)
            expected = scan.ids(query)
            answer = searcher.search(query, deadline())
            if set(answer.ids) != expected or answer.total != len(expected):
                wrong.append((q, filters, answer.total, len(expected)))
    assert wrong == []
    # a value in traditional script selects what the simplified one does
    township = next(v for v in scan.counts("township", scan.items) if v != UNKNOWN)
    traditional = generator._opencc("s2t").convert(township)
    if traditional != township:
        one, other = (searcher.search(Query(filters={"township": (v,)}, limit=None), deadline()).ids for v in (township, traditional))
        assert one == other and one


def _facet_cases(scan: Scan) -> list[Query]:
    township = scan.counts("township", scan.items).most_common(1)[0][0]
    theme = scan.counts("theme", scan.items).most_common(1)[0][0]
    return [
        Query(),
        Query(root=parse("工作").root),
        Query(root=parse("乡村振兴 -产业").root, filters={"township": (township,)}),
        Query(root=parse("发展").root, filters={"theme": (theme,), "section": ("总结", "计划")}),
        Query(filters={"year": (UNKNOWN, "2023"), "township": (township, "不存在的乡")}),
        Query(root=parse("村").root, filters={"township": (UNKNOWN,), "kind": ("工作总结",)}),
    ]


def test_facet_counts_are_exact_and_disjunctive(searcher, scan):
    names = tuple(BY_NAME)
    for base in _facet_cases(scan):
        for disjunctive in (True, False):
            query = replace(base, limit=0, facets=names, facet_limit=EVERY, disjunctive=disjunctive)
            answer = searcher.search(query, deadline())
            assert answer.total == len(scan.find(query)) and answer.ids == []
            for name in names:
                counted = scan.counts(name, scan.find(query, leave_out=name if disjunctive else None))
                distribution = answer.facets[name]
                assert dict(distribution.top) == dict(counted), (name, base)
                assert [c for _, c in distribution.top] == sorted(counted.values(), reverse=True)
                assert distribution.omitted == 0 and distribution.omitted_passages == 0
                selected = base.filters.get(name, ())
                assert len(distribution.selected) == len(selected)
                for value, count in distribution.selected.items():
                    assert count == counted.get(value, 0), (name, value)
            # a short list: how many values and passages it leaves out
            short = searcher.search(replace(query, facet_limit=2), deadline())
            for name in names:
                counted = scan.counts(name, scan.find(query, leave_out=name if disjunctive else None))
                distribution = short.facets[name]
                assert len(distribution.top) == min(2, len(counted))
                assert distribution.omitted == max(0, len(counted) - 2)
                assert sum(c for _, c in distribution.top) + distribution.omitted_passages == sum(counted.values())


def _window_cases(scan: Scan) -> list[Query]:
    township = scan.counts("township", scan.items).most_common(1)[0][0]
    return [
        Query(root=parse(q).root, filters=f, sort=sort)
        for q, f in (("", {}), ("工作", {}), ("茶", {}), ("信访 -矛盾", {}), ("发展", {"township": (township,)}))
        for sort in ("relevance", "year_desc", "year_asc", "document")
    ]


def test_paging_is_stable_complete_and_without_overlap(searcher, scan):
    for query in _window_cases(scan):
        everything = searcher.search(replace(query, limit=None), deadline())
        assert set(everything.ids) == scan.ids(query) and len(everything.ids) == everything.total
        pages, offset = [], 0
        while offset < everything.total:
            page = searcher.search(replace(query, offset=offset, limit=7), deadline())
            assert page.total == everything.total and 0 < len(page.ids) <= 7
            pages += page.ids
            offset += 7
        assert pages == everything.ids, query  # the same order, whatever the window
        past = searcher.search(replace(query, offset=everything.total + 5, limit=10), deadline())
        assert past.ids == [] and past.total == everything.total


def test_document_order_and_year_sorts(searcher, scan):
    for q in ("", "工作", "光伏 OR 水电"):
        query = Query(root=parse(q).root, limit=None, sort="document")
        assert searcher.search(query, deadline()).ids == [s.passage.passage_id for s in scan.find(query)]
        for sort, sign in (("year_desc", -1), ("year_asc", 1)):
            ids = searcher.search(replace(query, sort=sort), deadline()).ids
            years = [scan.by_id[i].passage.year for i in ids]
            keys = [(y is None, sign * (y or 0)) for y in years]
            assert keys == sorted(keys) and set(ids) == scan.ids(query)  # unknown years last either way


def test_relevance_ranks_verbatim_matches_first(searcher, scan):
    for q in ("光伏项目", "乡村振兴 产业", "强村公司"):
        answer = searcher.search(Query(root=parse(q).root, limit=None), deadline())
        assert answer.scores == sorted(answer.scores, reverse=True)
        terms = [t.text for t in parse(q).terms]
        verbatim = [sum(t in scan.by_id[i].text for t in terms) for i in answer.ids]
        assert verbatim == sorted(verbatim, reverse=True), q


def test_relevance_top_10_against_the_reference_engine(searcher, opened, mix, scan):
    reference = opened(REFERENCE)
    overlaps: dict[str, list[float]] = {}
    for cls, query in mix:
        if query.root is None:
            continue
        top = replace(query, limit=10)
        mine = searcher.search(top, deadline()).ids
        theirs = reference.search(top, deadline()).ids
        if theirs:
            overlaps.setdefault(cls, []).append(len(set(mine) & set(theirs)) / len(theirs))
    mean = sum(sum(v) for v in overlaps.values()) / sum(len(v) for v in overlaps.values())
    print(f"\n{searcher.info.engine} against {reference.info.engine}: top-10 overlap {mean:.3f}")
    for cls, values in overlaps.items():
        print(f"  {cls}: {sum(values) / len(values):.3f} over {len(values)} queries")
    assert mean >= 0.9


def test_records(searcher, scan):
    some = [s.passage.passage_id for s in scan.items[::17]]
    found = searcher.passages(some + ["nope", some[0]])
    assert [p.passage_id for p in found[:-2]] == some and found[-2] is None and found[-1].passage_id == some[0]
    for record in found[:-2]:
        assert contract.stored_record(record) == contract.stored_record(scan.by_id[record.passage_id].passage)
    assert [d.doc_id for d in searcher.documents()] == [d.doc_id for d in scan.documents]
    for document in scan.documents[:: max(1, len(scan.documents) // 6)]:
        assert searcher.document(document.doc_id).doc_id == document.doc_id
        expected = [s.passage.passage_id for s in scan.items if s.passage.doc_id == document.doc_id]
        assert [p.passage_id for p in searcher.document_passages(document.doc_id)] == expected
    assert searcher.document("nope") is None and searcher.document_passages("nope") == []


def test_prefixes_and_word_frequencies(searcher, scan):
    held: Counter = Counter(w for s in scan.items for w in s.words)
    for prefix in ("乡村", "产", "茶", "工作", "不存在"):
        found = searcher.prefixes(prefix, 10)
        expected = {w: n for w, n in held.items() if w.startswith(prefix)}
        assert len(found) == min(10, len(expected))
        assert all(expected[w] == n for w, n in found)
        counts = [n for _, n in found]
        assert counts == sorted(counts, reverse=True)
        if found and len(expected) > 10:
            assert min(counts) >= sorted(expected.values(), reverse=True)[10]
    words = ["乡村", "振兴", "不存在的词", "茶叶"]
    assert searcher.word_frequencies(words) == {w: held.get(w, 0) for w in words}


def test_more_like_this(searcher, scan):
    terms = [("乡村", 1.0), ("振兴", 0.7), ("产业", 0.4)]
    holding = {s.passage.passage_id for s in scan.items if any(w in s.words for w, _ in terms)}
    headings = {s.passage.passage_id for s in scan.items if s.passage.is_heading}
    every = searcher.more_like_this(terms, deadline(), headings=True)
    assert {i for i, _ in every} == holding
    scores = [score for _, score in every]
    assert scores == sorted(scores, reverse=True) and min(scores) > 0
    some = scan.documents[0].doc_id
    best = searcher.more_like_this(terms, deadline(), limit=5, exclude_documents=(some,))
    assert len(best) == 5 and not any(i.startswith(some + "-") or i in headings for i, _ in best)
    assert best == [(i, s) for i, s in every if not i.startswith(some + "-") and i not in headings][:5]
    within = [s.passage.passage_id for s in scan.items[::9]]
    scored = searcher.more_like_this(terms, deadline(), within=within, headings=True)
    assert [i for i, _ in scored] == within  # in the order given, zero scores included
    by_id = dict(every)
    assert all(abs(score - by_id.get(i, 0.0)) < 1e-9 for i, score in scored)
