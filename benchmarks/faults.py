"""Exactness under faults: beacons against gunicorn while its workers and the
aggregator are killed with SIGKILL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h4bench \\
        python -m benchmarks.faults --beacons 10000 --workers 2

Python threads post ``--beacons`` beacons, each to a URL of its own, to
gunicorn serving the site with ``WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST =
False``, so that only the ``outbound_aggregate --forever`` worker counts. In
order, each at a fixed number of beacons sent, with requests in flight:

1. at 15 %: every gunicorn worker is killed (SIGKILL); the master starts new ones;
2. at 35 %: the aggregator, started beforehand and idle until then, takes its
   first batch (``--batch-size`` 100,000: every click pending, about a third
   of the beacons, none counted yet) and is killed (SIGKILL) as soon as it has
   claimed it, while it counts; once its database session is gone the
   counters must not have moved (the batch rolled back). A new aggregator
   takes over for the rest of the run;
3. at 60 %: every (new) gunicorn worker is killed again.

Once every beacon is answered (or lost with its connection) and the inbox is
empty, each beacon's URL must be counted exactly once if it was answered 204,
never if it was answered otherwise, and at most once if it got no answer (in
flight at a kill); the counters must have grown by exactly the sum of those,
and every roll-up must equal the daily counters (per site, span and period).

The aggregator runs the real command in ``python -m benchmarks.faults
aggregator``, which only adds two lines on stdout: ``CLAIMED n`` once a batch
is taken (its ``DELETE ... RETURNING`` done, its transaction open) and
``COMMITTED n`` once it is counted. A kill is mid-batch when the process died
between the two (checked; the step is repeated, up to 3 times, when the kill
came too late).

tests/test_ingestion_faults.py runs the same at a small scale on the test
database.
"""

import argparse
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict

from .clients import NO_ANSWER, Senders, beacon
from .server import ROOT, Gunicorn, database_url

APP_NAME = "outbound-fault-aggregator"
DOMAINS = 40


# -- the aggregator process ------------------------------------------------


def aggregator_main(batch_size, interval):
    """``outbound_aggregate --forever``, after a ``go`` line on stdin, saying
    ``CLAIMED n`` and ``COMMITTED n`` for each batch."""
    import django

    django.setup()
    from django.core.management import call_command

    from wagtail_outbound import aggregation, inbox

    claim, batch = inbox.claim, aggregation._batch

    def claim_and_say(limit, using):
        rows = claim(limit, using)
        if rows:
            print(f"CLAIMED {len(rows)}", flush=True)
        return rows

    def batch_and_say(size, using, exclusive):
        counted = batch(size, using, exclusive)
        if counted:
            print(f"COMMITTED {counted}", flush=True)
        return counted

    inbox.claim, aggregation._batch = claim_and_say, batch_and_say
    print("READY", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    call_command(
        "outbound_aggregate", forever=True, batch_size=batch_size, interval=interval
    )


class Aggregator:
    """An aggregator process: ``ready()`` once booted, counting after ``go()``.
    Its stderr goes to ``log_path`` (a temporary file without one)."""

    def __init__(self, env, batch_size, interval=0.2, log_path=None):
        if log_path:
            self.log = open(log_path, "a+b")  # noqa: SIM115
        else:
            self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.faults",
                "aggregator",
                f"--batch-size={batch_size}",
                f"--interval={interval}",
            ],
            cwd=ROOT,
            env={**os.environ, **env, "PGAPPNAME": APP_NAME, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)  # end of output: the process is gone

    def errors(self):
        """The end of what it wrote on stderr."""
        self.log.flush()
        try:
            self.log.seek(0)
            return self.log.read()[-3000:].decode(errors="replace")
        except OSError:
            return "(log not readable)"

    def wait_for(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"aggregator: no {prefix} line") from None
            if line is None:
                raise RuntimeError(
                    f"aggregator exited before {prefix}:\n{self.errors()}"
                )
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def ready(self, timeout=120):
        self.wait_for("READY", timeout)
        return self

    def go(self):
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def check_alive(self):
        if self.process.poll() is not None:
            raise RuntimeError(
                f"aggregator exited ({self.process.returncode}):\n{self.errors()}"
            )

    def kill(self):
        """SIGKILL; returns the lines it printed that were not read yet."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        rest = []
        while (line := self.lines.get(timeout=10)) is not None:
            rest.append(line)
        self.seen += rest
        return rest

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- what the database holds -------------------------------------------------


def totals():
    """(clicks in the daily counters, in the day roll-up, pending clicks)."""
    from django.db.models import Sum

    from wagtail_outbound.models import DailyClicks, PendingClick, SiteClicks

    daily = DailyClicks.objects.aggregate(t=Sum("clicks"))["t"] or 0
    rolled = SiteClicks.objects.filter(span="d").aggregate(t=Sum("clicks"))["t"] or 0
    return int(daily), int(rolled), PendingClick.objects.count()


def overflow_clicks():
    """Clicks counted under the overflow link ("other", beyond the daily
    budget of new keys): none of the run's may be."""
    from django.db.models import Sum

    from wagtail_outbound.models import OTHER_URL, DailyClicks

    rows = DailyClicks.objects.filter(link__url=OTHER_URL)
    return int(rows.aggregate(t=Sum("clicks"))["t"] or 0)


def rollup_mismatches():
    """Every (roll-up, site, span, period) whose clicks differ from the sum
    of the daily counters in that period; empty when all agree."""
    from django.db.models import Sum

    from wagtail_outbound.models import ROLLUPS, DailyClicks
    from wagtail_outbound.periods import Span

    days = (
        DailyClicks.objects.values_list("site_id", "day")
        .annotate(clicks=Sum("clicks"))
        .order_by()
    )
    expected = defaultdict(int)
    for site_id, day, clicks in days:
        for span in Span:
            expected[site_id, span.value, span.first_day(day)] += int(clicks)
    mismatches = []
    for model in ROLLUPS:
        rows = (
            model.objects.values_list("site_id", "span", "day")
            .annotate(clicks=Sum("clicks"))
            .order_by()
        )
        actual = {(s, span, day): int(c) for s, span, day, c in rows if c}
        for span in model.spans:
            keys = {k for k in (*expected, *actual) if k[1] == span.value}
            for key in sorted(keys):
                if expected.get(key, 0) != actual.get(key, 0):
                    mismatches.append(
                        [
                            model.__name__,
                            *map(str, key),
                            expected.get(key, 0),
                            actual.get(key, 0),
                        ]
                    )
    return mismatches


def counted_per_url(domains):
    from django.db.models import Sum

    from wagtail_outbound.models import DailyClicks

    rows = (
        DailyClicks.objects.filter(link__domain__in=domains)
        .values_list("link__url")
        .annotate(clicks=Sum("clicks"))
        .order_by()
    )
    return {url: int(clicks) for url, clicks in rows}


def aggregator_session():
    """The aggregator's PostgreSQL session: state, transaction id, the start
    of its statement; None on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, backend_xid::text, left(query, 60) "
            "FROM pg_stat_activity WHERE application_name = %s",
            [APP_NAME],
        )
        return [list(row) for row in cursor.fetchall()]


def session_gone(timeout=60):
    """Until PostgreSQL has ended the killed aggregator's session (it rolls
    back once it notices the client is gone); at once on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    began = time.monotonic()
    deadline = began + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [APP_NAME],
            )
            if cursor.fetchone()[0] == 0:
                return time.monotonic() - began
            time.sleep(0.02)
    raise TimeoutError("the killed aggregator's session is still there")


def wait_inbox_empty(aggregator, timeout):
    from wagtail_outbound.models import PendingClick

    deadline = time.monotonic() + timeout
    while PendingClick.objects.exists():
        aggregator.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{PendingClick.objects.count()} clicks still pending; "
                f"aggregator said {aggregator.seen[-5:]}:\n{aggregator.errors()}"
            )
        time.sleep(0.2)


# -- the run -------------------------------------------------------------------


def run(
    *,
    beacons,
    env,
    workers=2,
    threads=8,
    paths=("/",),
    batch_size=100_000,
    log_path=None,
    time_limit=900,
    say=print,
):
    """Run the scenario against a server and aggregators started with ``env``
    (DJANGO_SETTINGS_MODULE, DATABASE_URL: the database this process's Django
    connection uses; the server must not aggregate). Gives up (TimeoutError)
    after ``time_limit`` seconds. Returns the figures; ``result["exact"]``
    says whether every check passed."""
    from django.db import connection

    from wagtail_outbound.urlnorm import normalise_url

    token = secrets.token_hex(4)
    domains = [f"fault-{token}-{n}.example.com" for n in range(DOMAINS)]
    urls = [f"https://{domains[i % DOMAINS]}/beacon/{i}" for i in range(beacons)]
    stored = [normalise_url(url)[0] for url in urls]
    started_at = time.monotonic()
    deadline = started_at + time_limit

    def left():
        return max(1.0, deadline - time.monotonic())

    timeline = []

    def event(what):
        timeline.append([round(time.monotonic() - started_at, 2), what])
        say(f"{timeline[-1][0]:7.2f} s  {what}")

    daily_before, rolled_before, pending_before = totals()
    overflow_before = overflow_clicks()
    if pending_before:
        raise RuntimeError(f"{pending_before} clicks pending before the run")
    result = {
        "database": {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(
            connection.vendor, connection.vendor
        ),
        "beacons": beacons,
        "workers": workers,
        "sender_threads": threads,
        "batch_size": batch_size,
        "worker_kills": [],
        "aggregator_kills": [],
        "timeline": timeline,
    }
    server = senders = None
    aggregators = []

    def new_aggregator():
        aggregators.append(Aggregator(env, batch_size, log_path=log_path))
        return aggregators[-1]

    try:
        # Booted while gunicorn starts: the first claims at once when told to,
        # the second takes over as soon as the first is killed.
        first, second = new_aggregator(), new_aggregator()
        server = Gunicorn(workers, env, log_path=log_path, timeout=left(), preload=True)
        first.ready(left())
        second.ready(left())
        event(f"gunicorn {server.worker_pids()} and 2 idle aggregators ready")
        origin = server.base
        senders = Senders(
            server.port,
            beacons,
            lambda i: beacon(origin, urls[i], paths[i % len(paths)], f"Beacon {i}"),
            threads=threads,
        ).start()

        def kill_workers(round_, fraction):
            gate = int(beacons * fraction)
            senders.wait_started(gate, timeout=left())
            in_flight = senders.started - senders.done
            killed = server.kill_workers()
            event(f"killed workers {killed} ({in_flight} beacons unanswered)")
            new = server.wait_workers(exclude=killed, timeout=left())
            event(f"gunicorn started workers {new}")
            result["worker_kills"].append(
                {
                    "round": round_,
                    "at_beacon": gate,
                    "pids": killed,
                    "unanswered_at_kill": in_flight,
                    "replaced_by": new,
                }
            )

        kill_workers(1, 0.15)

        # The aggregator's batch: every click pending, none counted yet.
        gate = int(beacons * 0.35)
        senders.hold(gate)
        senders.wait_started(gate, timeout=left())
        aggregator, spare = first, second
        for attempt in range(1, 4):
            counted_before, _rolled, pending = totals()
            aggregator.go()
            claimed = int(aggregator.wait_for("CLAIMED", timeout=left()).split()[1])
            holding = aggregator_session()
            rest = aggregator.kill()
            senders.release()
            committed = any(line.startswith("COMMITTED") for line in rest)
            event(
                f"killed the aggregator {aggregator.process.pid} after it claimed "
                f"{claimed} clicks ({'after' if committed else 'before'} its commit)"
            )
            session_seconds = session_gone(timeout=left())
            counted_after, _rolled, pending_after = totals()
            kill = {
                "attempt": attempt,
                "pending_before": pending,
                "claimed": claimed,
                "committed_before_kill": committed,
                "mid_batch": not committed,
                "counters_unchanged": counted_after == counted_before,
                "pending_after": pending_after,
                "session_ended_after_s": round(session_seconds, 3),
                # PostgreSQL: its session just before the kill (a transaction
                # id: it had deleted the batch, uncommitted).
                "session_at_kill": holding,
            }
            result["aggregator_kills"].append(kill)
            event(f"after the kill: {kill}")
            aggregator = spare
            if not committed:
                break
            spare = new_aggregator().ready(left())  # too late: once more
        aggregator.go()  # the replacement, for the rest of the run
        event(f"aggregator {aggregator.process.pid} counting")

        kill_workers(2, 0.60)

        senders.wait_done(timeout=left())
        event("every beacon answered or lost")
        sent_seconds = time.monotonic() - started_at
        wait_inbox_empty(aggregator, timeout=left())
        event("inbox empty")
    finally:
        if senders is not None:
            senders.release()
        for process in (*aggregators, server):
            if process is not None:
                process.stop()

    daily_after, rolled_after, pending_after = totals()
    counted = counted_per_url(domains)
    tally = senders.tally()
    wrong = []
    lost_counted = 0
    for i, status in enumerate(senders.statuses):
        clicks = counted.pop(stored[i], 0)
        if status == 204:
            ok = clicks == 1
        elif status == NO_ANSWER:
            ok = clicks in (0, 1)
            lost_counted += clicks
        else:
            ok = clicks == 0
        if not ok:
            wrong.append([i, status, clicks])
    answered_204 = tally.get(204, 0)
    no_answer = tally.get(NO_ANSWER, 0)
    added = daily_after - daily_before
    mismatches = rollup_mismatches()
    result.update(
        {
            "statuses": {str(k): v for k, v in sorted(tally.items(), key=str)},
            "answered_204": answered_204,
            "no_answer": no_answer,
            "no_answer_counted": lost_counted,
            "counted": added,
            "rollup_day_added": rolled_after - rolled_before,
            "overflow_added": overflow_clicks() - overflow_before,
            "pending_after": pending_after,
            "beacons_counted_wrongly": len(wrong),
            "wrong_examples": wrong[:10],
            "unknown_urls_counted": len(counted),
            "rollup_mismatches": len(mismatches),
            "rollup_mismatch_examples": mismatches[:10],
            "send_seconds": round(sent_seconds, 1),
            "seconds": round(time.monotonic() - started_at, 1),
        }
    )
    kills = result["aggregator_kills"]
    result["exact"] = (
        not wrong
        and not counted
        and pending_after == 0
        and not mismatches
        and answered_204 <= added <= beacons
        and added == answered_204 + lost_counted
        and (no_answer > 0 or added == answered_204)
        and added == rolled_after - rolled_before
        and kills[-1]["mid_batch"]
        and all(
            k["counters_unchanged"]
            for k in result["aggregator_kills"]
            if k["mid_batch"]
        )
        and len(result["worker_kills"]) == 2
    )
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults")
    sub = parser.add_subparsers(dest="command")
    agg = sub.add_parser("aggregator", help="(internal) the aggregator process")
    agg.add_argument("--batch-size", type=int, default=100_000)
    agg.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--beacons", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--log", default="/tmp/wagtail-outbound-faults.log")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    if args.command == "aggregator":
        aggregator_main(args.batch_size, args.interval)
        return None

    from .common import setup_django

    setup_django()
    from django.db import connection

    from wagtail_outbound.aggregation import aggregate

    aggregate()  # what earlier runs left pending
    env = {
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
        "DATABASE_URL": database_url(connection.settings_dict),
        "BENCH_AGGREGATE_ON_REQUEST": "0",
        # Every beacon has a URL of its own: no daily budget of new keys.
        "BENCH_MAX_NEW_KEYS": "100000000",
    }
    connection.close()
    result = run(
        beacons=args.beacons,
        env=env,
        workers=args.workers,
        threads=args.threads,
        paths=[f"/blog/post-{n}/" for n in range(25)],
        log_path=args.log,
        say=lambda message: print(message, file=sys.stderr, flush=True),
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
