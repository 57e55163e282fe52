"""The inbox and its aggregation: every accepted click is counted exactly
once, a refused click never holds back the others, reports stay fresh."""

import threading
import time
import zoneinfo
from datetime import datetime

import pytest
from django.core.management import call_command
from django.db import DataError, IntegrityError, OperationalError, connection
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from tests.factories import beacon, send
from wagtail_outbound import aggregation, periods, recording, site_config, stats
from wagtail_outbound.models import (
    ROLLUPS,
    DailyClicks,
    Link,
    OutboundSettings,
    PendingClick,
)
from wagtail_outbound.periods import Span


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None


def daily_total():
    return DailyClicks.objects.aggregate(total=Sum("clicks", default=0))["total"]


def assert_rollups_equal_counters():
    total = daily_total()
    for model in ROLLUPS:
        for span in model.spans:
            rolled = model.objects.filter(span=span).aggregate(
                total=Sum("clicks", default=0)
            )["total"]
            assert rolled == total, (model.__name__, span)


def test_the_endpoint_appends_one_pending_click_and_counts_nothing(client, site):
    response = send(client, count=False)
    assert response.status_code == 204
    assert PendingClick.objects.count() == 1
    assert DailyClicks.objects.count() == 0
    pending = PendingClick.objects.get()
    assert (pending.site_id, pending.url, pending.path) == (
        site.pk,
        "https://example.com/a",
        "/",
    )


def test_aggregation_counts_each_click_once_and_empties_the_inbox(client, site):
    for number in range(7):
        send(client, beacon(f"https://example.com/{number % 3}"), count=False)
    assert aggregation.aggregate(batch_size=2) == 7
    assert aggregation.aggregate() == 0
    assert PendingClick.objects.count() == 0
    assert daily_total() == 7
    assert_rollups_equal_counters()


def test_stats_count_pending_clicks_before_reading(client, site):
    send(client, count=False)
    assert stats.total(stats.Filters()) == 1
    assert PendingClick.objects.count() == 0


def test_stats_leave_the_inbox_to_a_worker_when_requests_do_not_count(
    client, site, settings
):
    settings.WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST = False
    send(client, count=False)
    assert stats.total(stats.Filters()) == 0
    call_command("outbound_aggregate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stats.total(stats.Filters()) == 1


def test_the_task_counts_pending_clicks(client, site):
    from wagtail_outbound.tasks import aggregate_outbound_clicks

    send(client, count=False)
    aggregate_outbound_clicks.call()
    assert PendingClick.objects.count() == 0
    assert daily_total() == 1


def test_a_failing_batch_leaves_every_click_pending(client, site, monkeypatch):
    for _ in range(3):
        send(client, count=False)

    def fail(*args):
        raise OperationalError("database went away")

    monkeypatch.setattr(recording, "_add", fail)
    with pytest.raises(OperationalError):
        aggregation.aggregate()
    assert PendingClick.objects.count() == 3
    assert daily_total() == 0
    monkeypatch.undo()
    assert aggregation.aggregate() == 3
    assert daily_total() == 3


def test_a_refused_click_is_dropped_and_never_holds_back_the_others(
    client, site, monkeypatch, caplog
):
    urls = [f"https://ok.example/{n}" for n in range(9)]
    urls.insert(5, "https://poison.example/")
    for url in urls:
        send(client, beacon(url), count=False)
    real = recording.count

    def refuse_poison(clicks):
        if any(click.domain == "poison.example" for click in clicks):
            raise IntegrityError("value refused")
        return real(clicks)

    monkeypatch.setattr(aggregation, "count", refuse_poison)
    assert aggregation.aggregate(batch_size=4) == 10
    assert PendingClick.objects.count() == 0
    assert daily_total() == 9
    assert not Link.objects.filter(domain="poison.example").exists()
    assert "dropped a click the database refused" in caplog.text
    assert_rollups_equal_counters()


def test_a_click_is_dated_in_the_projects_time_zone(client, site, settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    # 23:30 UTC on 1 March is already 2 March in Auckland.
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert periods.click_day(moment).isoformat() == "2026-03-02"


def test_settings_changed_by_another_process_apply_within_seconds(
    client, site, settings
):
    settings.WAGTAIL_OUTBOUND_CONFIG_SECONDS = 0.2
    send(client)
    assert stats.total(stats.Filters()) == 1
    # Another process's save: no signal reaches this one.
    OutboundSettings.objects.update_or_create(
        site=site, defaults={"excluded_domains": "example.com"}
    )
    site_config._Memo.until = time.monotonic() + 0.2  # as if read just now
    time.sleep(0.3)
    send(client)
    assert stats.total(stats.Filters()) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_aggregators_never_count_a_click_twice(site):
    client = Client()
    for number in range(300):
        send(client, beacon(f"https://example.com/{number % 40}"), count=False)
    errors = []

    def worker():
        try:
            aggregation.aggregate(batch_size=25)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PendingClick.objects.count() == 0
    assert daily_total() == 300
    assert_rollups_equal_counters()


@pytest.mark.usefixtures("frozen_today")  # no midnight before the check
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_requests_start_a_background_run_once_the_inbox_is_due(site, settings):
    settings.WAGTAIL_OUTBOUND_AGGREGATE_SECONDS = 0.3
    aggregation._Trigger.next_run = None
    client = Client()
    send(client, count=False)  # sets the first run due in 0.3 s
    assert PendingClick.objects.count() == 1
    deadline = time.monotonic() + 10
    time.sleep(0.4)
    send(client, count=False)  # due: a background thread counts both
    while PendingClick.objects.exists():
        assert time.monotonic() < deadline, "the background run never came"
        time.sleep(0.05)
    assert daily_total() == 2
    assert DailyClicks.objects.get().day == periods.today()


def test_only_one_span_of_each_period_is_written(client, site):
    send(client)
    rows = ROLLUPS[0].objects.values_list("span", flat=True)
    assert sorted(rows) == sorted([Span.DAY, Span.MONTH, Span.YEAR])


def _beacon(url):
    from wagtail_outbound.beacon import parse_beacon

    return parse_beacon(beacon(url).encode())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_appends_of_concurrent_threads_share_one_insert(site, monkeypatch):
    """Group commit: while one thread writes, the others queue, and the next
    statement writes all of them; every append returns once committed."""
    from wagtail_outbound import inbox

    real = inbox._insert
    sizes = []
    first = threading.Event()

    def slow_first(connection, rows):
        sizes.append(len(rows))
        if len(sizes) == 1:
            first.set()
            time.sleep(0.3)  # the others arrive meanwhile
        return real(connection, rows)

    monkeypatch.setattr(inbox, "_insert", slow_first)
    errors = []

    def append(number):
        try:
            inbox.append(site.pk, _beacon(f"https://example.com/{number}"))
            assert PendingClick.objects.filter(  # committed when it returns
                url=f"https://example.com/{number}"
            ).exists()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(0,))]
    threads[0].start()
    assert first.wait(5), "the first append never reached the database"
    threads += [threading.Thread(target=append, args=(n,)) for n in range(1, 9)]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PendingClick.objects.count() == 9
    assert sizes[0] == 1 and max(sizes) > 1 and sum(sizes) == 9


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_row_fails_only_its_own_append(site, monkeypatch):
    from wagtail_outbound import inbox

    real = inbox._insert
    gate = threading.Event()

    def refuse_bad(connection, rows):
        gate.wait(5)
        if any("bad.example" in str(row) for row in rows):
            raise DataError("value too long")
        return real(connection, rows)

    monkeypatch.setattr(inbox, "_insert", refuse_bad)
    results = {}

    def append(url):
        try:
            inbox.append(site.pk, _beacon(url))
            results[url] = "stored"
        except DataError:
            results[url] = "refused"
        finally:
            connection.close()

    urls = ["https://good.example/1", "https://bad.example/", "https://good.example/2"]
    threads = [threading.Thread(target=append, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    gate.set()
    for thread in threads:
        thread.join()
    assert results == {
        "https://good.example/1": "stored",
        "https://bad.example/": "refused",
        "https://good.example/2": "stored",
    }
    assert PendingClick.objects.count() == 2
