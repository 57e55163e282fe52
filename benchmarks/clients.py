"""Beacons sent from Python threads (``http.client``), as Chromium sends them:
for the fault benchmark, the freshness probe and tests/test_ingestion_faults.py
(wrk drives the throughput runs)."""

import http.client
import json
import threading
import time

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
COLLECT = "/outbound/collect/"
# Statuses of beacons that got no answer: the request may or may not have
# been stored (a worker killed mid-request, a connection reset).
NO_ANSWER = "no answer"


def beacon(origin, url, path="/", text=""):
    return json.dumps(
        {"url": url, "text": text, "source": origin + path, "event": "", "category": ""}
    ).encode()


def post(port, body, timeout=60):
    """POST one beacon to 127.0.0.1:port; its status, or NO_ANSWER."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            COLLECT,
            body=body,
            headers={
                "Content-Type": "text/plain;charset=UTF-8",
                "Origin": f"http://127.0.0.1:{port}",
                "User-Agent": BROWSER,
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return NO_ANSWER
    finally:
        connection.close()


class Senders:
    """``threads`` threads that send beacons 0 .. total-1 (``body(i)``) as
    fast as they are answered, each beacon once (no retry: a tracker's
    ``sendBeacon`` does not retry either).

    ``hold(n)`` stops them from starting beacon ``n`` and later ones until
    ``release()``; beacons already started go on, so a kill right after
    ``wait_started(n)`` finds requests in flight. ``statuses[i]`` is beacon
    i's status, NO_ANSWER or None while it is pending; ``answered_at[i]`` is
    when (``time.monotonic()``) its answer arrived.
    """

    def __init__(self, port, total, body, threads=8, timeout=60):
        self.port, self.total, self.body, self.timeout = port, total, body, timeout
        self.statuses = [None] * total
        self.answered_at = [None] * total
        self.started = 0
        self.done = 0
        self._limit = total
        self._condition = threading.Condition()
        self._threads = [
            threading.Thread(target=self._run, daemon=True) for _ in range(threads)
        ]

    def start(self):
        for thread in self._threads:
            thread.start()
        return self

    def _run(self):
        while True:
            with self._condition:
                while self.started >= self._limit and self.started < self.total:
                    self._condition.wait()
                if self.started >= self.total:
                    return
                index = self.started
                self.started += 1
                self._condition.notify_all()
            status = post(self.port, self.body(index), self.timeout)
            with self._condition:
                self.statuses[index] = status
                self.answered_at[index] = time.monotonic()
                self.done += 1
                self._condition.notify_all()

    def hold(self, limit):
        with self._condition:
            self._limit = limit
            self._condition.notify_all()

    def release(self):
        self.hold(self.total)

    def _wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        with self._condition:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"beacons: {what} (started {self.started}, "
                        f"answered {self.done} of {self.total})"
                    )
                self._condition.wait(min(left, 0.5))

    def wait_started(self, count, timeout=300):
        self._wait(lambda: self.started >= count, timeout, f"{count} not started")

    def wait_done(self, timeout=600):
        self._wait(lambda: self.done >= self.total, timeout, "not all answered")
        for thread in self._threads:
            thread.join(timeout=10)

    def tally(self):
        tally = {}
        for status in self.statuses:
            tally[status] = tally.get(status, 0) + 1
        return tally
