"""Helpers shared by the benchmarks: timing, medians and the Django setup."""

import os
import statistics
import time

PG_URL = "postgres://postgres@127.0.0.1:5432/bench"
SQLITE_URL = "sqlite:////tmp/wagtail-outbound-bench.sqlite3"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()


def timed_ms(function):
    """Milliseconds one call of ``function`` takes."""
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def median_ms(function, runs, warmup=1):
    """Median milliseconds of ``runs`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        function()
    return statistics.median(timed_ms(function) for _ in range(runs))


def database_label():
    from django.db import connection

    return {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(
        connection.vendor, connection.vendor
    )
