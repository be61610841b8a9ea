"""Benchmarks that report numbers in one table (not timed tests).

``python -m bench`` (``make bench``) measures session finish throughput
through gunicorn against a raw Flask+Redis baseline, replay speed, and the
play page's weight, and prints one table. This package must stay light to
import: gunicorn loads ``bench.baseline_app`` after monkey-patching.
"""
