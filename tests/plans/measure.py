"""How well plan follow-through matches, against what the generator wrote.

For every plan passage of a generated report that has a later report, the service's answer
(``followup``) is compared with the truth: its first match is right when it is one of the
passages the generator wrote about that plan item.

* precision: right first matches / plan passages given a match;
* recall: right first matches / plan passages the later reports do report on;
* 未找到 right: plan passages nobody reported on (or that plan nothing concrete) answered
  未找到对应总结 / all such passages;
* every match: right matches / all matches shown (up to ``matches`` per plan passage).

The threshold is calibrated on one generated corpus (``CALIBRATION_SEED``) and measured on
another (``EVALUATION_SEED``, other townships, villages, figures and phrasings).
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.analysis import normalize
from indexer.build import build
from indexer.domain import PROJECT_ROOT, load_followup
from tests.plans.corpus import Corpus, PlanTruth, generate, write

CALIBRATION_SEED = 11
EVALUATION_SEED = 47
TOWNSHIPS = 10


def build_corpus(corpus: Corpus, directory: Path, with_bundled: bool = True) -> Path:
    """The generated reports (and the five bundled ones) in ``directory/data``, indexed into
    ``directory/index``; returns the index folder."""
    data = write(corpus, directory / "data")
    if with_bundled:
        for report in (PROJECT_ROOT / "data" / "reports").iterdir():
            shutil.copy(report, data / report.name)
    build(data, directory / "index", procs=1)
    return directory / "index"


@dataclass
class Located:
    """A truth record with the passage ids of its plan and of its outcomes."""

    truth: PlanTruth
    plan_id: str
    outcome_ids: set[str] = field(default_factory=set)


def locate(service, corpus: Corpus) -> list[Located]:
    """Find each truth record's passages in the index (by text, within its township's reports)."""
    texts: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for document in service.documents():
        if document.township and document.year:
            full = service.document(document.doc_id)
            texts[(document.township, document.year)] = [(p.passage_id, normalize(p.text)) for p in full.passages]

    def find(township: str, years: list[int], text: str) -> list[str]:
        wanted = normalize(text)
        return [pid for year in years for pid, body in texts.get((township, year), []) if wanted in body]

    located = []
    for record in corpus.truth:
        plans = find(record.township, [record.year], record.plan_text)
        assert len(plans) == 1, f"plan passage of {record.township} {record.year} found {len(plans)} times: {record.plan_text}"
        later = [y for y in corpus.years if y > record.year]
        outcomes = {pid for text in record.outcome_texts for pid in find(record.township, later, text)}
        assert len(outcomes) >= len(set(record.outcome_texts)), f"outcome of {record.plan_text} not found"
        located.append(Located(record, plans[0], outcomes))
    return located


@dataclass
class Figures:
    items: int = 0  # plan passages with a later report
    reported: int = 0  # … that a later report reports on
    answered: int = 0  # … given a match
    right: int = 0  # … whose first match is right
    silent: int = 0  # plan passages nobody reported on
    silent_right: int = 0  # … answered 未找到对应总结
    shown: int = 0  # matches shown
    shown_right: int = 0
    no_later: int = 0  # plan passages of the last reports
    no_later_right: int = 0  # … answered no_later_report
    errors: Counter = field(default_factory=Counter)  # status of the plan -> wrong answers

    @property
    def precision(self) -> float:
        return self.right / self.answered if self.answered else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.reported if self.reported else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def silent_rate(self) -> float:
        return self.silent_right / self.silent if self.silent else 1.0

    @property
    def shown_precision(self) -> float:
        return self.shown_right / self.shown if self.shown else 1.0

    def line(self) -> str:
        return (
            f"precision {self.precision:.3f} ({self.right}/{self.answered}), recall {self.recall:.3f} ({self.right}/{self.reported}), "
            f"F1 {self.f1:.3f}; 未找到 right {self.silent_rate:.3f} ({self.silent_right}/{self.silent}); "
            f"every match shown {self.shown_precision:.3f} ({self.shown_right}/{self.shown}); "
            f"no later report {self.no_later_right}/{self.no_later}"
        )


def score(located: list[Located], answers: dict[str, tuple[str, list[str]]]) -> Figures:
    """Figures of ``answers`` (plan passage id -> (status, matched passage ids, best first))."""
    figures = Figures()
    for item in located:
        status, matched = answers[item.plan_id]
        if not item.truth.has_later_report:
            figures.no_later += 1
            figures.no_later_right += status == "no_later_report"
            continue
        figures.items += 1
        figures.shown += len(matched)
        figures.shown_right += sum(m in item.outcome_ids for m in matched)
        if item.outcome_ids:
            figures.reported += 1
        else:
            figures.silent += 1
            figures.silent_right += not matched
        if matched:
            figures.answered += 1
            if matched[0] in item.outcome_ids:
                figures.right += 1
            else:
                figures.errors[f"wrong match ({item.truth.status})"] += 1
        elif item.outcome_ids:
            figures.errors[f"missed ({item.truth.status})"] += 1
    return figures


def service_answers(service, located: list[Located]) -> dict[str, tuple[str, list[str]]]:
    """What the search service answers for every plan passage (the path the API and pages use)."""
    answers = {}
    for item in located:
        found = service.followup(item.plan_id)
        answers[item.plan_id] = (found.status, [m.hit.passage_id for m in found.matches])
    return answers


def threshold_answers(service, located: list[Located], threshold: float) -> dict[str, tuple[str, list[str]]]:
    """The answers the core would give with another threshold (for calibration)."""
    from app.search.deadline import Deadline
    from app.search.followup import Reviews, follow

    searcher = service.live.current().searcher
    reviews = Reviews(searcher, Deadline(600))
    rules = replace(load_followup(), threshold=threshold)
    answers = {}
    for item in located:
        [plan] = searcher.passages([item.plan_id])
        outcome = follow(reviews, plan, rules, rules.matches)
        answers[item.plan_id] = (outcome.status, [match.passage_id for match, _ in outcome.matches])
    return answers


@dataclass
class Measured:
    seed: int
    figures: Figures
    located: list[Located]


def measure(seed: int = EVALUATION_SEED, townships: int = TOWNSHIPS, directory: Path | None = None) -> Measured:
    """Generate, index and measure one corpus with the service as configured."""
    from app.search.engines import search_service

    corpus = generate(seed, townships=townships)
    with tempfile.TemporaryDirectory(prefix="plans-") as scratch:
        root = directory or Path(scratch)
        service = search_service(build_corpus(corpus, root))
        located = locate(service, corpus)
        return Measured(seed, score(located, service_answers(service, located)), located)


def calibrate(seed: int = CALIBRATION_SEED, townships: int = TOWNSHIPS, thresholds=None) -> list[tuple[float, Figures]]:
    from app.search.engines import search_service

    thresholds = thresholds or [round(0.05 * i, 2) for i in range(1, 13)]
    corpus = generate(seed, townships=townships)
    with tempfile.TemporaryDirectory(prefix="plans-") as scratch:
        service = search_service(build_corpus(corpus, Path(scratch)))
        located = locate(service, corpus)
        return [(t, score(located, threshold_answers(service, located, t))) for t in thresholds]
