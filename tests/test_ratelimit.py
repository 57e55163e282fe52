"""The per-client rate limit of the collect endpoint."""

import json
import logging
import multiprocessing
import time
import uuid

import pytest
import redis
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import Client, RequestFactory

from wagtail_outbound import ratelimit, stats
from wagtail_outbound.models import DailyClicks, Link

REDIS_URL = "redis://127.0.0.1:6379/0"
FLOODER = "203.0.113.7"
NEIGHBOUR = "198.51.100.2"


def click_body(url):
    return json.dumps({"url": url, "source": "http://testserver/"})


def post(client, url, address, **headers):
    return client.post(
        "/outbound/collect/",
        data=click_body(url),
        content_type="text/plain",
        HTTP_ORIGIN="http://testserver",
        REMOTE_ADDR=address,
        **headers,
    )


def clicks_on(url):
    return sum(
        DailyClicks.objects.filter(link__url=url).values_list("clicks", flat=True)
    )


def delete_redis_keys(prefix):
    """Remove this test's keys only: other test runs may share the server."""
    server = redis.Redis.from_url(REDIS_URL)
    keys = list(server.scan_iter(f"{prefix}*"))
    if keys:
        server.delete(*keys)


def windows(started, ended, seconds):
    """Number of fixed windows a run between two instants touched."""
    return int(ended // seconds) - int(started // seconds) + 1


@pytest.fixture(params=["locmem", "redis"])
def rate_cache(request, settings):
    """A cache for the rate limit: local memory, or Redis as several app servers
    would share it. Redis keys get a prefix of their own and are deleted after."""
    prefix = f"wagtail-outbound-test-{uuid.uuid4().hex}"
    if request.param == "redis":
        backend = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    else:
        backend = {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": prefix,
        }
    settings.CACHES = {**settings.CACHES, "outbound": backend}
    settings.WAGTAIL_OUTBOUND_CACHE = "outbound"
    yield request.param
    caches["outbound"].close()
    if request.param == "redis":
        delete_redis_keys(prefix)


# Parsing the setting and finding the client


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60/m", (60, 60)),
        ("1000/h", (1000, 3600)),
        ("10/30s", (10, 30)),
        (" 5 / d ", (5, 86400)),
        ((3, 7), (3, 7)),
        (None, None),
    ],
)
def test_rate_setting_forms(value, expected):
    assert ratelimit.parse_rate(value) == expected


@pytest.mark.parametrize("value", ["60", "60/w", "0/m", "-1/m", (0, 60), (5,), "x"])
def test_invalid_rate_setting_is_refused(value):
    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_rate(value)


def test_client_is_remote_addr_without_proxy_header(settings):
    request = RequestFactory().post(
        "/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.0.0.9"
    )
    assert ratelimit.client_address(request) == "192.0.2.1"


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("192.0.2.50", 1, "192.0.2.50"),
        # A client may prepend anything: only what the proxy appended counts.
        ("6.6.6.6, 192.0.2.50", 1, "192.0.2.50"),
        ("6.6.6.6, 192.0.2.50, 10.0.0.2", 2, "192.0.2.50"),
        ("192.0.2.50", 3, "192.0.2.50"),
        ("", 1, "10.0.0.1"),
    ],
)
def test_client_behind_trusted_proxies(settings, forwarded, proxies, expected):
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.WAGTAIL_OUTBOUND_TRUSTED_PROXIES = proxies
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert ratelimit.client_address(request) == expected


def test_counter_key_reveals_no_address_and_changes_every_window(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "5/m"
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.77")
    ratelimit.retry_after(request, now=600.0)
    ratelimit.retry_after(request, now=660.0)
    keys = [key for key in caches["default"]._cache if "wagtail_outbound:rate" in key]
    assert len(keys) == 2
    assert not any("192.0.2.77" in key or "192-0-2-77" in key for key in keys)


def test_limit_resets_with_the_next_window(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "2/m"
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")
    assert [ratelimit.retry_after(request, now=600.0 + i) for i in range(3)] == [
        0,
        0,
        58,
    ]
    assert ratelimit.retry_after(request, now=660.0) == 0


# Through the endpoint


def test_over_the_limit_is_429_with_retry_after_and_stores_nothing(
    client, site, settings
):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "3/m"
    statuses = [
        post(client, f"https://example.com/{i}", FLOODER).status_code for i in range(3)
    ]
    assert statuses == [204, 204, 204]
    response = post(client, "https://example.com/over", FLOODER)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert not Link.objects.filter(url="https://example.com/over").exists()
    assert stats.total_clicks() == 3


def test_default_limit_is_sixty_a_minute(client, site, settings, monkeypatch):
    del settings.WAGTAIL_OUTBOUND_RATE_LIMIT
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)
    statuses = [
        post(client, "https://example.com/", FLOODER).status_code for _ in range(61)
    ]
    assert statuses == [204] * 60 + [429]


def test_no_limit_when_setting_is_none(client, site, settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None
    statuses = {
        post(client, "https://example.com/", FLOODER).status_code for _ in range(80)
    }
    assert statuses == {204}
    assert stats.total_clicks() == 80


def test_clients_behind_a_proxy_are_limited_separately(client, site, settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "2/h"
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"
    proxy = "10.0.0.1"
    first = [
        post(client, "https://a.example/", proxy, HTTP_X_FORWARDED_FOR="192.0.2.1")
        for _ in range(3)
    ]
    second = [
        post(client, "https://b.example/", proxy, HTTP_X_FORWARDED_FOR="192.0.2.2")
        for _ in range(2)
    ]
    # Forging extra entries on the left does not give a fresh counter.
    forged = post(
        client,
        "https://a.example/",
        proxy,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1",
    )
    assert [r.status_code for r in first] == [204, 204, 429]
    assert [r.status_code for r in second] == [204, 204]
    assert forged.status_code == 429


def test_rate_limit_fails_open_when_its_cache_is_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    settings.WAGTAIL_OUTBOUND_CACHE = "down"
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "1/h"
    with pytest.raises(redis.exceptions.ConnectionError):
        caches["down"].get("probe")
    request = RequestFactory().post("/", REMOTE_ADDR=FLOODER)
    assert [ratelimit.retry_after(request) for _ in range(3)] == [0, 0, 0]


def test_flood_from_one_client_records_at_most_the_limit(
    client, site, settings, rate_cache
):
    """10,000 requests from one address; a neighbour keeps clicking meanwhile."""
    limit, period = 50, 3600
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = (limit, period)
    flood_statuses = []
    neighbour_statuses = []
    started = time.time()
    for i in range(10_000):
        flood_statuses.append(
            post(client, "https://flood.example/", FLOODER).status_code
        )
        if i % 250 == 0:
            neighbour_statuses.append(
                post(client, f"https://ok.example/{i}", NEIGHBOUR).status_code
            )
    elapsed = time.time() - started
    spanned = windows(started, time.time(), period)
    accepted = flood_statuses.count(204)
    print(
        f"\n[{rate_cache}] 10,000 flood requests + {len(neighbour_statuses)} "
        f"neighbour clicks in {elapsed:.1f}s: flood accepted {accepted}, "
        f"429 {flood_statuses.count(429)}, recorded {clicks_on('https://flood.example/')}"
    )
    assert set(flood_statuses) == {204, 429}
    assert limit <= accepted <= limit * spanned
    assert clicks_on("https://flood.example/") == accepted
    assert neighbour_statuses == [204] * 40
    assert DailyClicks.objects.filter(link__domain="ok.example").count() == len(
        neighbour_statuses
    )


def _app_server(requests, queue):
    """One app server: its own process, its own Django state, the shared cache."""
    # Connections inherited from the parent belong to it: drop them without
    # closing the parent's socket, and start from a clean connection state.
    for conn in connections.all(initialized_only=True):
        conn.connection = None
        conn.connect()
    client = Client()
    errors = []
    handler = logging.Handler()
    handler.emit = lambda record: errors.append(record.exc_text or record.getMessage())
    logging.getLogger("wagtail_outbound").addHandler(handler)
    statuses = [
        post(client, "https://shared.example/", FLOODER).status_code
        for _ in range(requests)
    ]
    queue.put((statuses, errors[:3]))
    connections.close_all()


def _run_app_servers(count, requests):
    connections.close_all()  # each forked process opens its own connection
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    servers = [
        context.Process(target=_app_server, args=(requests, queue))
        for _ in range(count)
    ]
    for server in servers:
        server.start()
    results = [queue.get(timeout=120) for _ in servers]
    for server in servers:
        server.join(timeout=30)
        assert server.exitcode == 0
    errors = [error for _, run_errors in results for error in run_errors]
    assert not errors, errors
    return [status for run, _ in results for status in run]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_limit_holds_across_app_servers_sharing_redis(site, settings):
    limit, period = 40, 3600
    prefix = f"wagtail-outbound-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        },
    }
    settings.WAGTAIL_OUTBOUND_CACHE = "shared"
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = (limit, period)
    started = time.time()
    try:
        statuses = _run_app_servers(count=2, requests=150)
    finally:
        delete_redis_keys(prefix)
    accepted = statuses.count(204)
    assert set(statuses) == {204, 429}
    assert limit <= accepted <= limit * windows(started, time.time(), period)
    assert clicks_on("https://shared.example/") == accepted


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_local_memory_cache_cannot_share_the_limit_between_processes(site, settings):
    """Why the README asks for a shared cache: each process counts on its own."""
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = (40, 3600)
    statuses = _run_app_servers(count=2, requests=60)
    assert statuses.count(204) > 40
