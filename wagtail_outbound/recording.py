"""The write path: one click becomes one atomic increment of its daily
counter and of the roll-ups the reports read, in the same transaction."""

import threading
import time
from collections import Counter

from django.db import OperationalError, connections, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone

from .models import ROLLUPS, DailyClicks, Link, SourcePage, Span, fingerprint

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
                return _write(entries)
        except OperationalError as error:
            if "locked" not in str(error) or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.01 * 2**attempt)


def _write(entries):
    """A batch costs the same few statements as one click: a lookup of its
    links and pages, and one upsert per counter table."""
    links = _links([beacon for _site, beacon, _day, _clicks in entries])
    sources = _sources([(site, beacon) for site, beacon, _day, _clicks in entries])
    counters = Counter()
    for site, beacon, day, clicks in entries:
        link_id, domain = links[beacon.url]
        source_id = sources[site.pk, beacon.source_path]
        counters[
            site.pk, day, link_id, source_id, beacon.event, beacon.category, domain
        ] += clicks
    _upsert(
        DailyClicks,
        ["site_id", "day", "link_id", "source_id", "event", "category"],
        [(*key[:6], clicks) for key, clicks in counters.items()],
    )
    for model in ROLLUPS:
        rows = Counter()
        for key, clicks in counters.items():
            site_id, day, link_id, source_id, event, category, domain = key
            keys = {
                "link_id": link_id,
                "source_id": source_id,
                "domain": domain,
                "event": event,
                "category": category,
            }
            values = tuple(keys[name] for name in model.counted_by)
            for span in model.spans:
                rows[(site_id, *values, span, span.first_day(day))] += clicks
        _upsert(
            model,
            ["site_id", *model.counted_by, "span", "day"],
            [(*key, clicks) for key, clicks in rows.items()],
        )


def _links(beacons):
    """``{url: (link id, domain)}``, creating the links not seen before; the
    latest link text wins."""
    latest = {beacon.url: beacon for beacon in beacons}
    hashes = {fingerprint(url): url for url in latest}
    found = {
        hashes[row["url_hash"]]: row
        for row in Link.objects.filter(url_hash__in=hashes).values(
            "pk", "url_hash", "domain", "text"
        )
    }
    missing = [url for url in latest if url not in found]
    if missing:
        Link.objects.bulk_create(
            [
                Link(
                    url=url,
                    url_hash=fingerprint(url),
                    domain=latest[url].domain,
                    text=latest[url].text,
                )
                for url in missing
            ],
            # Another request may create the same link in the meantime.
            ignore_conflicts=True,
        )
        created = Link.objects.filter(
            url_hash__in=[h for h, u in hashes.items() if u in missing]
        )
        for row in created.values("pk", "url_hash", "domain", "text"):
            found[hashes[row["url_hash"]]] = row
    for url, row in found.items():
        text = latest[url].text
        if text and row["text"] != text:
            Link.objects.filter(pk=row["pk"]).update(text=text)
    return {url: (row["pk"], row["domain"]) for url, row in found.items()}


def _sources(pairs):
    """``{(site id, path): source page id}``, creating the pages not seen
    before; a known page id is kept up to date."""
    latest = {(site.pk, beacon.source_path): beacon for site, beacon in pairs}
    found = {}
    for site_id in {site_id for site_id, _path in latest}:
        hashes = {fingerprint(path): path for sid, path in latest if sid == site_id}
        pages = SourcePage.objects.filter(site_id=site_id)
        fields = ("pk", "path_hash", "page_id")
        rows = list(pages.filter(path_hash__in=hashes).values_list(*fields))
        missing = set(hashes) - {path_hash for _pk, path_hash, _page in rows}
        if missing:
            SourcePage.objects.bulk_create(
                [
                    SourcePage(
                        site_id=site_id,
                        path=hashes[path_hash],
                        path_hash=path_hash,
                        page_id=latest[site_id, hashes[path_hash]].page_id,
                    )
                    for path_hash in missing
                ],
                ignore_conflicts=True,
            )
            rows += pages.filter(path_hash__in=missing).values_list(*fields)
        for pk, path_hash, page_id in rows:
            path = hashes[path_hash]
            found[site_id, path] = pk
            beacon_page = latest[site_id, path].page_id
            if beacon_page and page_id != beacon_page:
                SourcePage.objects.filter(pk=pk).update(page_id=beacon_page)
    return found


def _upsert(model, keys, rows):
    """Add ``rows`` of ``(*keys, clicks)`` to ``model``'s counters in one
    statement per 500 rows (INSERT ... ON CONFLICT works on SQLite and
    PostgreSQL). Rows go in key order, so concurrent batches lock them in the
    same order and cannot deadlock."""
    table = model._meta.db_table
    columns = ", ".join([*keys, "clicks"])
    row_sql = "(" + ", ".join(["%s"] * (len(keys) + 1)) + ")"
    rows = sorted(rows, key=lambda row: tuple(map(str, row[:-1])))
    with connections[model.objects.db].cursor() as cursor:
        for first in range(0, len(rows), 500):
            chunk = rows[first : first + 500]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names are ours)
                f"VALUES {', '.join([row_sql] * len(chunk))} "
                f"ON CONFLICT ({', '.join(keys)}) "
                f"DO UPDATE SET clicks = {table}.clicks + EXCLUDED.clicks",
                [value for row in chunk for value in row],
            )


def rebuild_rollups(using=None, only=None):
    """Recompute every roll-up from the daily counters.

    Call it after writing :class:`~.models.DailyClicks` in bulk (imports,
    seeding, demo data) or after deleting counters, in one transaction::

        from wagtail_outbound.recording import rebuild_rollups
        rebuild_rollups()

    ``only`` names the roll-ups to rebuild (a migration rebuilds the tables it
    creates, by model name).
    """
    using = using or DailyClicks.objects.db
    connection = connections[using]
    counters = DailyClicks.objects.using(using)
    models = [model for model in ROLLUPS if only is None or model.__name__ in only]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for model in models:
            model.objects.using(using).all().delete()
            keys = list(model.counted_by)
            lookups = {
                name: F(lookup)
                for name, lookup in model.counted_by.items()
                if name != lookup
            }
            for span in model.spans:
                period = {
                    Span.DAY: F("day"),
                    Span.MONTH: TruncMonth("day"),
                    Span.YEAR: TruncYear("day"),
                }[span]
                rows = (
                    counters.annotate(period=period, **lookups)
                    .values("site_id", *keys, "period")
                    .annotate(total=Sum("clicks"), span_value=Value(span))
                    .values_list("site_id", *keys, "span_value", "period", "total")
                    .order_by()
                )
                sql, params = rows.query.sql_with_params()
                columns = ", ".join(["site_id", *keys, "span", "day", "clicks"])
                cursor.execute(
                    f"INSERT INTO {model._meta.db_table} ({columns}) {sql}",
                    params,
                )
