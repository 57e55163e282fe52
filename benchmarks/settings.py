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
# One load generator is one client: a per-client rate limit would turn the
# ingestion benchmark into a 429 benchmark. None switches it off (the setting
# is read with a default, so this is harmless where it does not exist).
WAGTAIL_OUTBOUND_RATE_LIMIT = None
# The ingestion benchmark's second mode: the opt-in write buffer.
WAGTAIL_OUTBOUND_BUFFER_CLICKS = int(os.environ.get("BENCH_BUFFER", "0"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
