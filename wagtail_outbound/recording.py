"""The write path: one click becomes one atomic increment of its daily
counter and of the roll-ups the reports read, in the same transaction."""

import threading
import time

from django.db import IntegrityError, OperationalError, connections, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .models import (
    DailyClicks,
    Link,
    LinkClicks,
    SiteClicks,
    SourcePage,
    Span,
    fingerprint,
)

# SQLite allows one writer at a time; a writer that finds the database locked
# waits and retries so no accepted click is lost.
LOCK_RETRIES = 8


# SQLite's busy handler polls with sleeps of up to 100 ms, so threads of one
# process that wait for its write lock idle long after it is free. They queue
# on this lock instead; other processes still wait through SQLite's timeout.
_sqlite_writer = threading.Lock()


def record_click(site, beacon, day=None):
    """Count one click described by a validated :class:`~.beacon.Beacon`."""
    record_clicks([(site, beacon, day or timezone.localdate(), 1)])


def record_clicks(entries):
    """Count ``[(site, beacon, day, clicks)]`` in one transaction: all or none
    (the write buffer's batches)."""
    if connections[DailyClicks.objects.db].vendor == "sqlite":
        with _sqlite_writer:
            return _record(entries)
    return _record(entries)


def _record(entries):
    for attempt in range(LOCK_RETRIES):
        try:
            with transaction.atomic():
                for site, beacon, day, clicks in entries:
                    _increment(site, beacon, day, clicks)
                return
        except OperationalError as error:
            if "locked" not in str(error) or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.01 * 2**attempt)


def _increment(site, beacon, day, clicks):
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
    _add_to_rollups(site.pk, day, link.pk, clicks)
    counters = DailyClicks.objects.filter(**key)
    if counters.update(clicks=F("clicks") + clicks):
        return
    try:
        with transaction.atomic():
            DailyClicks.objects.create(clicks=clicks, **key)
    except IntegrityError:
        # Another request created the row between our UPDATE and INSERT.
        counters.update(clicks=F("clicks") + clicks)


def _add_to_rollups(site_id, day, link_id, clicks=1):
    """Add ``clicks`` to the day and month rows of both roll-ups, one upsert
    statement per table (INSERT ... ON CONFLICT works on SQLite and PostgreSQL)."""
    month = day.replace(day=1)
    with connections[DailyClicks.objects.db].cursor() as cursor:
        for model, keys, values in (
            (SiteClicks, ["site_id"], [site_id]),
            (LinkClicks, ["site_id", "link_id"], [site_id, link_id]),
        ):
            table = model._meta.db_table
            columns = ", ".join([*keys, "span", "day", "clicks"])
            placeholders = ", ".join(["%s"] * (len(keys) + 3))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names are ours)
                f"VALUES ({placeholders}), ({placeholders}) "
                f"ON CONFLICT ({', '.join([*keys, 'span', 'day'])}) "
                f"DO UPDATE SET clicks = {table}.clicks + EXCLUDED.clicks",
                [*values, Span.DAY, day, clicks, *values, Span.MONTH, month, clicks],
            )


def rebuild_rollups(using=None):
    """Recompute every roll-up from the daily counters.

    Call it after writing :class:`~.models.DailyClicks` in bulk (imports,
    seeding, demo data) or after deleting counters, in one transaction::

        from wagtail_outbound.recording import rebuild_rollups
        rebuild_rollups()
    """
    using = using or DailyClicks.objects.db
    connection = connections[using]
    counters = DailyClicks.objects.using(using)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for model, keys in (
            (SiteClicks, ["site_id"]),
            (LinkClicks, ["site_id", "link_id"]),
        ):
            model.objects.using(using).all().delete()
            for span, period in ((Span.DAY, F("day")), (Span.MONTH, TruncMonth("day"))):
                rows = (
                    counters.annotate(period=period)
                    .values(*keys, "period")
                    .annotate(total=Sum("clicks"), span_value=Value(span))
                    .values_list(*keys, "span_value", "period", "total")
                    .order_by()
                )
                sql, params = rows.query.sql_with_params()
                columns = ", ".join([*keys, "span", "day", "clicks"])
                cursor.execute(
                    f"INSERT INTO {model._meta.db_table} ({columns}) {sql}",
                    params,
                )
