"""Run every benchmark: ``make bench`` or ``python -m benchmarks``.

Prepares each database (migrate, demo pages, a seeded history of --clicks),
then measures report queries and pages, page serving, click ingestion (with
2 and 8 gunicorn workers on PostgreSQL, 2 on SQLite), exactness under faults
and the tracker, and prints one JSON line per measurement plus a summary.
Results are also written to benchmarks/results/latest.json (--output).

    python -m benchmarks                       # everything, PostgreSQL and SQLite
    python -m benchmarks --only reports --databases postgresql --clicks 200000
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from . import summary
from .common import PG_URL, SQLITE_URL

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["reports", "serving", "ingestion", "faults", "tracker", "inventory"]


def run(url, module, *args):
    """``python -m module *args`` on the database of ``url``."""
    env = {**os.environ, "DATABASE_URL": url}
    env["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, check=True)


def django(url, *command):
    run(url, "django", *command)


def measure(url, module, *args):
    env = {**os.environ, "DATABASE_URL": url or "", "PYTHONUNBUFFERED": "1"}
    env["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    output = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,  # progress and errors go to stderr as they come
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    print(module, json.dumps(result), flush=True)
    return result


def create_pg_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def seeded_clicks(url):
    env = {**os.environ, "DATABASE_URL": url}
    env["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    code = (
        "import django; django.setup(); from django.db.models import Sum; "
        "from wagtail_outbound.models import DailyClicks; "
        "print(DailyClicks.objects.aggregate(t=Sum('clicks'))['t'] or 0)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(output.stdout.strip())


def prepare(url, clicks):
    if url.startswith("postgres"):
        create_pg_database(url)
    django(url, "migrate", "--no-input", "-v0")
    django(url, "seed_demo", "--days", "1", "-v0")
    if seeded_clicks(url) != clicks:
        run(url, "benchmarks.seed", "--clicks", str(clicks), "--replace")


def inventory(url, pages):
    """The link inventory benchmark, in a database of its own beside ``url``
    (its site of ``pages`` pages is created once and kept)."""
    if url.startswith("postgres"):
        url = url + "_inventory"
        create_pg_database(url)
    else:
        url = url.removesuffix(".sqlite3") + "-inventory.sqlite3"
    django(url, "migrate", "--no-input", "-v0")
    return measure(url, "inventory", "--pages", str(pages))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=BENCHMARKS)
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=["postgresql", "sqlite"],
        default=["postgresql", "sqlite"],
    )
    parser.add_argument("--postgresql-url", default=PG_URL)
    parser.add_argument("--sqlite-url", default=SQLITE_URL)
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--sqlite-clicks", type=int, default=1_000_000)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--postgresql-workers",
        nargs="+",
        type=int,
        default=[2, 8],
        help="gunicorn workers of the ingestion runs on PostgreSQL",
    )
    parser.add_argument("--sqlite-workers", nargs="+", type=int, default=[2])
    parser.add_argument(
        "--fault-beacons",
        type=int,
        default=10_000,
        help="beacons of the fault benchmark",
    )
    parser.add_argument(
        "--inventory-pages",
        type=int,
        default=10_000,
        help="pages of the link inventory benchmark's site (a database of its own)",
    )
    parser.add_argument(
        "--output", default=str(ROOT / "benchmarks" / "results" / "latest.json")
    )
    args = parser.parse_args(argv)

    results = {}
    urls = {"postgresql": args.postgresql_url, "sqlite": args.sqlite_url}
    for database in args.databases:
        url = urls[database]
        # The inventory benchmark has a database of its own (``inventory``).
        if not args.no_seed and set(args.only) - {"inventory", "tracker"}:
            clicks = args.clicks if database == "postgresql" else args.sqlite_clicks
            prepare(url, clicks)
        runs = str(args.runs)
        if "reports" in args.only:
            results[f"reports/{database}"] = measure(url, "reports", "--runs", runs)
        if "serving" in args.only:
            results[f"serving/{database}"] = measure(url, "serving", "--runs", runs)
        if "ingestion" in args.only:
            workers = (
                args.postgresql_workers
                if database == "postgresql"
                else args.sqlite_workers
            )
            for count in workers:
                results[f"ingestion/{database}/workers={count}"] = measure(
                    url,
                    "ingestion",
                    "--runs",
                    runs,
                    "--seconds",
                    str(args.seconds),
                    "--workers",
                    str(count),
                )
        if "inventory" in args.only:
            results[f"inventory/{database}"] = inventory(url, args.inventory_pages)
        if "faults" in args.only:
            results[f"faults/{database}"] = measure(
                url, "faults", "--beacons", str(args.fault_beacons)
            )
    if "tracker" in args.only:
        results["tracker"] = measure(None, "tracker", "--runs", str(args.runs))
    Path(args.output).parent.mkdir(exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    found = {key: r for key, r in results.items() if key.startswith("inventory/")}
    if found:
        path = Path(args.output).with_name("inventory.json")
        path.write_text(json.dumps(found, indent=2) + "\n")
    print(summary.render(results))
    print(f"Results written to {args.output}")


if __name__ == "__main__":
    main()
