"""Benchmark settings: the demo site on its own database (PostgreSQL ``bench``
unless DATABASE_URL says otherwise), production-like (DEBUG off)."""

import os
import sys
from pathlib import Path

import dj_database_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "demo"))

from demo.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "benchmarks.urls"
DATABASES = {
    "default": dj_database_url.config(
        default="postgres://postgres@127.0.0.1:5432/bench", conn_max_age=600
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # What-if runs only (docs/benchmarks.md), e.g. "PRAGMA synchronous=NORMAL"
    # on a copy of the database switched to journal_mode=WAL.
    if os.environ.get("BENCH_SQLITE_INIT"):
        DATABASES["default"]["OPTIONS"]["init_command"] = os.environ[
            "BENCH_SQLITE_INIT"
        ]
# One load generator is one client: a per-client rate limit would turn the
# ingestion benchmark into a 429 benchmark. None switches it off (the setting
# is read with a default, so this is harmless where it does not exist).
WAGTAIL_OUTBOUND_RATE_LIMIT = None
# Servers whose clicks only a worker counts (the fault benchmark) and
# readers that must not count them (the freshness probe) set this to 0.
WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST = os.environ.get(
    "BENCH_AGGREGATE_ON_REQUEST", "1"
) not in ("0", "", "false", "False")
# The fault benchmark sends every beacon to a URL of its own: no daily
# budget of new links and daily counters ("other" rows) must apply.
if os.environ.get("BENCH_MAX_NEW_KEYS"):
    WAGTAIL_OUTBOUND_MAX_NEW_LINKS_PER_DAY = int(os.environ["BENCH_MAX_NEW_KEYS"])
    WAGTAIL_OUTBOUND_MAX_NEW_COUNTERS_PER_DAY = int(os.environ["BENCH_MAX_NEW_KEYS"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
