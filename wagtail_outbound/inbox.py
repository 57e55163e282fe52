"""The inbox: clicks accepted by the collect endpoint, not counted yet.

Appending is one ``INSERT`` of one row into a table that has no unique
constraint and no index but its primary key, so concurrent requests never
wait on one another's rows; the click is durable once the endpoint answers.
Claiming removes a batch in the statement that reads it
(``DELETE ... RETURNING``, with ``SKIP LOCKED`` on PostgreSQL), inside the
aggregator's transaction: counted and removed together, or neither.
"""

import datetime
import time

from django.db import OperationalError, connections, transaction
from django.utils import timezone

from .models import PendingClick
from .periods import click_day

# SQLite allows one writer at a time: an append that finds the database
# locked past its busy time-out waits and tries again, so nothing accepted is
# lost.
LOCK_RETRIES = 8
COLUMNS = ("site_id", "received", "day", "url", "domain", "text", "path", "event")
COLUMNS = (*COLUMNS, "category")


def append(site_id, beacon, received=None):
    """Store one validated :class:`~.beacon.Beacon` of a site."""
    table = PendingClick._meta.db_table
    connection = connections[PendingClick.objects.db]
    sql = (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) "  # noqa: S608 (names are ours)
        f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    )
    received = received or timezone.now()
    params = [
        site_id,
        connection.ops.adapt_datetimefield_value(received),
        connection.ops.adapt_datefield_value(click_day(received)),
        beacon.url,
        beacon.domain,
        beacon.text,
        beacon.source_path,
        beacon.event,
        beacon.category,
    ]
    for attempt in range(LOCK_RETRIES):
        try:
            _insert(connection, sql, params)
            return
        except OperationalError as error:
            if (
                "locked" not in str(error)
                or attempt == LOCK_RETRIES - 1
                or connection.in_atomic_block
            ):
                raise
            time.sleep(0.01 * 2**attempt)


def _insert(connection, sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def claim(limit, using):
    """Remove up to ``limit`` of the oldest pending clicks and return them as
    ``[(id, site_id, day, url, domain, text, path, event, category)]``.

    Call it in a transaction: the rows come back if it rolls back. Rows that
    another aggregator holds are skipped (PostgreSQL), so no click is taken
    twice; SQLite has one writer at a time anyway.
    """
    assert transaction.get_connection(using).in_atomic_block
    connection = connections[using]
    table = PendingClick._meta.db_table
    skip = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN ("  # noqa: S608 (names are ours)
            f"SELECT id FROM {table} ORDER BY id LIMIT %s{skip}) "
            f"RETURNING id, {', '.join(c for c in COLUMNS if c != 'received')}",
            [limit],
        )
        rows = cursor.fetchall()
    rows.sort()
    return [(row[0], row[1], _date(row[2]), *row[3:]) for row in rows]


def _date(value):
    # SQLite returns dates as text.
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def oldest(using):
    """When the oldest pending click was received, or None."""
    return (
        PendingClick.objects.using(using)
        .order_by("id")
        .values_list("received", flat=True)
        .first()
    )
