"""Click ingestion: wrk posts beacons to the collect endpoint served by gunicorn
(--workers sync workers), against a no-op Django view on the same server,
alternating runs. The endpoint appends each click to the inbox (one INSERT);
the server's background runs count it (WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST,
the default).

    DATABASE_URL=... python -m benchmarks.ingestion --runs 3 --seconds 10 --workers 8

Also measured, in the same run:

- during the collect runs, every --sample-ms (50 ms) from a connection of
  its own: on PostgreSQL the active backends of the benchmark database in
  ``pg_stat_activity`` (the sampler's own excluded) and how many of them
  wait on a lock (``wait_event_type = 'Lock'``), and on both databases the
  inbox: pending clicks and the age of the oldest (SQLite: every 500 ms, a
  reader holds up its single writer);
- exactness: one wrk thread sends a fixed number of beacons and stops when
  all are answered; once the inbox is empty, the clicks added to the daily
  counters and to the day roll-up must equal the 204 answers wrk counted;
- freshness (benchmarks/freshness.py, another process that does not count
  pending clicks itself): the time from a 204 to the click's appearance in
  ``stats.total(stats.Filters())``.

Between runs this process counts what is left pending (``aggregate()``, as a
report read would), so that each run starts with an empty inbox.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from .common import database_label, setup_django
from .server import ROOT, Gunicorn

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "beacon.lua"


def to_ms(value):
    """wrk's "812.00us", "3.41ms", "1.20s" or "1.05m" in milliseconds."""
    match = re.match(r"([\d.]+)(us|ms|s|m)$", value)
    if match is None:  # "-nan" when nothing was answered
        return float("nan")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def run_wrk(url, seconds, connections, threads, quota=0):
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        # wrk gives up on an answer after 2 s by default and never counts it,
        # although the server may still record the click.
        "--timeout=60s",
        "--latency",
        f"--script={SCRIPT}",
        url,
    ]
    if not quota:
        output = subprocess.run(command, capture_output=True, text=True, check=True)
        output = output.stdout
    else:
        # A thread that has its answers stops, but wrk waits for --duration
        # anyway, with that thread's connections open: a gunicorn sync worker
        # that accepts one blocks on it until the worker timeout kills it.
        # SIGINT makes wrk print its summary and exit as soon as all are done.
        command += ["--", str(quota)]
        wrk = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        lines, done = [], 0
        for line in wrk.stdout:
            lines.append(line)
            done += line.strip() == "QUOTA_DONE"
            if done == threads and wrk.poll() is None:
                wrk.send_signal(signal.SIGINT)
        if wrk.wait() != 0:
            raise subprocess.CalledProcessError(wrk.returncode, command)
        output = "".join(lines)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": to_ms(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1)),
        "p99_ms": to_ms(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1)),
        "status_204": int(re.search(r"STATUS_204 (\d+)", output).group(1)),
        "status_other": int(re.search(r"STATUS_OTHER (\d+)", output).group(1)),
        "socket_errors": "Socket errors" in output,
    }


def recorded():
    """``(clicks in the daily counters, clicks in the day roll-up, pending
    clicks)``, read in one statement so that all come from one snapshot."""
    from django.db import connection

    from wagtail_outbound.models import DailyClicks, PendingClick, SiteClicks

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT SUM(clicks) FROM {DailyClicks._meta.db_table}), "
            f"(SELECT SUM(clicks) FROM {SiteClicks._meta.db_table} WHERE span = 'd'),"
            f" (SELECT COUNT(*) FROM {PendingClick._meta.db_table})"
        )
        raw, rolled, pending = cursor.fetchone()
    connection.close()
    return int(raw or 0), int(rolled or 0), int(pending)  # PostgreSQL: Decimals


def settled():
    """The counts once requests still queued in the server are written and
    every pending click is counted (by this process if need be, as a report
    read does): the inbox is empty and nothing changes for 2 seconds."""
    from django.db import connection

    from wagtail_outbound.aggregation import aggregate

    counts = recorded()
    while True:
        time.sleep(2)
        aggregate()
        connection.close()
        later = recorded()
        if later == counts and later[2] == 0:
            return counts
        counts = later


class Sampler(threading.Thread):
    """Samples ``pg_stat_activity`` (PostgreSQL) and the inbox while a run
    goes on, from a connection of its own."""

    def __init__(self, interval):
        super().__init__(daemon=True)
        self.interval = interval
        self.samples = 0
        self.active = 0
        self.waiting_on_locks = 0
        self.waits = Counter()
        self.peak_active = 0
        self.pending = []
        self.oldest_age = []
        self._halt = threading.Event()

    def run(self):
        from django.db import connection

        from wagtail_outbound.models import PendingClick

        table = PendingClick._meta.db_table
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            import psycopg

            settings = connection.settings_dict
            db = psycopg.connect(
                dbname=settings["NAME"],
                user=settings["USER"] or None,
                password=settings["PASSWORD"] or None,
                host=settings["HOST"] or None,
                port=settings["PORT"] or None,
                autocommit=True,
            )
        else:
            import sqlite3

            db = sqlite3.connect(
                connection.settings_dict["NAME"], timeout=5, isolation_level=None
            )
        try:
            while not self._halt.is_set():
                if postgresql:
                    rows = db.execute(
                        "SELECT wait_event_type, wait_event FROM pg_stat_activity "
                        "WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state = 'active' "
                        "AND backend_type = 'client backend'"
                    ).fetchall()
                    self.samples += 1
                    self.active += len(rows)
                    self.peak_active = max(self.peak_active, len(rows))
                    for wait_type, wait in rows:
                        self.waits[f"{wait_type}:{wait}" if wait_type else "CPU"] += 1
                        self.waiting_on_locks += wait_type == "Lock"
                    pending, age = db.execute(
                        f"SELECT count(*), extract(epoch FROM now() - min(received)) "
                        f"FROM {table}"
                    ).fetchone()
                else:
                    pending, oldest = db.execute(
                        f"SELECT count(*), min(received) FROM {table}"
                    ).fetchone()
                    age = None
                    if oldest:
                        from datetime import datetime, timezone

                        received = datetime.fromisoformat(oldest)
                        if received.tzinfo is None:
                            received = received.replace(tzinfo=timezone.utc)
                        age = (datetime.now(timezone.utc) - received).total_seconds()
                self.pending.append(int(pending))
                self.oldest_age.append(float(age or 0))
                self._halt.wait(self.interval)
        finally:
            db.close()

    def stop(self):
        self._halt.set()
        self.join()
        return self

    def figures(self):
        ages = sorted(self.oldest_age) or [0.0]
        figures = {
            "inbox_samples": len(self.pending),
            "inbox_pending_max": max(self.pending, default=0),
            "inbox_oldest_age_median_s": round(statistics.median(ages), 3),
            "inbox_oldest_age_p99_s": round(ages[int(0.99 * (len(ages) - 1))], 3),
            "inbox_oldest_age_max_s": round(ages[-1], 3),
        }
        if self.samples:
            figures.update(
                {
                    "pg_samples": self.samples,
                    "pg_active_sampled": self.active,
                    "pg_active_mean": round(self.active / self.samples, 2),
                    "pg_active_peak": self.peak_active,
                    "pg_waiting_on_locks": self.waiting_on_locks,
                    "pg_lock_wait_fraction": round(
                        self.waiting_on_locks / max(1, self.active), 4
                    ),
                    "pg_wait_events": dict(self.waits.most_common()),
                }
            )
        return figures


def freshness(port, args):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "BENCH_AGGREGATE_ON_REQUEST": "0",  # the reader must not count
        "PYTHONUNBUFFERED": "1",
    }
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.freshness",
            f"--port={port}",
            f"--rate={args.freshness_rate}",
            f"--seconds={args.freshness_seconds}",
            f"--burst={args.burst}",
            f"--poll={args.poll}",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (above 1: gthread workers)",
    )
    parser.add_argument(
        "--quota-seconds",
        type=int,
        default=15,
        help="the exactness run sends about this many seconds of beacons",
    )
    parser.add_argument("--sample-ms", type=int, default=50)
    parser.add_argument("--freshness-rate", type=float, default=20)
    parser.add_argument("--freshness-seconds", type=float, default=30)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--poll", type=float, default=None)
    parser.add_argument("--no-freshness", action="store_true")
    parser.add_argument("--log", default="/tmp/wagtail-outbound-ingestion.log")
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection

    postgresql = connection.vendor == "postgresql"
    interval = args.sample_ms / 1000 if postgresql else max(0.5, args.sample_ms / 1000)
    if args.poll is None:
        # A SQLite reader holds up the one writer while it reads.
        args.poll = 0.02 if postgresql else 0.1
    settled()  # what earlier runs left pending
    log_size = Path(args.log).stat().st_size if Path(args.log).exists() else 0
    server = Gunicorn(
        args.workers,
        {"DJANGO_SETTINGS_MODULE": "benchmarks.settings"},
        log_path=args.log,
        threads=args.worker_threads,
    )
    base = server.base
    targets = {"noop": f"{base}/bench/noop/", "collect": f"{base}/outbound/collect/"}
    runs = {"noop": [], "collect": []}
    try:
        for url in targets.values():  # warm-up: imports, connections, caches
            run_wrk(url, 2, args.connections, args.threads)
        for run in range(args.runs):
            order = ("noop", "collect") if run % 2 == 0 else ("collect", "noop")
            for name in order:
                before = settled()[0]
                sampler = Sampler(interval) if name == "collect" else None
                if sampler:
                    sampler.start()
                figures = run_wrk(
                    targets[name], args.seconds, args.connections, args.threads
                )
                if sampler:
                    figures.update(sampler.stop().figures())
                figures["db_clicks_added"] = settled()[0] - before
                runs[name].append(figures)
        before, before_rolled, _pending = settled()
        rate = statistics.median(run["rps"] for run in runs["collect"])
        quota = max(100, int(rate * args.quota_seconds))
        # One wrk thread, which sends the whole quota: a thread that is done
        # stops, but its connections stay open while other threads still run,
        # and a gunicorn sync worker that accepts one blocks until killed.
        exact = run_wrk(
            targets["collect"],
            10 * args.quota_seconds,
            args.connections,
            1,
            quota=quota,
        )
        after, after_rolled, pending = settled()
        fresh = None if args.no_freshness else freshness(server.port, args)
    finally:
        server.stop()
    with open(args.log, "rb") as log:
        log.seek(log_size)
        locked = log.read().count(b"database is locked")

    def median(name, key):
        return round(statistics.median(run[key] for run in runs[name]), 2)

    collect = runs["collect"]
    result = {
        "database": database_label(),
        "mode": "inbox",
        "workers": args.workers,
        "worker_threads": args.worker_threads,
        "connections": args.connections,
        "seconds": args.seconds,
        "runs": args.runs,
        "noop_rps": median("noop", "rps"),
        "collect_rps": median("collect", "rps"),
        "ratio": round(median("collect", "rps") / median("noop", "rps"), 3),
        "run_ratios": [
            round(c["rps"] / n["rps"], 3)
            for c, n in zip(runs["collect"], runs["noop"], strict=True)
        ],
        "noop_p50_ms": median("noop", "p50_ms"),
        "noop_p99_ms": median("noop", "p99_ms"),
        "collect_p50_ms": median("collect", "p50_ms"),
        "collect_p99_ms": median("collect", "p99_ms"),
        "collect_204": sum(run["status_204"] for run in collect),
        "collect_non_204": sum(run["status_other"] for run in collect),
        "database_is_locked_in_log": locked,
        "inbox_pending_max": max(run["inbox_pending_max"] for run in collect),
        "inbox_oldest_age_p99_s": max(run["inbox_oldest_age_p99_s"] for run in collect),
        "inbox_oldest_age_max_s": max(run["inbox_oldest_age_max_s"] for run in collect),
        "sample_interval_ms": round(interval * 1000),
        "timed_runs": runs,
        "exact_beacons_sent": quota,
        "exact_204_seen": exact["status_204"],
        "exact_other_statuses": exact["status_other"],
        "exact_db_clicks_added": after - before,
        "exact_rollup_clicks_added": after_rolled - before_rolled,
        "exact_pending_after": pending,
        "exact": after - before == exact["status_204"] == after_rolled - before_rolled
        and pending == 0,
        "freshness": fresh,
        "budget_ratio": 0.5 if postgresql else 0.3,
    }
    if postgresql:
        active = sum(run["pg_active_sampled"] for run in collect)
        waiting = sum(run["pg_waiting_on_locks"] for run in collect)
        waits = Counter()
        for run in collect:
            waits.update(run["pg_wait_events"])
        result.update(
            {
                "pg_samples": sum(run["pg_samples"] for run in collect),
                "pg_active_sampled": active,
                "pg_waiting_on_locks": waiting,
                "pg_lock_wait_fraction": round(waiting / max(1, active), 4),
                "pg_wait_events": dict(waits.most_common(8)),
            }
        )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
