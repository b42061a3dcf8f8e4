"""Benchmark: a deterministic scaled corpus, indexing cost, search latency and load through
the real HTTP stack, side by side with a brute-force scan and SQLite FTS5 (trigram).

Run ``python -m tests.benchmarks --reports 1000``; see README, section Performance.
"""
