"""Freshness: the time from a 204 answer to the click's appearance in
``wagtail_outbound.stats.total(stats.Filters())``, read by this process, which never
counts pending clicks itself (it runs with WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST
off), so it sees what the server's background runs achieved.

    BENCH_AGGREGATE_ON_REQUEST=0 python -m benchmarks.freshness --port 8000

Started by benchmarks/ingestion.py against its running server. Three cases:

- steady: one beacon every 1/--rate seconds for --seconds seconds, then as
  many more seconds (--tail) so that the clicks measured are followed by
  traffic like any click of a busy site (the server counts only when a
  request arrives). Clicks are not told apart in a total: the k-th 204 (by
  answer time) is taken to appear when the total first exceeds its value
  before the run by k (the inbox is counted in id order, and a click is
  answered right after its insert commits).
- isolated: single beacons --isolated-gap seconds apart (a quiet site).
- burst: --burst beacons as fast as 8 threads are answered, then nothing. The
  last clicks of the burst stay pending: no request comes to start a run.
  They are counted when something reads a report (``stats`` and the admin
  reports count pending clicks first) or by a worker; the probe waits
  --burst-wait seconds, then reads the total as a report does (with the
  catch-up) and reports how long that read took and whether it was complete.
"""

import argparse
import json
import statistics
import threading
import time

from .clients import Senders, beacon, post
from .common import setup_django


def percentile(values, fraction):
    values = sorted(values)
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(fraction * (len(values) - 1))))
    return values[index]


class Poller(threading.Thread):
    """Reads the total every ``interval`` seconds; keeps (time, total) at
    each change."""

    def __init__(self, interval):
        super().__init__(daemon=True)
        self.interval = interval
        self.changes = []
        self.reads = 0
        self.read_seconds = []
        self._halt = threading.Event()

    def run(self):
        from django.db import connection

        from wagtail_outbound import stats

        last = None
        while not self._halt.is_set():
            began = time.monotonic()
            total = stats.total(stats.Filters())
            now = time.monotonic()
            self.reads += 1
            self.read_seconds.append(now - began)
            if total != last:
                self.changes.append((now, total))
                last = total
            self._halt.wait(self.interval)
        connection.close()

    def stop(self):
        self._halt.set()
        self.join()

    def first_reaching(self, total, after=0.0):
        for when, value in self.changes:
            if value >= total and when >= after:
                return when
        return None


def ages(answered, base, poller):
    """Seconds from each answer to the click's appearance (None: never)."""
    result = []
    for rank, answered_at in enumerate(sorted(answered), start=1):
        appeared = poller.first_reaching(base + rank)
        result.append(None if appeared is None else max(0.0, appeared - answered_at))
    return result


def summary(values, label):
    seen = [v for v in values if v is not None]
    return {
        f"{label}_clicks": len(values),
        f"{label}_never_seen": len(values) - len(seen),
        f"{label}_median_s": round(statistics.median(seen), 3) if seen else None,
        f"{label}_p99_s": round(percentile(seen, 0.99), 3) if seen else None,
        f"{label}_max_s": round(max(seen), 3) if seen else None,
    }


def current_total():
    from wagtail_outbound import stats

    return stats.total(stats.Filters())


def steady(port, origin, rate, seconds, tail, poller):
    base = current_total()
    answered, measured_until = [], None
    began = time.monotonic()
    measured_until = began + seconds
    index = 0
    while True:
        due = began + index / rate
        if due > measured_until + tail:
            break
        time.sleep(max(0.0, due - time.monotonic()))
        status = post(port, beacon(origin, f"https://fresh-{index % 40}.example.com/"))
        if status == 204 and due <= measured_until:
            answered.append(time.monotonic())
        index += 1
    time.sleep(tail)  # nothing more is sent: only clicks answered before
    return summary(ages(answered, base, poller), "steady")


def isolated(port, origin, count, gap, poller):
    values = []
    for index in range(count):
        time.sleep(gap)
        base = current_total()
        status = post(port, beacon(origin, f"https://alone-{index}.example.com/"))
        if status != 204:
            continue
        answered = time.monotonic()
        deadline = answered + gap
        while time.monotonic() < deadline:
            appeared = poller.first_reaching(base + 1, after=answered - 1)
            if appeared is not None:
                break
            time.sleep(0.01)
        values.append(None if appeared is None else max(0.0, appeared - answered))
    return summary(values, "isolated")


def burst(port, origin, count, wait, poller):
    from django.test.utils import override_settings

    from wagtail_outbound import stats
    from wagtail_outbound.models import PendingClick

    base = current_total()
    senders = Senders(
        port,
        count,
        lambda i: beacon(origin, f"https://burst-{i % 40}.example.com/{i % 5}"),
        threads=8,
    ).start()
    senders.wait_done(timeout=600)
    ok = sum(status == 204 for status in senders.statuses)
    last = max(
        at
        for at, status in zip(senders.answered_at, senders.statuses, strict=True)
        if status == 204
    )
    time.sleep(max(0.0, last + wait - time.monotonic()))
    seen = current_total() - base
    pending = PendingClick.objects.count()
    appeared = poller.first_reaching(base + ok, after=last - 1)
    # What a report sees: it counts pending clicks before reading.
    with override_settings(WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST=True):
        began = time.monotonic()
        total = stats.total(stats.Filters())
        read = time.monotonic() - began
    return {
        "burst_clicks": ok,
        "burst_seconds": round(last - min(a for a in senders.answered_at if a), 2),
        "burst_wait_s": wait,
        "burst_seen_without_catch_up": seen,
        "burst_pending_after_wait": pending,
        "burst_last_click_seen_after_s": None
        if appeared is None
        else round(max(0.0, appeared - last), 3),
        "burst_report_read_s": round(read, 3),
        "burst_report_read_complete": total - base == ok,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.freshness")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--tail", type=float, default=6.0)
    parser.add_argument("--isolated", type=int, default=6)
    parser.add_argument("--isolated-gap", type=float, default=3.0)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--burst-wait", type=float, default=8.0)
    parser.add_argument("--poll", type=float, default=0.02)
    args = parser.parse_args(argv)
    setup_django()
    from wagtail_outbound import conf

    if conf.get("WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST"):
        raise SystemExit("run with BENCH_AGGREGATE_ON_REQUEST=0: a reader that counts")
    origin = f"http://127.0.0.1:{args.port}"
    poller = Poller(args.poll)
    poller.start()
    try:
        result = {"poll_interval_s": args.poll, "steady_rate": args.rate}
        result.update(
            steady(args.port, origin, args.rate, args.seconds, args.tail, poller)
        )
        result.update(
            isolated(args.port, origin, args.isolated, args.isolated_gap, poller)
        )
        result.update(burst(args.port, origin, args.burst, args.burst_wait, poller))
        result["reads"] = poller.reads
        result["read_median_ms"] = round(
            statistics.median(poller.read_seconds) * 1000, 2
        )
    finally:
        poller.stop()
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
