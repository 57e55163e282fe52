"""The write path: one click becomes one atomic increment."""

import time

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from .models import DailyClicks, Link, SourcePage, fingerprint

# SQLite allows one writer at a time; a writer that finds the database locked
# waits and retries so no accepted click is lost.
LOCK_RETRIES = 8


def record_click(site, beacon, day=None):
    """Count one click described by a validated :class:`~.beacon.Beacon`."""
    day = day or timezone.localdate()
    for attempt in range(LOCK_RETRIES):
        try:
            with transaction.atomic():
                return _increment(site, beacon, day)
        except OperationalError as error:
            if "locked" not in str(error) or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.01 * 2**attempt)


def _increment(site, beacon, day):
    link, created = Link.objects.get_or_create(
        url_hash=fingerprint(beacon.url),
        defaults={"url": beacon.url, "domain": beacon.domain, "text": beacon.text},
    )
    if not created and beacon.text and link.text != beacon.text:
        # The latest link text wins.
        Link.objects.filter(pk=link.pk).update(text=beacon.text)
    source, created = SourcePage.objects.get_or_create(
        site=site,
        path_hash=fingerprint(beacon.source_path),
        defaults={"path": beacon.source_path, "page_id": beacon.page_id},
    )
    if not created and beacon.page_id and source.page_id != beacon.page_id:
        SourcePage.objects.filter(pk=source.pk).update(page_id=beacon.page_id)
    key = {
        "site": site,
        "day": day,
        "link": link,
        "source": source,
        "event": beacon.event,
        "category": beacon.category,
    }
    counters = DailyClicks.objects.filter(**key)
    if counters.update(clicks=F("clicks") + 1):
        return
    try:
        with transaction.atomic():
            DailyClicks.objects.create(clicks=1, **key)
    except IntegrityError:
        # Another request created the row between our UPDATE and INSERT.
        counters.update(clicks=F("clicks") + 1)
