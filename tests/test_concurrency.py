"""N concurrent clicks are exactly N in the counters, on every database."""

import http.client
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from wagtail.models import Site

from tests.factories import BROWSER, COLLECT, beacon
from wagtail_outbound import stats

CLIENTS = 16
CLICKS_PER_CLIENT = 64  # 1,024 clicks in all
# A handful of keys, so that concurrent requests fight over the same rows.
TARGETS = ["https://a.example/", "https://b.example/x", "https://c.example/"]
SOURCES = ["/", "/blog/"]


def key_of(client, number):
    return TARGETS[(client + number) % len(TARGETS)], SOURCES[number % len(SOURCES)]


def post_click(origin, url, source, text):
    """Send one beacon to the live server over HTTP, as a browser does; return
    the status or the error."""
    body = beacon(url, source=origin + source, text=text)
    connection = http.client.HTTPConnection(urlsplit(origin).netloc, timeout=60)
    try:
        connection.request(
            "POST",
            COLLECT,
            body=body.encode(),
            headers={
                "Content-Type": "text/plain;charset=UTF-8",
                "Origin": origin,
                "User-Agent": BROWSER,
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    finally:
        connection.close()


# The live server sees committed data only; the serialized rollback restores the
# root page that a transactional test's flush removes.
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_clicks_are_all_counted_exactly(live_server, settings, home):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None  # one client address sends them all
    parts = urlsplit(live_server.url)
    Site.objects.filter(is_default_site=True).update(
        hostname=parts.hostname, port=parts.port
    )
    origin = live_server.url
    statuses = Counter()
    sent = Counter()
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(number):
        start.wait()
        for click in range(CLICKS_PER_CLIENT):
            url, source = key_of(number, click)
            # Link texts differ, so "latest text wins" updates contend as well.
            status = post_click(origin, url, source, f"text {number}")
            with lock:
                statuses[status] += 1
                if status == 204:
                    sent[url, source] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    began, cpu = time.monotonic(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu = time.monotonic() - began, time.process_time() - cpu

    total = CLIENTS * CLICKS_PER_CLIENT
    print(f"\n{total} clicks, {CLIENTS} clients, {seconds:.1f} s ({cpu:.1f} s CPU)")
    assert statuses == {204: total}
    assert stats.total(stats.Filters()) == total
    stored = Counter()
    for row in stats.counters(stats.Filters()).values(
        "link__url", "source__path", "clicks"
    ):
        stored[row["link__url"], row["source__path"]] += row["clicks"]
    assert stored == sent
    assert len(stats.urls(stats.Filters()).rows) == len(TARGETS)
