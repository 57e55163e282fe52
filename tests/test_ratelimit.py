"""The per-client rate limit of the collect endpoint."""

import logging
import multiprocessing
import time
import uuid

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import Client, RequestFactory

from tests.factories import beacon, clicks_on, send
from wagtail_outbound import ratelimit, stats

REDIS_URL = "redis://127.0.0.1:6379/0"
FLOODER = "203.0.113.7"
NEIGHBOUR = "198.51.100.2"


def post(client, url, address, **headers):
    return send(client, beacon(url), count=False, REMOTE_ADDR=address, **headers)


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
        # Ports, brackets and spellings some proxies (Azure, IIS) write.
        ("6.6.6.6, 192.0.2.50:50123", 1, "192.0.2.50"),
        ("6.6.6.6,[2001:DB8::7]:443", 1, "2001:db8::7"),
        ("::ffff:192.0.2.50", 1, "192.0.2.50"),
        (" , 192.0.2.50 ,", 1, "192.0.2.50"),
        ("192.0.2.50, not-an-address", 1, "unknown"),
        ("unknown", 1, "unknown"),
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


def test_limit_slides_into_the_next_window(settings):
    """Sliding window: the previous window's count weighs on the next one in
    proportion to its overlap with the last 60 seconds. (With fixed windows
    this client got a fresh allowance at 660.0 and Retry-After was 58.)"""
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "2/m"
    patient = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")
    # The refused third request counts too: 3 in window 10 leave room for one
    # request once 3 * (60 - t) / 60 + 1 <= 2, 40 s into window 11.
    assert [ratelimit.retry_after(patient, now=600.0 + i) for i in range(3)] == [
        0,
        0,
        98,
    ]
    assert ratelimit.retry_after(patient, now=700.0) == 0
    # A client retrying early is refused, and that try counts as well.
    impatient = RequestFactory().post("/", REMOTE_ADDR="192.0.2.2")
    for i in range(3):
        ratelimit.retry_after(impatient, now=600.0 + i)
    assert ratelimit.retry_after(impatient, now=660.0) == 60
    assert ratelimit.retry_after(impatient, now=720.0) == 0


def test_retry_after_is_when_a_request_fits_again(settings):
    """Whatever the counts, waiting Retry-After seconds is enough, and waiting
    one second less is not."""
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "5/m"
    cases = 0
    for previous in range(0, 9):
        for current in range(0, 9):
            for start in (0.0, 10.0, 30.5, 59.0):
                address = f"198.18.{previous}.{current * 10 + int(start) % 7}"
                caches["default"].clear()
                base = 6000.0
                for i in range(previous):
                    request = RequestFactory().post("/", REMOTE_ADDR=address)
                    ratelimit.retry_after(request, now=base - 60 + i * 0.001)
                for i in range(current):
                    request = RequestFactory().post("/", REMOTE_ADDR=address)
                    ratelimit.retry_after(request, now=base + i * 0.001)
                request = RequestFactory().post("/", REMOTE_ADDR=address)
                now = base + start
                wait = ratelimit.retry_after(request, now=now)
                if not wait:
                    continue
                cases += 1
                assert 1 <= wait <= 120
                counters = dict(caches["default"]._cache)
                expiries = dict(caches["default"]._expire_info)
                if wait > 1:
                    too_early = ratelimit.retry_after(request, now=now + wait - 1)
                    assert too_early, (previous, current, start, wait)
                    # Undo that early try: it counted against the client.
                    caches["default"]._cache.clear()
                    caches["default"]._cache.update(counters)
                    caches["default"]._expire_info.clear()
                    caches["default"]._expire_info.update(expiries)
                assert ratelimit.retry_after(request, now=now + wait) == 0, (
                    previous,
                    current,
                    start,
                    wait,
                )
    assert cases > 100


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
    # The sliding window may ask to wait into the next window: at most two.
    assert 1 <= int(response["Retry-After"]) <= 120
    assert clicks_on("https://example.com/over") == 0
    assert stats.total(stats.Filters()) == 3


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
    assert stats.total(stats.Filters()) == 80


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


@pytest.mark.slow
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
    neighbour_rows = stats.urls(stats.Filters(domain="ok.example")).top()
    assert len(neighbour_rows) == len(neighbour_statuses)
    assert sum(row["clicks"] for row in neighbour_rows) == len(neighbour_statuses)


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


# Who counts as one client


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 192.0.2.1 ", "192.0.2.1"),
        ("192.0.2.1:51234", "192.0.2.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:0db8:0000::0001", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("[::ffff:c000:201]:80", "192.0.2.1"),
        ("fe80::1%eth0", "fe80::1"),
        ("[fe80::1%25en0]:8080", "fe80::1"),
        ('"[2001:db8::1]:80"', "2001:db8::1"),
        ('for="[2001:db8::1]:80";proto=https', "2001:db8::1"),
        ("For=192.0.2.1", "192.0.2.1"),
        ("", None),
        ("unknown", None),
        ("for=_hidden", None),
        ("not an address", None),
        ("999.1.1.1", None),
        ("010.0.0.1", None),
        ("192.0.2.1:80:90", None),
        ("[2001:db8::1", None),
        ("example.com:80", None),
        ("2001:db8::1" + "0" * 200, None),
    ],
)
def test_address_spellings(value, expected):
    assert ratelimit.normalise_address(value) == expected


@pytest.mark.parametrize(
    ("remote_addr", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),  # a dual-stack socket's IPv4 client
        ("2001:DB8::0:1", "2001:db8::1"),
        ("", "unknown"),
        ("garbage", "unknown"),
    ],
)
def test_remote_addr_is_normalised(remote_addr, expected):
    request = RequestFactory().post("/", REMOTE_ADDR=remote_addr)
    assert ratelimit.client_address(request) == expected


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("unknown", "unknown"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::", "2001:db8:1:2::/64"),
    ],
)
def test_ipv6_clients_are_counted_by_network(address, key):
    assert ratelimit.client_key(address) == key


@pytest.mark.parametrize("prefix", [-1, 129, "64", 64.0, None, True])
def test_invalid_ipv6_prefix_is_refused(settings, prefix):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT_IPV6_PREFIX = prefix
    with pytest.raises(ImproperlyConfigured):
        ratelimit.client_key("2001:db8::1")


def accepted(addresses, now=1_800_000_000.0):
    """How many of these requests (one per address, in order) are accepted."""
    return [
        ratelimit.retry_after(RequestFactory().post("/", REMOTE_ADDR=a), now=now) == 0
        for a in addresses
    ]


def test_one_ipv6_network_shares_one_allowance(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "3/h"
    same_64 = ["2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:abcd::9"]
    assert accepted([*same_64, "2001:db8:1:2:ffff:ffff:ffff:ffff"]) == [
        True,
        True,
        True,
        False,
    ]
    # The next /64, and IPv4 clients, have allowances of their own.
    assert accepted(["2001:db8:1:3::1", "2001:db8:1:1::1", "192.0.2.1"]) == [True] * 3


def test_ipv6_prefix_setting(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "1/h"
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT_IPV6_PREFIX = 128
    assert accepted(["2001:db8::1", "2001:db8::2", "2001:db8::1"]) == [
        True,
        True,
        False,
    ]
    caches["default"].clear()
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT_IPV6_PREFIX = 48
    assert accepted(["2001:db8:1:2::1", "2001:db8:1:ff::1"]) == [True, False]


def test_every_spelling_of_an_address_shares_its_allowance(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "3/h"
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT_IPV6_PREFIX = 128
    assert accepted(
        ["2001:db8::1", "2001:DB8:0::0:1", "2001:0db8::0001%eth0", "2001:db8::1"]
    ) == [True, True, True, False]


def test_ipv4_mapped_ipv6_is_its_ipv4_client(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "2/h"
    assert accepted(["192.0.2.1", "::ffff:192.0.2.1", "::ffff:c000:201"]) == [
        True,
        True,
        False,
    ]
    # Not one /64 for the whole IPv4 internet.
    assert accepted(["::ffff:192.0.2.2", "::ffff:198.51.100.3"]) == [True, True]


def test_ports_in_the_proxy_header_do_not_make_new_clients(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "2/h"
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"
    results = [
        ratelimit.retry_after(
            RequestFactory().post(
                "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.9:{port}"
            ),
            now=1_800_000_000.0,
        )
        == 0
        for port in (40001, 40002, 40003)
    ]
    assert results == [True, True, False]


def test_unparsable_addresses_share_one_allowance(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "2/h"
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"

    def from_header(value):
        request = RequestFactory().post(
            "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=value
        )
        return ratelimit.retry_after(request, now=1_800_000_000.0) == 0

    assert [from_header(f"junk-{i}") for i in range(4)] == [True, True, False, False]
    assert from_header("x" * 5000) is False
    assert from_header("192.0.2.1") is True  # real clients are unaffected


def test_only_the_end_of_a_long_proxy_header_is_read(settings, monkeypatch):
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.WAGTAIL_OUTBOUND_TRUSTED_PROXIES = 1
    parsed = []
    original = ratelimit.normalise_address
    monkeypatch.setattr(
        ratelimit,
        "normalise_address",
        lambda value: parsed.append(value) or original(value),
    )
    huge = "6.6.6.6, " * 200_000 + "192.0.2.9"  # 1.8 MB
    request = RequestFactory().post("/", HTTP_X_FORWARDED_FOR=huge)
    assert ratelimit.client_address(request) == "192.0.2.9"
    assert [value.strip() for value in parsed] == ["192.0.2.9"]
    # With more trusted proxies than the kept end holds, the leftmost entry
    # kept is a whole one, never an address cut in two ("3.0.113.1").
    settings.WAGTAIL_OUTBOUND_TRUSTED_PROXIES = 10_000
    chain = ", ".join(["203.0.113.1"] * 1000)
    request = RequestFactory().post("/", HTTP_X_FORWARDED_FOR=chain)
    assert ratelimit.client_address(request) == "203.0.113.1"
    assert all(len(value) <= ratelimit.MAX_ENTRY_CHARS for value in parsed)


# Sliding window


def test_burst_across_a_window_boundary_gets_the_limit_not_twice(settings):
    """Fixed windows let 2 x limit through: limit at the end of a window and
    limit again at the start of the next one."""
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "10/m"
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")
    boundary = 1_800_000_000.0 - 1_800_000_000.0 % 60
    end_of_window = [boundary - 1 + i / 100 for i in range(10)]
    start_of_next = [boundary + i / 100 for i in range(10)]
    results = [
        ratelimit.retry_after(request, now=now) == 0
        for now in end_of_window + start_of_next
    ]
    assert results == [True] * 10 + [False] * 10


def test_allowance_comes_back_as_the_previous_window_slides_out(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "10/m"
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")
    boundary = 1_800_000_000.0 - 1_800_000_000.0 % 60
    assert all(
        ratelimit.retry_after(request, now=boundary - 10) == 0 for _ in range(10)
    )
    # Half-way through the next window, half of those 10 still count.
    results = [ratelimit.retry_after(request, now=boundary + 30) for _ in range(6)]
    assert results[:5] == [0] * 5
    # 10 * (60 - t) / 60 + 6 + 1 <= 10 from t = 42.
    assert results[5] == 12


def test_boundary_burst_through_the_endpoint(
    client, site, settings, rate_cache, monkeypatch
):
    """The same, with 2 x limit beacons in 2 seconds over a boundary, on the
    local-memory cache and on Redis."""
    limit = 20
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = (limit, 60)
    boundary = 1_800_000_000.0 - 1_800_000_000.0 % 60
    statuses = []
    for i in range(2 * limit):
        monkeypatch.setattr(ratelimit, "_now", lambda i=i: boundary - 1 + i / limit)
        statuses.append(post(client, "https://burst.example/", FLOODER).status_code)
    assert statuses == [204] * limit + [429] * limit
    assert clicks_on("https://burst.example/") == limit


def test_one_ipv6_network_through_the_endpoint(client, site, settings, rate_cache):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "3/h"
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"
    statuses = [
        post(
            client,
            f"https://v6.example/{i}",
            "10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"[2001:db8:7:7::{i:x}]:{40000 + i}",
        ).status_code
        for i in range(1, 6)
    ]
    other_network = post(
        client,
        "https://v6.example/other",
        "10.0.0.1",
        HTTP_X_FORWARDED_FOR="2001:db8:7:8::1",
    )
    assert statuses == [204, 204, 204, 429, 429]
    assert other_network.status_code == 204


# When the cache fails


class FailingCache(LocMemCache):
    """A local-memory cache whose server can be gone (``broken``): then every
    call the rate limit makes raises, after ``delay`` seconds (a client
    time-out) when the class is told to hang."""

    calls = 0
    delay = 0.0
    broken = True

    def _call(self, name, *args, **kwargs):
        if type(self).broken:
            type(self).calls += 1
            if self.delay:
                time.sleep(self.delay)
                raise TimeoutError("Timeout reading from socket")
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379.\nRefused.")
        return getattr(super(), name)(*args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def failing_cache(settings, monkeypatch):
    FailingCache.calls = 0
    FailingCache.delay = 0.0
    FailingCache.broken = True
    settings.CACHES = {
        **settings.CACHES,
        "failing": {"BACKEND": "tests.test_ratelimit.FailingCache"},
    }
    settings.WAGTAIL_OUTBOUND_CACHE = "failing"
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "1/h"
    clock = Clock()
    monkeypatch.setattr(ratelimit, "_clock", clock)
    yield clock
    FailingCache.delay = 0.0
    FailingCache.broken = True


def rate_limit_warnings(caplog):
    return [
        record
        for record in caplog.records
        if record.name == "wagtail_outbound.ratelimit"
        and record.levelno >= logging.WARNING
    ]


def test_after_a_cache_error_the_cache_is_left_alone_for_a_while(failing_cache, caplog):
    request = RequestFactory().post("/", REMOTE_ADDR=FLOODER)
    assert ratelimit.retry_after(request) == 0
    assert FailingCache.calls == 1
    for _ in range(100):
        failing_cache.now += 0.25  # 25 s in all
        assert ratelimit.retry_after(request) == 0
    assert FailingCache.calls == 1
    failing_cache.now += 5.1  # 30 s after the failure: try again
    assert ratelimit.retry_after(request) == 0
    assert FailingCache.calls == 2
    assert ratelimit.retry_after(request) == 0
    assert FailingCache.calls == 2


def test_a_cache_outage_logs_one_line_per_interval(failing_cache, caplog, settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT_CACHE_RETRY_SECONDS = 10
    request = RequestFactory().post("/", REMOTE_ADDR=FLOODER)
    caplog.set_level(logging.INFO, logger="wagtail_outbound")
    for _ in range(600):  # one minute at 10 requests a second
        ratelimit.retry_after(request)
        failing_cache.now += 0.1
    warnings = rate_limit_warnings(caplog)
    assert 5 <= len(warnings) <= 6
    assert FailingCache.calls == len(warnings)
    for record in warnings:
        assert record.exc_info is None and record.exc_text is None
        assert "\n" not in record.getMessage()
        assert "'failing'" in record.getMessage()
        assert "ConnectionError" in record.getMessage()


def test_a_hanging_cache_delays_one_request_per_interval(failing_cache, caplog):
    FailingCache.delay = 0.2  # the cache client's socket time-out
    request = RequestFactory().post("/", REMOTE_ADDR=FLOODER)
    started = time.perf_counter()
    assert ratelimit.retry_after(request) == 0
    first = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(50):
        failing_cache.now += 0.1
        assert ratelimit.retry_after(request) == 0
    others = time.perf_counter() - started
    assert first >= 0.2
    assert others < 0.2  # 50 requests without waiting for the cache
    assert FailingCache.calls == 1
    assert len(rate_limit_warnings(caplog)) == 1
    assert "TimeoutError" in rate_limit_warnings(caplog)[0].getMessage()


def test_the_limit_applies_again_when_the_cache_is_back(failing_cache, caplog):
    request = RequestFactory().post("/", REMOTE_ADDR=FLOODER)
    caplog.set_level(logging.INFO, logger="wagtail_outbound")
    assert ratelimit.retry_after(request) == 0
    FailingCache.broken = False  # repaired
    assert ratelimit.retry_after(request) == 0  # not asked before 30 s
    failing_cache.now += 31
    # 1/h: the second request waits until the first has slid out, two hours.
    assert [ratelimit.retry_after(request, now=7200.0) for _ in range(2)] == [0, 7200]
    assert FailingCache.calls == 1
    messages = [record.getMessage() for record in caplog.records]
    assert len(rate_limit_warnings(caplog)) == 1
    assert "wagtail-outbound: rate-limit cache 'failing' is back" in messages


def test_a_new_cache_setting_forgets_the_outage(failing_cache, settings):
    request = RequestFactory().post("/", REMOTE_ADDR=FLOODER)
    assert ratelimit.retry_after(request) == 0
    settings.WAGTAIL_OUTBOUND_CACHE = "default"
    assert [ratelimit.retry_after(request, now=7200.0) for _ in range(2)] == [0, 7200]


def test_endpoint_keeps_counting_while_the_cache_hangs(client, site, failing_cache):
    FailingCache.delay = 0.2
    statuses = [
        post(client, "https://calm.example/", FLOODER).status_code for _ in range(5)
    ]
    assert statuses == [204] * 5  # over the 1/h limit, but the limit is off
    assert FailingCache.calls == 1
    assert clicks_on("https://calm.example/") == 5


def test_documented_redis_time_out_options_are_accepted(settings):
    """The README's OPTIONS for Django's RedisCache: a server that does not
    answer costs at most the connect time-out."""
    settings.CACHES = {
        **settings.CACHES,
        "timed": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    settings.WAGTAIL_OUTBOUND_CACHE = "timed"
    request = RequestFactory().post("/", REMOTE_ADDR=FLOODER)
    started = time.perf_counter()
    assert [ratelimit.retry_after(request) for _ in range(20)] == [0] * 20
    assert time.perf_counter() - started < 2
