"""Fill a site with a synthetic history of outbound clicks, for benchmarks.

    DATABASE_URL=... python -m benchmarks.seed --clicks 10000000 --replace

or, from code (tests, a shell), with Django set up::

    from benchmarks.seed import seed_history
    seed_history(site, clicks=3000, days=45)

The defaults build a busy site's year: 10 million clicks over 365 days on
about 20,000 URLs of 3,000 domains, clicked from 5,000 pages, with the skew of
real traffic (a few domains and pages take most clicks, weekends are quieter,
traffic grows through the year). The same ``seed`` gives the same history.
Counters are written in bulk (``COPY`` on PostgreSQL) to the click database
and the roll-ups are rebuilt once at the end, so 10 million clicks take minutes.
The CLI sets Django up from DJANGO_SETTINGS_MODULE (``benchmarks.settings``
unless set, whose database is DATABASE_URL).
"""

import argparse
import itertools
import random
import sys
from collections import Counter
from datetime import timedelta

try:
    from tqdm import tqdm
except ImportError:  # optional: the "bench" dependency group
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


def seed_history(
    site=None,
    *,
    clicks=10_000_000,
    days=365,
    urls=20_000,
    domains=3_000,
    pages=5_000,
    seed=1,
    replace=False,
    stdout=None,
):
    """Write ``clicks`` clicks over the ``days`` days ending today for ``site``
    (a Site, its id, or None for the default site) and rebuild the roll-ups;
    returns the number of daily counters written. ``stdout`` gets a report
    and progress lines (None: silent). Raises ValueError on bad sizes or when
    the site already has clicks and ``replace`` is false."""
    from django.db import connections

    from wagtail_outbound.models import DailyClicks
    from wagtail_outbound.rollups import rebuild as rebuild_rollups

    site = _get_site(site)
    if domains > urls or min(clicks, days, urls, pages) < 1:
        raise ValueError("Need positive sizes and no more domains than URLs.")
    if DailyClicks.objects.filter(site=site).exists():
        if not replace:
            raise ValueError(
                f"{site} already has clicks: pass --replace (replace=True)."
            )
        DailyClicks.objects.filter(site=site).delete()
    write = stdout.write if stdout is not None else lambda _text: None
    rng = random.Random(seed)
    links = _create_links(rng, urls, domains)
    _create_labels(site, days)
    sources = _create_sources(site, pages)
    pairs, weights = _page_links(rng, links, sources)
    write(f"{len(links)} URLs, {len(sources)} pages, {len(pairs)} links on pages.\n")
    written = _write_history(rng, site, pairs, weights, clicks, days, stdout)
    write("Rebuilding roll-ups...\n")
    rebuild_rollups()
    connection = connections[DailyClicks.objects.db]  # the click database
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses as if the tables were empty.
        with connection.cursor() as cursor:
            for model in click_tables():
                cursor.execute(
                    f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
                )
    write(f"{clicks} clicks in {written} counters.\n")
    return written


def click_tables():
    """The tables a seeded history fills: the daily counters, every roll-up
    (found as subclasses of ``RollUp``, so a new one is never left out), the
    links and the source pages."""
    from django.apps import apps

    from wagtail_outbound.models import DailyClicks, Link, RollUp, SourcePage

    models = apps.get_app_config("wagtail_outbound").get_models()
    rollups = [model for model in models if issubclass(model, RollUp)]
    return [DailyClicks, *rollups, Link, SourcePage]


def zipf_weights(count, exponent):
    return [1 / (rank + 1) ** exponent for rank in range(count)]


def _get_site(site):
    from wagtail.models import Site

    if isinstance(site, Site):
        return site
    sites = Site.objects.all()
    found = (
        sites.filter(pk=site) if site else sites.filter(is_default_site=True)
    ).first()
    if found is None:
        raise ValueError("No such site: create one or name its id.")
    return found


def _create_labels(site, days):
    """The ``Label`` rows that counting the seeded labels creates: the
    report's menus rank labels only of the kinds a site has."""
    from django.utils import timezone

    from wagtail_outbound.models import Label

    first = timezone.localdate() - timedelta(days=days - 1)
    Label.objects.bulk_create(
        [
            Label(site=site, kind=kind, value=value, first_day=first)
            for event, category in LABELS
            for kind, value in (("event", event), ("category", category))
            if value
        ],
        ignore_conflicts=True,
    )


def _create_links(rng, url_count, domain_count):
    """``[(link_id, weight, event, category)]``, most popular first."""
    from wagtail_outbound.models import Link, fingerprint

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


def _create_sources(site, page_count):
    """``[(source_id, weight)]``, most visited first."""
    from wagtail_outbound.models import SourcePage, fingerprint

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


def _page_links(rng, links, sources):
    """Which links each page carries (about a dozen), and how often each is
    clicked: ``(pairs, weights)``."""
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
        (source_id, *links[index][:1], *links[index][2:]) for source_id, index in pairs
    ]
    return rows, weights


def _write_history(rng, site, pairs, weights, total, days, stdout):
    """Spread ``total`` clicks over ``days`` days ending today; returns the
    number of counters written."""
    from django.db import transaction
    from django.utils import timezone

    from wagtail_outbound.models import DailyClicks

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
    progress = _progress(total, stdout)
    written = 0
    for offset, count in enumerate(per_day):
        day = first + timedelta(days=offset)
        drawn = Counter(rng.choices(range(len(pairs)), cum_weights=cumulative, k=count))
        rows = [
            (site.pk, day, link_id, source_id, event, category, clicks)
            for (source_id, link_id, event, category), clicks in (
                (pairs[index], clicks) for index, clicks in drawn.items()
            )
        ]
        # A transaction per day: PostgreSQL checks the foreign keys of the
        # rows at each commit, and a day's worth is cheap to check.
        with transaction.atomic(using=DailyClicks.objects.db):
            _insert(rows)
        written += len(rows)
        progress.update(count)
    progress.close()
    return written


def _insert(rows):
    from django.db import connections

    from wagtail_outbound.models import DailyClicks

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
                f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                rows,
            )


def _progress(total, stdout):
    if stdout is sys.stdout and tqdm is not None:
        return tqdm(total=total, unit=" clicks", unit_scale=True, file=sys.stderr)
    return _TextProgress(stdout, total)


class _TextProgress:
    """Progress without tqdm (or into a stream of the caller's): one line per
    tenth, nothing without a stream."""

    def __init__(self, stream, total):
        self.stream, self.total, self.done, self.shown = stream, total, 0, 0

    def update(self, count):
        self.done += count
        tenth = 10 * self.done // self.total
        if self.stream is not None and tenth > self.shown:
            self.shown = tenth
            self.stream.write(f"{self.done} / {self.total} clicks ({tenth * 10}%)\n")

    def close(self):
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.seed",
        description="Write a synthetic history of outbound clicks to a site.",
    )
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--urls", type=int, default=20_000)
    parser.add_argument("--domains", type=int, default=3_000)
    parser.add_argument("--pages", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--site", type=int, help="site id (default: the default site)")
    parser.add_argument(
        "--replace", action="store_true", help="delete the site's clicks first"
    )
    args = parser.parse_args(argv)

    from .common import setup_django

    setup_django()
    try:
        seed_history(
            args.site,
            clicks=args.clicks,
            days=args.days,
            urls=args.urls,
            domains=args.domains,
            pages=args.pages,
            seed=args.seed,
            replace=args.replace,
            stdout=sys.stdout,
        )
    except ValueError as error:
        parser.exit(1, f"{parser.prog}: {error}\n")


if __name__ == "__main__":
    main()
