"""Clicks for tests, in one place: record them, post them, read them back.

- :func:`click` counts clicks for a site and day through the real write path
  (``recording.record_click``), as imports and seeding do, without the endpoint;
- :func:`send` posts a :func:`beacon` to the collect endpoint, as a browser;
- :func:`clicks_on` reads how many clicks a URL (or every URL) has;
- :func:`labels` lists event and category labels, as counting them does, for
  tests that write counters directly.
"""

import json

from django.db.models import Sum

from wagtail_outbound import aggregation
from wagtail_outbound.beacon import Beacon
from wagtail_outbound.models import DailyClicks
from wagtail_outbound.recording import record_click

COLLECT = "/outbound/collect/"
# Headless Chromium's own user agent is a bot to the filter; visitors are not.
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def click(
    site,
    url,
    times=1,
    *,
    day=None,
    text="",
    source="/",
    page_id=None,
    event="",
    category="",
):
    """Count ``times`` clicks on ``url`` from the path ``source`` of ``site``
    on ``day`` (today by default).

    The beacon is built as is, not parsed: tests may store what the endpoint
    would refuse (markup in a URL) to prove the reports never rely on it.
    """
    beacon = Beacon(
        url=url,
        domain=url.split("/")[2].split(":")[0],
        text=text,
        source_host=getattr(site, "hostname", ""),
        source_path=source,
        page_id=page_id,
        event=event,
        category=category,
    )
    for _ in range(times):
        record_click(site, beacon, day=day)


def beacon(url="https://example.com/a", source="http://testserver/", **fields):
    """A beacon body as the tracker sends it."""
    return json.dumps({"url": url, "source": source, **fields})


def send(client, data=None, *, count=True, **headers):
    """POST a beacon to the collect endpoint as a browser on testserver would,
    then count what is pending (``count=False`` leaves it in the inbox)."""
    headers = {"HTTP_ORIGIN": "http://testserver", "HTTP_USER_AGENT": BROWSER} | headers
    response = client.post(
        COLLECT,
        data=beacon() if data is None else data,
        content_type="text/plain",
        **headers,
    )
    if count:
        aggregation.aggregate()
    return response


def clicks_on(url=None):
    """The clicks stored for ``url`` (for every URL by default), pending ones
    counted first. Read from the daily counters, not through the read API."""
    aggregation.aggregate()
    counters = DailyClicks.objects.all()
    if url is not None:
        counters = counters.filter(link__url=url)
    return counters.aggregate(clicks=Sum("clicks"))["clicks"] or 0


def labels(site, day, events=(), categories=()):
    """The ``Label`` rows that counting clicks with these events and
    categories on ``day`` creates (the report's menus read labels only of the
    kinds a site has)."""
    from wagtail_outbound.models import Label

    Label.objects.bulk_create(
        [
            *(Label(site=site, kind="event", value=v, first_day=day) for v in events),
            *(
                Label(site=site, kind="category", value=v, first_day=day)
                for v in categories
            ),
        ],
        ignore_conflicts=True,
    )


def in_content(site, url, *pages, where="body", status=None, **check):
    """The ``Link`` of ``url`` held by ``pages`` of ``site``, as the link
    inventory records it (``Placement`` rows, first seen ten days ago), and
    with ``status`` (a ``Health``) the link checker's answer (``LinkCheck``,
    checked now, with ``check``'s fields: ``http_status``, ``final_url``,
    ``permanent``...). Clicks on the same URL count for the same link."""
    from datetime import timedelta

    from django.utils import timezone

    from wagtail_outbound.models import Link, LinkCheck, Placement, fingerprint

    link = Link.objects.filter(url_hash=fingerprint(url)).first()
    if link is None:
        domain = url.split("/")[2].split(":")[0]
        link = Link.objects.create(url=url, url_hash=fingerprint(url), domain=domain)
    now = timezone.now()
    seen = now - timedelta(days=10)
    for page in pages:
        Placement.objects.create(
            site=site,
            page_id=page.pk,
            link=link,
            where=where,
            first_seen=seen,
            last_seen=now,
        )
    if pages:
        Link.objects.filter(pk=link.pk).update(first_seen=seen, last_seen=now)
    if status is not None:
        LinkCheck.objects.update_or_create(
            link=link, defaults={"status": status, "checked_at": now, **check}
        )
    return link
