"""Faults: concurrent writers, locks and a database that is down."""

import contextlib
import sqlite3
import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests.factories import beacon, send
from wagtail_outbound import inbox, stats
from wagtail_outbound.models import DailyClicks, Link

# Faults are tested on committed data, seen by several connections.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def post(client, url="https://example.com/"):
    # Not counted at once: some tests break the database under the endpoint.
    return send(client, beacon(url), count=False)


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None


@pytest.fixture
def fresh_connection():
    """Close the test's connection afterwards, so a broken or re-configured one
    is never handed to the next test."""
    settings_dict = dict(connection.settings_dict)
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(settings_dict)


@contextlib.contextmanager
def write_lock(seconds):
    """Hold the write lock of the inbox, which the endpoint writes to, from
    another connection."""
    ready = threading.Event()

    def hold():
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            other = sqlite3.connect(settings["NAME"], isolation_level=None)
            other.execute("BEGIN EXCLUSIVE")
        else:
            other = psycopg.connect(
                dbname=settings["NAME"],
                user=settings["USER"],
                host=settings["HOST"],
                port=settings["PORT"] or 5432,
                password=settings["PASSWORD"] or None,
            )
            other.execute("LOCK TABLE wagtail_outbound_pendingclick IN EXCLUSIVE MODE")
        ready.set()
        time.sleep(seconds)
        other.rollback()
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert ready.wait(10), "the other connection never took the lock"
    try:
        yield
    finally:
        holder.join()


def test_concurrent_writers_lose_no_click(site):
    """8 app threads post 25 clicks each on two links, all at once."""
    statuses = []
    start = threading.Barrier(8)

    def writer(number):
        client = Client()
        start.wait()
        try:
            for i in range(25):
                url = f"https://example.com/{(number + i) % 2}"
                statuses.append(post(client, url).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [204] * 200
    assert stats.total(stats.Filters()) == 200
    assert sorted(DailyClicks.objects.values_list("clicks", flat=True)) == [100, 100]
    assert Link.objects.count() == 2


def test_click_waits_for_a_short_lock_and_is_counted(client, site, fresh_connection):
    post(client)
    with write_lock(0.5):
        started = time.monotonic()
        response = post(client)
        waited = time.monotonic() - started
    assert response.status_code == 204
    assert waited >= 0.3
    assert stats.total(stats.Filters()) == 2


@pytest.mark.slow
def test_database_locked_too_long_answers_503_quickly(client, site, fresh_connection):
    post(client)
    # A production timeout is seconds; a short one keeps the test quick.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 50")
        else:
            cursor.execute("SET lock_timeout = '50ms'")
    with write_lock(6):
        started = time.monotonic()
        response = post(client)
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert elapsed < 4
    assert stats.total(stats.Filters()) == 1


def test_retries_of_a_locked_sqlite_write_count_the_click_once(site, monkeypatch):
    """The retry loop: two 'database is locked' failures, then success."""
    from django.db import OperationalError

    real = inbox._insert
    failures = []

    def flaky(*args):
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("database is locked")
        return real(*args)

    monkeypatch.setattr(inbox, "_insert", flaky)
    response = post(Client())
    assert response.status_code == 204
    assert len(failures) == 2
    assert stats.total(stats.Filters()) == 1


def test_unreachable_database_answers_503_fast(client, site, fresh_connection):
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/directory/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    started = time.monotonic()
    response = post(client)  # caches are empty: even the site lookup fails
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert elapsed < 2


def test_connection_killed_mid_life_answers_503(client, site, fresh_connection):
    assert post(client).status_code == 204
    if connection.vendor == "sqlite":
        connection.connection.close()
    else:
        pid = connection.connection.info.backend_pid
        settings = connection.settings_dict
        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            autocommit=True,
        ) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
    started = time.monotonic()
    response = post(client)
    assert response.status_code == 503
    assert time.monotonic() - started < 2


def test_unreachable_cache_costs_queries_not_clicks_or_pages(client, site, settings):
    """The cache only saves queries: with it down, pages keep their tracker and
    clicks are still recorded, read from and written to the database."""
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    settings.WAGTAIL_OUTBOUND_CACHE = "down"
    page = client.get("/")
    assert page.status_code == 200
    assert b"data-outbound-collect" in page.content
    assert [post(client).status_code for _ in range(3)] == [204, 204, 204]
    assert stats.total(stats.Filters()) == 3
