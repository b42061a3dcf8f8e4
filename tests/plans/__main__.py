"""``python -m tests.plans``: precision and recall of plan follow-through on generated reports.

python -m tests.plans                      # the evaluation corpus, with data/followup.toml as it is
python -m tests.plans --calibrate          # every threshold on the calibration corpus
python -m tests.plans --seed 7 --townships 4
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from indexer.domain import load_followup
from tests.plans.measure import CALIBRATION_SEED, EVALUATION_SEED, TOWNSHIPS, calibrate, measure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.plans", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, help=f"corpus seed (default {EVALUATION_SEED}; {CALIBRATION_SEED} with --calibrate)")
    parser.add_argument("--townships", type=int, default=TOWNSHIPS, help=f"townships, three reports each (default {TOWNSHIPS})")
    parser.add_argument("--calibrate", action="store_true", help="print precision and recall for a range of thresholds")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rules = load_followup()
    if args.calibrate:
        seed = args.seed if args.seed is not None else CALIBRATION_SEED
        print(f"calibration corpus: seed {seed}, {args.townships} townships × 3 reports (+ the 5 bundled reports)")
        print(f"{'threshold':>9}  {'precision':>9}  {'recall':>6}  {'F1':>5}  未找到 right")
        for threshold, figures in calibrate(seed, args.townships):
            chosen = "  ← data/followup.toml" if abs(threshold - rules.threshold) < 1e-9 else ""
            print(f"{threshold:9.2f}  {figures.precision:9.3f}  {figures.recall:6.3f}  {figures.f1:5.3f}  {figures.silent_rate:.3f}{chosen}")
    else:
        seed = args.seed if args.seed is not None else EVALUATION_SEED
        measured = measure(seed, args.townships)
        figures = measured.figures
        statuses = Counter(item.truth.status for item in measured.located if item.truth.has_later_report)
        print(f"evaluation corpus: seed {seed}, {args.townships} townships × 3 reports (+ the 5 bundled reports), threshold {rules.threshold}")
        print(f"plan passages with a later report: {figures.items} ({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))})")
        print(figures.line())
        if figures.errors:
            print("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(figures.errors.items())))
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
