"""Click ingestion: wrk posts beacons to the collect endpoint served by gunicorn
(2 workers), against a no-op Django view on the same server, alternating runs.
Then an exactness run: each wrk thread sends a fixed number of beacons and
stops when all are answered; the clicks added to the database must equal the
204 answers wrk counted.

    DATABASE_URL=... python -m benchmarks.ingestion --runs 3 --seconds 10
"""

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .common import database_label, setup_django

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "beacon.lua"
BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, workers, buffer):
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "benchmarks.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=HERE.parent,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "BENCH_BUFFER": str(buffer),
        },
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


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
    """``(clicks in the daily counters, clicks in the roll-up)``, read in one
    statement so that both come from the same snapshot."""
    from django.db import connection

    from wagtail_outbound.models import DailyClicks, SiteClicks

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT SUM(clicks) FROM {DailyClicks._meta.db_table}), "
            f"(SELECT SUM(clicks) FROM {SiteClicks._meta.db_table} WHERE span = 'd')"
        )
        raw, rolled = cursor.fetchone()
    connection.close()
    return int(raw or 0), int(rolled or 0)  # PostgreSQL sums are Decimals


def settled():
    """The counts once requests still queued in the server are all written
    (and the write buffer, which waits up to 2 seconds, has flushed)."""
    counts = recorded()
    while True:
        time.sleep(3)
        later = recorded()
        if later == counts:
            return counts
        counts = later


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--quota-seconds",
        type=int,
        default=15,
        help="the exactness run sends about this many seconds of beacons",
    )
    parser.add_argument(
        "--buffer", type=int, default=0, help="WAGTAIL_OUTBOUND_BUFFER_CLICKS"
    )
    args = parser.parse_args(argv)
    setup_django()
    port = free_port()
    server = start_server(port, args.workers, args.buffer)
    base = f"http://127.0.0.1:{port}"
    targets = {"noop": f"{base}/bench/noop/", "collect": f"{base}/outbound/collect/"}
    runs = {"noop": [], "collect": []}
    try:
        for url in targets.values():  # warm-up: imports, connections, caches
            run_wrk(url, 2, args.connections, args.threads)
        for run in range(args.runs):
            order = ("noop", "collect") if run % 2 == 0 else ("collect", "noop")
            for name in order:
                before = settled()[0]
                figures = run_wrk(
                    targets[name], args.seconds, args.connections, args.threads
                )
                figures["db_clicks_added"] = settled()[0] - before
                runs[name].append(figures)
        before, before_rolled = settled()
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
    finally:
        # A graceful stop: buffered workers write what they hold on exit.
        server.terminate()
        server.wait(timeout=60)
    after, after_rolled = recorded()

    def median(name, key):
        return round(statistics.median(run[key] for run in runs[name]), 2)

    result = {
        "database": database_label(),
        "workers": args.workers,
        "buffer": args.buffer,
        "connections": args.connections,
        "seconds": args.seconds,
        "runs": args.runs,
        "noop_rps": median("noop", "rps"),
        "collect_rps": median("collect", "rps"),
        "ratio": round(median("collect", "rps") / median("noop", "rps"), 3),
        "noop_p50_ms": median("noop", "p50_ms"),
        "noop_p99_ms": median("noop", "p99_ms"),
        "collect_p50_ms": median("collect", "p50_ms"),
        "collect_p99_ms": median("collect", "p99_ms"),
        "collect_non_204": sum(run["status_other"] for run in runs["collect"]),
        "timed_runs": runs,
        "exact_beacons_sent": quota,
        "exact_204_seen": exact["status_204"],
        "exact_other_statuses": exact["status_other"],
        "exact_db_clicks_added": after - before,
        "exact_rollup_clicks_added": after_rolled - before_rolled,
        "exact": after - before == exact["status_204"] == after_rolled - before_rolled,
        "budget_ratio": 0.5,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
