"""Fill a site with a synthetic history of outbound clicks, for benchmarks and demos.

    python manage.py outbound_seed_history --clicks 10000000 --replace

The defaults build a busy site's year: 10 million clicks over 365 days on
about 20,000 URLs of 3,000 domains, clicked from 5,000 pages, with the skew of
real traffic (a few domains and pages take most clicks, weekends are quieter,
traffic grows through the year). The same ``--seed`` gives the same history.
Counters are written in bulk (``COPY`` on PostgreSQL) and the roll-ups are
rebuilt once at the end, so 10 million clicks take minutes.
"""

import itertools
import random
import sys
from collections import Counter
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.utils import timezone
from wagtail.models import Site

from ...models import DailyClicks, Link, LinkClicks, SiteClicks, SourcePage, fingerprint
from ...recording import rebuild_rollups

try:
    from tqdm import tqdm
except ImportError:  # optional: pip install "wagtail-outbound[bench]"
    tqdm = None

POPULAR = [
    "github.com",
    "www.youtube.com",
    "en.wikipedia.org",
    "docs.python.org",
    "www.djangoproject.com",
    "wagtail.org",
    "stackoverflow.com",
    "www.amazon.com",
    "news.ycombinator.com",
    "www.reddit.com",
]
TLDS = ["com", "org", "net", "io", "dev", "co.uk", "de", "fr", "nl", "app"]
SECTIONS = ["blog", "news", "docs", "guides", "events", "products", "about"]
LABELS = [("affiliate_click", "conversion"), ("download", "file"), ("signup", "")]
COLUMNS = ["site_id", "day", "link_id", "source_id", "event", "category", "clicks"]


def zipf_weights(count, exponent):
    return [1 / (rank + 1) ** exponent for rank in range(count)]


class Command(BaseCommand):
    help = "Generate a synthetic history of outbound clicks (benchmarks, demos)."

    def add_arguments(self, parser):
        parser.add_argument("--clicks", type=int, default=10_000_000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--urls", type=int, default=20_000)
        parser.add_argument("--domains", type=int, default=3_000)
        parser.add_argument("--pages", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--site", type=int, help="Site id (default: the default site)."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the site's recorded clicks first.",
        )

    def handle(self, *args, **options):
        site = self.get_site(options["site"])
        if (
            options["domains"] > options["urls"]
            or min(
                options["clicks"], options["days"], options["urls"], options["pages"]
            )
            < 1
        ):
            raise CommandError("Need positive sizes and no more domains than URLs.")
        if DailyClicks.objects.filter(site=site).exists():
            if not options["replace"]:
                raise CommandError(
                    f"{site} already has clicks: pass --replace to delete them."
                )
            DailyClicks.objects.filter(site=site).delete()
        rng = random.Random(options["seed"])  # noqa: S311 (synthetic data)
        links = self.create_links(rng, options["urls"], options["domains"])
        sources = self.create_sources(site, options["pages"])
        pairs, weights = self.page_links(rng, links, sources)
        self.stdout.write(
            f"{len(links)} URLs, {len(sources)} pages, {len(pairs)} links on pages."
        )
        written = self.write_history(
            rng, site, pairs, weights, options["clicks"], options["days"]
        )
        self.stdout.write("Rebuilding roll-ups...")
        rebuild_rollups()
        connection = connections[DailyClicks.objects.db]  # the click database
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner guesses as if the tables were empty.
            with connection.cursor() as cursor:
                for model in (DailyClicks, LinkClicks, SiteClicks, Link, SourcePage):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.stdout.write(
            self.style.SUCCESS(f"{options['clicks']} clicks in {written} counters.")
        )

    def get_site(self, site_id):
        sites = Site.objects.all()
        site = (
            sites.filter(pk=site_id) if site_id else sites.filter(is_default_site=True)
        ).first()
        if site is None:
            raise CommandError("No such site; create one or pass --site.")
        return site

    def create_links(self, rng, url_count, domain_count):
        """``[(link_id, weight, event, category)]``, most popular first."""
        domains = POPULAR[:domain_count] + [
            f"site-{number}.example.{rng.choice(TLDS)}"
            for number in range(len(POPULAR[:domain_count]), domain_count)
        ]
        # Every domain gets one URL; the rest go mostly to the popular ones.
        owners = list(range(domain_count)) + rng.choices(
            range(domain_count),
            weights=zipf_weights(domain_count, 0.8),
            k=url_count - domain_count,
        )
        domain_weights = zipf_weights(domain_count, 1.0)
        url_weights = zipf_weights(url_count, 0.8)
        rng.shuffle(url_weights)
        urls = []
        for number, owner in enumerate(owners):
            path = f"{rng.choice(SECTIONS)}/{number}-{rng.randrange(10**6)}"
            weight = url_weights[number] * domain_weights[owner] ** 0.3
            event, category = rng.choice(LABELS) if rng.random() < 0.05 else ("", "")
            urls.append((f"https://{domains[owner]}/{path}", domains[owner], weight))
            urls[-1] += (event, category)
        Link.objects.bulk_create(
            [
                Link(url=url, url_hash=fingerprint(url), domain=domain, text=url[-24:])
                for url, domain, *_rest in urls
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        ids = dict(
            Link.objects.filter(
                url_hash__in=[fingerprint(url) for url, *_rest in urls]
            ).values_list("url_hash", "pk")
        )
        return [
            (ids[fingerprint(url)], weight, event, category)
            for url, _domain, weight, event, category in urls
        ]

    def create_sources(self, site, page_count):
        """``[(source_id, weight)]``, most visited first."""
        paths = [
            f"/{SECTIONS[number % len(SECTIONS)]}/page-{number}/"
            for number in range(page_count)
        ]
        SourcePage.objects.bulk_create(
            [
                SourcePage(
                    site=site,
                    path=path,
                    path_hash=fingerprint(path),
                    page_id=1_000_000 + number,
                )
                for number, path in enumerate(paths)
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        ids = dict(SourcePage.objects.filter(site=site).values_list("path_hash", "pk"))
        weights = zipf_weights(page_count, 0.8)
        return [(ids[fingerprint(path)], weights[n]) for n, path in enumerate(paths)]

    def page_links(self, rng, links, sources):
        """Which links each page carries (about a dozen), and how often each
        is clicked: ``(pairs, weights)``."""
        link_weights = [weight for _id, weight, *_labels in links]
        pairs, weights = [], []
        placed = set()
        for source_id, page_weight in sources:
            count = max(3, int(rng.expovariate(1 / 12)))
            for index in set(rng.choices(range(len(links)), link_weights, k=count)):
                placed.add(index)
                pairs.append((source_id, index))
                weights.append(page_weight * link_weights[index] ** 0.3)
        for index in set(range(len(links))) - placed:  # every URL is somewhere
            source_id, page_weight = rng.choice(sources)
            pairs.append((source_id, index))
            weights.append(page_weight * link_weights[index] ** 0.3)
        rows = [
            (source_id, *links[index][:1], *links[index][2:])
            for source_id, index in pairs
        ]
        return rows, weights

    def write_history(self, rng, site, pairs, weights, total, days):
        """Spread ``total`` clicks over ``days`` days ending today; returns the
        number of counters written."""
        today = timezone.localdate()
        first = today - timedelta(days=days - 1)
        shape = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            weekend = 0.7 if day.weekday() >= 5 else 1.0
            shape.append(weekend * (1 + 0.5 * offset / days) * rng.uniform(0.85, 1.15))
        scale = total / sum(shape)
        per_day = [int(value * scale) for value in shape]
        per_day[-1] += total - sum(per_day)
        cumulative = list(itertools.accumulate(weights))
        progress = self.progress(total)
        written = 0
        for offset, count in enumerate(per_day):
            day = first + timedelta(days=offset)
            drawn = Counter(
                rng.choices(range(len(pairs)), cum_weights=cumulative, k=count)
            )
            rows = [
                (site.pk, day, link_id, source_id, event, category, clicks)
                for (source_id, link_id, event, category), clicks in (
                    (pairs[index], clicks) for index, clicks in drawn.items()
                )
            ]
            # A transaction per day: PostgreSQL checks the foreign keys of
            # the rows at each commit, and a day's worth is cheap to check.
            with transaction.atomic(using=DailyClicks.objects.db):
                self.insert(rows)
            written += len(rows)
            progress.update(count)
        progress.close()
        return written

    def insert(self, rows):
        table = DailyClicks._meta.db_table
        connection = connections[DailyClicks.objects.db]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                columns = ", ".join(COLUMNS)
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(COLUMNS))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(COLUMNS)}) "  # noqa: S608
                    f"VALUES ({placeholders})",
                    rows,
                )

    def progress(self, total):
        if tqdm is not None:
            return tqdm(total=total, unit=" clicks", unit_scale=True, file=sys.stderr)
        return _TextProgress(self.stdout, total)


class _TextProgress:
    """Fallback progress report, one line per tenth, without tqdm."""

    def __init__(self, stream, total):
        self.stream, self.total, self.done, self.shown = stream, total, 0, 0

    def update(self, count):
        self.done += count
        tenth = 10 * self.done // self.total
        if tenth > self.shown:
            self.shown = tenth
            self.stream.write(f"{self.done} / {self.total} clicks ({tenth * 10}%)")

    def close(self):
        pass
