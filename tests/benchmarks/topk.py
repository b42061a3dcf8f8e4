"""``python -m tests.benchmarks.topk --reports N``: top-k ranking against scoring every match.

Over the benchmark's corpus of N reports (generated and built as ``python -m tests.benchmarks``
does, reused when present) and its query mix, each query with words at its own page: how many
passages match, how many the ranking scores (every match before; the seeds and candidates of
:mod:`app.search.local.topk` after) and the time of the ranking alone (warm, median of the
rounds), per query class, and whether both give the same window with the same values.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from app.search.deadline import Deadline
from app.search.local import facet_counts, ranking, topk
from app.search.local.opened import DEFAULT_CACHE_BYTES
from app.search.local.searcher import LocalSearcher
from app.search.port_service import question
from app.search.service import SearchRequest
from indexer import layout
from indexer.build import build
from indexer.whoosh_store.reader import open_storage
from tests.benchmarks import corpus
from tests.benchmarks.queries import Corpus, query_mix
from tests.benchmarks.run import DEFAULT_WORK_DIR


def _exhaustive(index, query, docs, deadline):
    with index.one_request():  # as the searcher does: a posting list read once per request
        value = topk.values(index, query.root, query.synonyms, docs, deadline)
        chosen = ranking.window(index, query.sort, docs, value, query.offset, query.limit)
        return chosen, value[chosen]


def _pruned(index, query, docs, deadline):
    with index.one_request():
        return topk.window(index, query.root, query.synonyms, query.sort, docs, query.offset, query.limit, deadline)


def _timed(rounds: int, run, *arguments) -> tuple[float, object]:
    times, out = [], None
    for _ in range(rounds):
        start = time.process_time()
        out = run(*arguments)
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times), out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.topk", description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED)
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR))
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds per query (the median is shown)")
    parser.add_argument("--prune-from", type=int, default=topk.PRUNE_FROM, help="answers smaller than this are scored whole")
    parser.add_argument(
        "--cache-mb",
        type=float,
        default=DEFAULT_CACHE_BYTES / 2**20,
        help="the term cache's limit (a tenth of the default: the regime of 10× the reports)",
    )
    args = parser.parse_args(argv)
    work = Path(args.work_dir)
    data = corpus.generate(work, args.reports, args.seed)
    built = corpus.index_dir(work, args.reports, args.seed)
    try:
        layout.current_generation(built)
    except layout.IndexMissing:
        build(data, built, procs=2, full=True)
    generation = layout.current_generation(built)
    searcher = LocalSearcher(open_storage(generation), int(args.cache_mb * 2**20))
    index = searcher.index
    mix = query_mix(Corpus.load(generation))
    topk.PRUNE_FROM = args.prune_from
    scored: list[int] = []
    values = topk.values

    def counted(index, root, synonyms, docs, deadline):
        scored.append(len(docs))
        return values(index, root, synonyms, docs, deadline)

    topk.values = counted
    rows: dict[str, list[tuple[int, int, float, float]]] = defaultdict(list)
    differ = 0
    print(
        f"{args.reports} reports, {index.count:,} passages, {len(mix)} queries; prune from {topk.PRUNE_FROM:,} matches; "
        f"term cache {args.cache_mb:g} MB; {args.rounds} warm rounds"
    )
    for bench in mix:
        if not bench.q:
            continue
        request = SearchRequest(q=bench.q, **{f: (v,) for f, v in bench.filters.items()})
        query = replace(question(request).query, offset=(bench.page - 1) * bench.size, limit=bench.size)
        deadline = Deadline(600)
        filters = {name: tuple(v) for name, v in query.filters.items() if v}
        docs = facet_counts.narrowed(index, searcher._matches(query, deadline), facet_counts.filter_sets(index, filters))
        before_ms, before = _timed(args.rounds, _exhaustive, index, query, docs, deadline)
        after_ms, after = _timed(args.rounds, _pruned, index, query, docs, deadline)
        scored.clear()
        _pruned(index, query, docs, deadline)
        differ += before[0].tolist() != after[0].tolist() or before[1].tolist() != after[1].tolist()
        rows[bench.cls].append((len(docs), sum(scored), before_ms, after_ms))
    print(f"{'class':<8} {'queries':>7} {'matches (median)':>17} {'scored (median)':>16} {'before ms p50/max':>18} {'after ms p50/max':>17}")
    for cls, found in rows.items():
        matches = statistics.median(r[0] for r in found)
        scored_median = statistics.median(r[1] for r in found)
        before = [r[2] for r in found]
        after = [r[3] for r in found]
        print(
            f"{cls:<8} {len(found):>7} {matches:>17,.0f} {scored_median:>16,.0f} "
            f"{statistics.median(before):>10.1f} / {max(before):>5.1f} {statistics.median(after):>9.1f} / {max(after):>5.1f}"
        )
    total_before = sum(r[2] for f in rows.values() for r in f)
    total_after = sum(r[3] for f in rows.values() for r in f)
    print(f"all: before {total_before:.0f} ms, after {total_after:.0f} ms (sum of medians); windows differing: {differ}")
    searcher.close()
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
