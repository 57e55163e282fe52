"""Counting the inbox: pending clicks move into the counters exactly once.

Each batch is claimed, counted and removed in one transaction, so a crash at
any point leaves every click either counted or still pending, never both.
Three things run it, none of them required:

- web requests: after an append, a background thread of the process counts
  the inbox once it is ``WAGTAIL_OUTBOUND_AGGREGATE_SECONDS`` old (one process
  at a time on PostgreSQL, through an advisory lock), and the reports and
  :mod:`.stats` count what is pending before they read;
- ``manage.py outbound_aggregate`` (``--forever`` for a worker process);
- the ``aggregate_outbound_clicks`` task of Wagtail's task framework.
"""

import logging
import threading
import time

from django.db import DataError, IntegrityError, connections, transaction

from . import conf, inbox
from .models import PendingClick
from .recording import Click, count

logger = logging.getLogger(__name__)

# pg_try_advisory_xact_lock's key for request-triggered runs ("outbound").
LOCK_KEY = 0x6F7574626F756E64


def aggregate(*, batch_size=None, max_seconds=None, exclusive=False):
    """Count pending clicks in batches until none are left, or for at most
    ``max_seconds``. Returns the number of pending clicks taken.

    With ``exclusive``, gives up at once when another exclusive run holds the
    lock (PostgreSQL), so concurrent web requests do not all aggregate.
    """
    using = PendingClick.objects.db
    size = full = batch_size or conf.get("WAGTAIL_OUTBOUND_AGGREGATE_BATCH")
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    taken = 0
    while deadline is None or time.monotonic() < deadline:
        try:
            claimed = _batch(size, using, exclusive)
        except (DataError, IntegrityError):
            # A click the database refuses must not hold back the others:
            # halve the batch until the refused click is alone, then drop it.
            if size == 1:
                _drop_oldest(using)
                taken += 1
            size = max(1, size // 2)
            continue
        if claimed is None:  # another run holds the lock
            break
        taken += claimed
        if claimed < size:
            if size == full:
                break
            size = full  # past the refused click: full batches again
    return taken


def _batch(size, using, exclusive):
    with transaction.atomic(using=using):
        if exclusive and not _try_lock(using):
            return None
        rows = inbox.claim(size, using)
        count(
            [
                Click(
                    site_id=site_id,
                    day=day,
                    url=url,
                    domain=domain,
                    text=text,
                    path=path,
                    event=event,
                    category=category,
                )
                for _id, site_id, day, url, domain, text, path, event, category in rows
            ]
        )
    return len(rows)


def _try_lock(using):
    connection = connections[using]
    if connection.vendor != "postgresql":
        return True  # SQLite: one writer at a time anyway
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return cursor.fetchone()[0]


def _drop_oldest(using):
    with transaction.atomic(using=using):
        rows = inbox.claim(1, using)
    for row in rows:
        logger.error(
            "wagtail-outbound dropped a click the database refused: %r", row[:4]
        )


def catch_up():
    """Count what is pending before a report reads, when requests aggregate.

    Bounded: a backlog larger than a few seconds' work is left to the
    background runs (reports are then that much behind)."""
    if not conf.get("WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST"):
        return
    now = time.monotonic()
    # One look per report page, not per query: this process's own appends
    # are always seen, other processes' within CATCH_UP_SECONDS.
    if not _Fresh.appended and now - _Fresh.checked < CATCH_UP_SECONDS:
        return
    _Fresh.appended = False
    if PendingClick.objects.exists():
        aggregate(max_seconds=2)
    _Fresh.checked = time.monotonic()


CATCH_UP_SECONDS = 0.5


class _Fresh:
    checked = -CATCH_UP_SECONDS
    appended = False


class _Trigger:
    """When this process last started a background run."""

    lock = threading.Lock()
    next_run = None  # the first run is due an interval after the first click
    thread = None


def after_append():
    """Start a background run in this process when one is due."""
    _Fresh.appended = True
    if not conf.get("WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST"):
        return
    now = time.monotonic()
    interval = conf.get("WAGTAIL_OUTBOUND_AGGREGATE_SECONDS")
    if _Trigger.next_run is None:
        _Trigger.next_run = now + interval
    if now < _Trigger.next_run:
        return
    with _Trigger.lock:
        if now < _Trigger.next_run or (
            _Trigger.thread is not None and _Trigger.thread.is_alive()
        ):
            return
        _Trigger.next_run = now + interval
        _Trigger.thread = threading.Thread(
            target=_run_in_background, name="wagtail-outbound-aggregate", daemon=True
        )
        _Trigger.thread.start()


def _run_in_background():
    try:
        seconds = conf.get("WAGTAIL_OUTBOUND_AGGREGATE_SECONDS")
        aggregate(exclusive=True, max_seconds=seconds)
    except Exception:  # the next run tries again; the clicks stay pending
        logger.exception("wagtail-outbound could not count pending clicks")
    finally:
        connections.close_all()  # this thread's own connections
