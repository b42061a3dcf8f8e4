"""Plan follow-through on generated reports: the corpus (:mod:`.corpus`) and the measurement of
precision and recall of the follow-up matches against what the generator wrote
(:mod:`.measure`, ``python -m tests.plans``)."""
