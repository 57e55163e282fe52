"""Settings of the gunicorn server and the aggregator that
tests/test_ingestion_faults.py starts: the test project's settings on the
test database (DATABASE_URL), with the benchmark server's switches."""

import os

from tests.testapp.settings import *  # noqa: F403

# One client address sends every beacon.
WAGTAIL_OUTBOUND_RATE_LIMIT = None
# The aggregator process counts; the server only appends.
WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST = os.environ.get(
    "BENCH_AGGREGATE_ON_REQUEST", "1"
) not in ("0", "", "false", "False")
# The fault benchmark sends every beacon to a URL of its own: no daily
# budget of new links and daily counters ("other" rows) must apply.
if os.environ.get("BENCH_MAX_NEW_KEYS"):
    WAGTAIL_OUTBOUND_MAX_NEW_LINKS_PER_DAY = int(os.environ["BENCH_MAX_NEW_KEYS"])
    WAGTAIL_OUTBOUND_MAX_NEW_COUNTERS_PER_DAY = int(os.environ["BENCH_MAX_NEW_KEYS"])
