"""Benchmarks of wagtail-outbound: ``make bench`` (``python -m benchmarks``).

Not part of the test suite. Results and commands are in docs/benchmarks.md.
"""
