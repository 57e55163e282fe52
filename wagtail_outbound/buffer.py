"""Opt-in write buffer for the collect endpoint.

Off by default: every click is written before the endpoint answers. With
``WAGTAIL_OUTBOUND_BUFFER_CLICKS = 500`` each server process keeps identical
clicks together in memory and writes them, in one transaction on a background
thread, when it holds 500 clicks or the oldest is
``WAGTAIL_OUTBOUND_BUFFER_SECONDS`` old, and when the process exits normally
(a graceful restart loses nothing). A crash or a kill loses what the process
holds: at most that many clicks, or that many seconds of them, per process.
A batch the database refuses stays held and is written with the next one.
"""

import atexit
import logging
import threading
from collections import Counter

from django.db import DatabaseError, connections
from django.utils import timezone

from . import conf
from .recording import record_click, record_clicks

logger = logging.getLogger(__name__)


class ClickBuffer:
    """Clicks held by this process: ``{(site, day, beacon): count}``."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = Counter()
        self.held = 0
        self.timer = None
        self.writers = set()

    def add(self, site, beacon, day=None):
        key = (site, day or timezone.localdate(), beacon)
        with self.lock:
            self.pending[key] += 1
            self.held += 1
            if self.held < conf.get("WAGTAIL_OUTBOUND_BUFFER_CLICKS"):
                if self.timer is None:
                    self.timer = threading.Timer(
                        conf.get("WAGTAIL_OUTBOUND_BUFFER_SECONDS"), self.write_later
                    )
                    self.timer.daemon = True
                    self.timer.start()
                return
        # Full: the request answers now, a thread writes the batch.
        self.write_later()

    def write_later(self):
        writer = threading.Thread(target=self._write_in_thread, daemon=True)
        with self.lock:
            self.writers.add(writer)
        writer.start()

    def _write_in_thread(self):
        try:
            self.flush()
        finally:
            with self.lock:
                self.writers.discard(threading.current_thread())
            connections.close_all()  # this thread's own connections

    def _take(self):
        with self.lock:
            pending, self.pending, self.held = self.pending, Counter(), 0
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
        return pending

    def flush(self):
        """Write every held click in one transaction; on failure they stay held."""
        pending = self._take()
        if not pending:
            return
        try:
            record_clicks(
                [(site, beacon, day, n) for (site, day, beacon), n in pending.items()]
            )
        except DatabaseError:
            logger.exception("wagtail-outbound could not write buffered clicks")
            with self.lock:
                self.pending.update(pending)
                self.held += pending.total()

    def close(self):
        """At exit: wait for batches being written, then write the rest."""
        with self.lock:
            writers = list(self.writers)
        for writer in writers:
            writer.join()
        self.flush()


clicks = ClickBuffer()
atexit.register(clicks.close)


def record(site, beacon):
    """Count a click from the collect endpoint: now, or through the buffer
    when ``WAGTAIL_OUTBOUND_BUFFER_CLICKS`` is set."""
    if conf.get("WAGTAIL_OUTBOUND_BUFFER_CLICKS"):
        clicks.add(site, beacon)
    else:
        record_click(site, beacon)
