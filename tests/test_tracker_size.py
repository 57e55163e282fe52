"""The served tracker stays within its size budget and is built from the
current source (``make tracker``)."""

import gzip
import hashlib
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).parents[1] / "wagtail_outbound/static/wagtail_outbound"
BUDGET = 1024  # bytes, gzipped as served


@pytest.mark.parametrize("level", [9, 6])
def test_served_tracker_is_at_most_1024_bytes_gzipped(level):
    served = (STATIC / "tracker.min.js").read_bytes()
    assert len(gzip.compress(served, compresslevel=level)) <= BUDGET


def test_minified_tracker_is_built_from_the_current_source():
    header = (STATIC / "tracker.min.js").read_text().splitlines()[0]
    recorded = re.search(r"source sha256 ([0-9a-f]{16})", header)
    assert recorded, "tracker.min.js does not record its source's hash"
    source = hashlib.sha256((STATIC / "tracker.js").read_bytes()).hexdigest()
    assert recorded.group(1) == source[:16], "tracker.min.js is stale: make tracker"
