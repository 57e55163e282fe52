"""Exactness under faults, at a small scale, on the database under test.

gunicorn (2 sync workers) serves the test project on the test database, and
600 beacons, each to a URL of its own, are posted from threads while every
worker is killed with SIGKILL twice and the ``outbound_aggregate --forever``
worker once, mid-batch (it has claimed every pending click and is counting
them). Every beacon answered 204 must be counted exactly once, none answered
otherwise, and those lost with a killed worker at most once; the roll-ups
must equal the daily counters. The scenario is ``benchmarks/faults.py``
(``python -m benchmarks.faults`` runs it with 10,000 beacons).
"""

import importlib.util
import os

import pytest
from django.db import connection

from benchmarks import faults
from benchmarks.server import database_url

# The server and the aggregator are other processes: they see committed data.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,
]

BEACONS = 600

if importlib.util.find_spec("gunicorn") is None:
    if os.environ.get("CI"):
        raise RuntimeError("tests/test_ingestion_faults.py needs gunicorn")
    pytest.skip("gunicorn is not installed", allow_module_level=True)


def test_every_beacon_answered_204_is_counted_once_through_kills(site):
    env = {
        "DJANGO_SETTINGS_MODULE": "benchmarks.testserver_settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        # Only the aggregator counts, so that killing it matters.
        "BENCH_AGGREGATE_ON_REQUEST": "0",
        # A URL per beacon: never counted under the "other" keys of the budget.
        "BENCH_MAX_NEW_KEYS": "100000",
    }
    result = faults.run(
        beacons=BEACONS,
        env=env,
        workers=2,
        threads=6,
        paths=("/", "/no-such-page/"),
        time_limit=240,
        say=print,
    )
    print(result)
    assert len(result["worker_kills"]) == 2
    for kill in result["worker_kills"]:
        assert len(kill["pids"]) == 2
        assert not set(kill["pids"]) & set(kill["replaced_by"])
    aggregator = result["aggregator_kills"][-1]
    assert aggregator["mid_batch"], result["aggregator_kills"]
    assert aggregator["claimed"] > 0
    assert aggregator["counters_unchanged"]  # the claimed batch rolled back
    assert result["wrong_examples"] == []
    assert result["unknown_urls_counted"] == 0
    assert result["answered_204"] <= result["counted"] <= BEACONS
    assert result["counted"] == result["answered_204"] + result["no_answer_counted"]
    assert result["answered_204"] + result["no_answer"] == BEACONS, result["statuses"]
    assert result["rollup_day_added"] == result["counted"]
    assert result["pending_after"] == 0
    assert result["rollup_mismatch_examples"] == []
    assert result["exact"]
