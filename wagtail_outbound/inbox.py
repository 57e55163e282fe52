"""The inbox: clicks accepted by the collect endpoint, not counted yet.

Appending is one ``INSERT`` into a table that has no unique constraint and no
index but its primary key, so concurrent requests never wait on one another's
rows; the click is durable once the endpoint answers. Requests of one process
that append at the same time (threaded servers) share one ``INSERT`` and one
commit: on a small server, the commit's flush to disk is what a click costs.
Claiming removes a batch in the statement that reads it
(``DELETE ... RETURNING``, with ``SKIP LOCKED`` on PostgreSQL), inside the
aggregator's transaction: counted and removed together, or neither.
"""

import datetime
import threading
import time

from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    OperationalError,
    connections,
    transaction,
)
from django.utils import timezone

from .models import PendingClick
from .periods import click_day

# SQLite allows one writer at a time: an append that finds the database
# locked past its busy time-out waits and tries again, so nothing accepted is
# lost.
LOCK_RETRIES = 8
COLUMNS = ("site_id", "received", "day", "url", "domain", "text", "path", "event")
COLUMNS = (*COLUMNS, "category")


class _Waiting:
    """One request's row, waiting for its group's commit."""

    def __init__(self, params):
        self.params = params
        self.done = threading.Event()
        self.error = None
        self.leads = False


class _Group:
    """Group commit: the threads of a process that append at the same time
    share one multi-row ``INSERT``. The first one writes for all that are
    waiting (including itself), then hands over to the next waiting thread;
    each request answers only once its own row is committed. A process that
    serves one request at a time (sync workers) writes each row alone."""

    lock = threading.Lock()
    queue = []
    writing = False


def append(site_id, beacon, received=None):
    """Store one validated :class:`~.beacon.Beacon` of a site; return once it
    is committed."""
    connection = connections[PendingClick.objects.db]
    received = received or timezone.now()
    mine = _Waiting(
        [
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
    )
    if connection.in_atomic_block:  # a caller's transaction: its own commit
        _write(connection, [mine])
    else:
        with _Group.lock:
            _Group.queue.append(mine)
            mine.leads = not _Group.writing
            _Group.writing = True
        if not mine.leads:
            mine.done.wait()
        if mine.leads:
            _lead(connection)
    if mine.error is not None:
        raise mine.error


def _lead(connection):
    """Write every row waiting now, then let the next waiting thread lead."""
    with _Group.lock:
        group, _Group.queue = _Group.queue, []
    try:
        _write(connection, group)
    finally:
        with _Group.lock:
            if _Group.queue:
                _Group.queue[0].leads = True
                _Group.queue[0].done.set()
            else:
                _Group.writing = False
        for waiting in group:
            waiting.done.set()


def _write(connection, group):
    """Insert ``group``'s rows in one statement; rows the database refuses
    are tried alone, so one bad row fails only its own request."""
    try:
        _insert_retrying(connection, [waiting.params for waiting in group])
    except (DataError, IntegrityError) as error:
        if len(group) == 1:
            group[0].error = error
            return
        for waiting in group:
            _write(connection, [waiting])
    except DatabaseError as error:
        for waiting in group:
            waiting.error = type(error)(*error.args)


def _insert(connection, rows):
    table = PendingClick._meta.db_table
    values = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {values}",  # noqa: S608
            [value for row in rows for value in row],
        )


def _insert_retrying(connection, rows):
    for attempt in range(LOCK_RETRIES):
        try:
            return _insert(connection, rows)
        except OperationalError as error:
            if (
                "locked" not in str(error)
                or attempt == LOCK_RETRIES - 1
                or connection.in_atomic_block
            ):
                raise
            time.sleep(0.01 * 2**attempt)


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
