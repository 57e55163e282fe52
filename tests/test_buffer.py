"""The opt-in write buffer: clicks held in memory are written exactly once."""

import time

import pytest

from tests.test_collect import beacon, post
from wagtail_outbound import buffer, stats
from wagtail_outbound.models import DailyClicks


@pytest.fixture
def buffered(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None
    settings.WAGTAIL_OUTBOUND_BUFFER_CLICKS = 3
    settings.WAGTAIL_OUTBOUND_BUFFER_SECONDS = 60
    yield buffer.clicks
    buffer.clicks.close()


def raw_clicks():
    return sum(DailyClicks.objects.values_list("clicks", flat=True))


def wait_for_clicks(count):
    deadline = time.monotonic() + 10
    while raw_clicks() < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return raw_clicks()


# The buffer writes on its own threads, which see committed data only.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_clicks_are_held_until_the_buffer_is_full(client, site, buffered):
    for _ in range(2):
        assert post(client).status_code == 204
    time.sleep(0.2)
    assert raw_clicks() == 0

    assert post(client, beacon("https://other.example/")).status_code == 204

    assert wait_for_clicks(3) == 3
    assert stats.total_clicks() == 3
    assert DailyClicks.objects.get(link__domain="example.com").clicks == 2


def test_a_graceful_stop_writes_the_held_clicks(client, site, buffered):
    post(client)
    post(client)

    buffered.close()  # what the process does at exit

    assert raw_clicks() == stats.total_clicks() == 2
    buffered.close()
    assert raw_clicks() == 2


def test_held_clicks_are_written_after_the_time_limit(client, site, buffered, settings):
    settings.WAGTAIL_OUTBOUND_BUFFER_SECONDS = 0.2
    post(client)
    assert raw_clicks() == 0

    assert wait_for_clicks(1) == 1
    assert stats.total_clicks() == 1
