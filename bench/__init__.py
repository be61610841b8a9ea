"""Benchmarks that report numbers in one table (not timed tests).

``python -m bench`` (``make bench``) measures session finish throughput
through gunicorn against a raw Flask+Redis baseline, replay speed, the play
page's weight, submit-to-client push latency to 1,000 Socket.IO clients, our
leaderboard against PyPI's ``leaderboard``, rank lookups at a million
entries against SQL ``COUNT(*)``, and coupon claims on PostgreSQL with their
over-issue count, and prints one table. This package must stay light to
import: gunicorn loads ``bench.baseline_app`` after monkey-patching.
"""
