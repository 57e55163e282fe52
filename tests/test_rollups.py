"""The roll-ups the reports read always add up to the daily counters."""

from datetime import date, timedelta

import pytest
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from benchmarks.seed import click_tables, seed_history
from tests.factories import click
from wagtail_outbound import periods, stats
from wagtail_outbound.models import (
    ROLLUPS,
    DailyClicks,
    Link,
    LinkClicks,
    PairClicks,
    Placement,
    SiteClicks,
    SourcePage,
)
from wagtail_outbound.periods import Span
from wagtail_outbound.rollups import rebuild as rebuild_rollups

# Dates relative to today run on a fixed day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_today")

# Clicks across four months and two years, with quiet days, so ranges can
# start and end inside a month or year, on its edges, and before or after any
# click.
HISTORY = [
    (date(2025, 12, 30), "https://c.example/", "/two/", "buy", 2),
    (date(2026, 1, 30), "https://a.example/1", "/one/", "", 3),
    (date(2026, 1, 31), "https://b.example/1", "/two/", "buy", 1),
    (date(2026, 2, 1), "https://a.example/2", "/one/", "", 2),
    (date(2026, 2, 14), "https://a.example/1", "/two/", "", 5),
    (date(2026, 2, 28), "https://c.example/", "/one/", "", 1),
    (date(2026, 3, 1), "https://b.example/1", "/one/", "buy", 4),
    (date(2026, 3, 15), "https://a.example/1", "/one/", "", 2),
]
RANGES = [
    (None, None),
    (date(2026, 1, 1), date(2026, 3, 31)),
    (date(2026, 1, 31), date(2026, 3, 1)),
    (date(2026, 2, 1), date(2026, 2, 28)),
    (date(2026, 2, 2), date(2026, 2, 27)),
    (date(2026, 2, 14), date(2026, 2, 14)),
    (date(2026, 1, 15), None),
    (None, date(2026, 2, 14)),
    (date(2026, 2, 15), date(2026, 3, 14)),
    (date(2026, 4, 1), date(2026, 4, 30)),
    # Across a new year: year, month and day rows together.
    (date(2025, 12, 30), date(2026, 2, 14)),
    (date(2025, 12, 31), date(2026, 12, 31)),
    (date(2025, 1, 1), date(2026, 1, 30)),
]


@pytest.fixture
def history(site):
    for day, url, source, event, times in HISTORY:
        page_id = site.root_page_id if source == "/two/" else None
        click(
            site, url, times=times, day=day, source=source, event=event, page_id=page_id
        )
    # One link in content: the URLs report counts the pages that hold it.
    link = Link.objects.order_by("pk").first()
    Placement.objects.create(
        site=site,
        page_id=site.root_page_id,
        link=link,
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    )
    return site


def raw(start, end):
    qs = DailyClicks.objects.all()
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    return qs


def sums(model):
    return {
        span: model.objects.filter(span=span).aggregate(total=Sum("clicks"))["total"]
        for span in model.spans
    }


def snapshot(model, *fields):
    return sorted(model.objects.values_list(*fields, "span", "day", "clicks"))


def test_each_click_adds_to_the_day_and_month_rollups(history):
    total = sum(times for *_rest, times in HISTORY)
    for model in ROLLUPS:
        assert sums(model) == dict.fromkeys(model.spans, total), model
    february = LinkClicks.objects.filter(
        span=Span.MONTH, day=date(2026, 2, 1), link__url="https://a.example/1"
    )
    assert february.get().clicks == 5


def test_rebuilding_gives_the_rollups_the_write_path_built(history):
    sites = snapshot(SiteClicks, "site_id")
    links = snapshot(LinkClicks, "site_id", "link_id")
    pairs = snapshot(PairClicks, "site_id", "link_id", "source_id")
    assert {row[-3] for row in pairs} == {Span.DEKAD, Span.MONTH, Span.YEAR}
    SiteClicks.objects.all().delete()
    LinkClicks.objects.filter(span=Span.MONTH).update(clicks=99)
    PairClicks.objects.filter(span=Span.DEKAD).delete()

    rebuild_rollups()

    assert snapshot(SiteClicks, "site_id") == sites
    assert snapshot(LinkClicks, "site_id", "link_id") == links
    # Dekads, which no SQL function truncates to, are rebuilt too.
    assert snapshot(PairClicks, "site_id", "link_id", "source_id") == pairs


@pytest.mark.parametrize(("start", "end"), RANGES)
def test_totals_read_from_rollups_equal_the_daily_counters(history, start, end):
    expected_domains = list(
        raw(start, end)
        .values(domain=F("link__domain"))
        .annotate(clicks=Sum("clicks"), urls=Count("link", distinct=True))
        .order_by("-clicks", "domain")
    )
    expected_total = sum(row["clicks"] for row in expected_domains)
    expected_days = list(
        raw(start, end).values("day").annotate(clicks=Sum("clicks")).order_by("day")
    )

    filters = stats.Filters(start=start, end=end)
    assert stats.total(filters.replace(site=history)) == expected_total
    assert stats.total(filters) == expected_total
    domains = report_rows("domains", start, end, site=history)
    assert [(row["domain"], row["clicks"], row["urls"]) for row in domains] == [
        tuple(row.values()) for row in expected_domains
    ]
    assert stats.daily(filters) == expected_days
    counters = raw(start, end)
    assert stats.labels(filters) == (
        sorted(set(counters.exclude(event="").values_list("event", flat=True))),
        sorted(set(counters.exclude(category="").values_list("category", flat=True))),
    )


REPORTS = {"domains": stats.domains, "urls": stats.urls, "pages": stats.exit_pages}


def report_rows(name, start, end, every=False, **filters):
    """A report's rows with their details, as the admin shows them: a page
    of rows, or every row at once (an export)."""
    report = REPORTS[name](stats.Filters(start=start, end=end, **filters))
    if every:
        return report.top()
    rows = list(report.rows)
    return report.details(rows)


def top(totals):
    """The key with the most clicks, the smallest key on a tie."""
    if not totals:
        return None
    key = min(totals, key=lambda key: (-totals[key], key))
    return key, totals[key]


def expected_rows(name, start, end, narrowed):
    """What a report must show, computed naively from every daily counter."""
    counters = list(
        raw(start, end)
        .filter(narrowed)
        .values(
            "link_id",
            "source_id",
            "day",
            "event",
            "category",
            "clicks",
            url=F("link__url"),
            domain=F("link__domain"),
            text=F("link__text"),
            path=F("source__path"),
            page_id=F("source__page_id"),
            site_ref=F("source__site_id"),
        )
    )
    groups = {}
    for counter in counters:
        key = {"domains": "domain", "urls": "link_id", "pages": "source_id"}[name]
        groups.setdefault(counter[key], []).append(counter)
    rows = []
    for members in groups.values():
        first = members[0]
        clicks = sum(member["clicks"] for member in members)
        per = {}
        if name == "domains":
            for member in members:
                per[member["source_id"]] = per.get(member["source_id"], 0)
                per[member["source_id"]] += member["clicks"]
            source, source_clicks = top(per)
            source_row = next(m for m in members if m["source_id"] == source)
            rows.append(
                {
                    "domain": first["domain"],
                    "clicks": clicks,
                    "urls": len({member["link_id"] for member in members}),
                    "top_source": {
                        "source_ref": source,
                        "path": source_row["path"],
                        "page_id": source_row["page_id"],
                        "clicks": source_clicks,
                    },
                }
            )
        elif name == "urls":
            rows.append(
                {
                    **{k: first[k] for k in ("link_id", "url", "domain", "text")},
                    "clicks": clicks,
                    "sources": len({member["source_id"] for member in members}),
                    "last_day": max(member["day"] for member in members),
                    "event": max(member["event"] for member in members),
                    "category": max(member["category"] for member in members),
                    # The pages holding it now (the inventory), whatever the range.
                    "pages": Placement.objects.filter(link_id=first["link_id"]).count(),
                }
            )
        else:
            for member in members:
                per[member["domain"]] = per.get(member["domain"], 0)
                per[member["domain"]] += member["clicks"]
            domain, domain_clicks = top(per)
            rows.append(
                {
                    **{k: first[k] for k in ("source_id", "page_id", "path")},
                    "site_ref": first["site_ref"],
                    "clicks": clicks,
                    "destinations": len({member["link_id"] for member in members}),
                    "top_domain": {"domain": domain, "clicks": domain_clicks},
                }
            )
    order = {"domains": "domain", "urls": "link_id", "pages": "source_id"}[name]
    return sorted(rows, key=lambda row: (-row["clicks"], row[order]))


FILTERS = [
    ({}, Q()),
    # One case per table the filters pick (roll-ups of sites, domains, links
    # and pages, daily counters); the other cases are slow.
    ({"event": "buy"}, Q(event="buy")),
    ({"source": "/two/"}, Q(source__path="/two/")),
    (
        {"domain": "a.example", "source": "/one/"},
        Q(link__domain="a.example", source__path="/one/"),
    ),
    *(
        pytest.param(*case, marks=pytest.mark.slow)
        for case in [
            ({"search": "a.exa"}, Q(link__domain__icontains="a.exa")),
            ({"domain": "b.example"}, Q(link__domain="b.example")),
            ({"page": "/two/"}, Q(source__path="/two/")),
            (
                {"search": "example/1", "event": "buy"},
                Q(link__url__icontains="example/1", event="buy"),
            ),
        ]
    ),
]


@pytest.mark.parametrize(("filters", "narrowed"), FILTERS)
@pytest.mark.parametrize(("start", "end"), RANGES)
def test_every_report_row_and_detail_equals_the_daily_counters(
    history, filters, narrowed, start, end, monkeypatch
):
    """Rankings come from roll-ups and details from monthly pairs plus edge
    days: both must say exactly what the daily counters say, whatever day
    today is (the plan of a range ending in the future depends on it)."""
    if "source" in filters:
        source = SourcePage.objects.get(path=filters["source"])
        filters = {**filters, "source": source.pk}
    if "page" in filters:
        filters = {"page": SourcePage.objects.get(path=filters["page"]).page_id}
    # From the day of the last click on (no click is counted before its day).
    for today in (date(2026, 3, 15), date(2026, 3, 31), date(2027, 6, 30)):
        monkeypatch.setattr(periods, "today", lambda today=today: today)
        for name in REPORTS:
            expected = expected_rows(name, start, end, narrowed)
            assert report_rows(name, start, end, **filters) == expected, name
            # An export reads the details of every row at once.
            assert report_rows(name, start, end, every=True, **filters) == expected
        narrowed_filters = stats.Filters(start=start, end=end, **filters)
        assert stats.total(narrowed_filters) == sum(row["clicks"] for row in expected)
        days = raw(start, end).filter(narrowed).values("day").annotate(Sum("clicks"))
        assert [
            (row["day"], row["clicks"]) for row in stats.daily(narrowed_filters)
        ] == list(days.values_list("day", "clicks__sum").order_by("day"))


def test_domain_trend_splits_a_month_between_the_two_periods(history):
    rows = stats.domain_trend(
        stats.Filters(start=date(2026, 2, 14), end=date(2026, 3, 31)),
        previous_start=date(2026, 1, 1),
    )
    assert rows == [
        {"domain": "a.example", "previous": 5, "clicks": 7},
        {"domain": "b.example", "previous": 1, "clicks": 4},
        {"domain": "c.example", "previous": 0, "clicks": 1},
    ]


@pytest.mark.calendar
def test_seeded_history_is_rolled_up_exactly(site):
    seed_history(site, clicks=3000, days=45, urls=60, domains=12, pages=20)

    raw_total = DailyClicks.objects.aggregate(total=Sum("clicks"))["total"]
    assert raw_total == 3000
    for model in ROLLUPS:
        assert sums(model) == dict.fromkeys(model.spans, 3000), model
    last_month = date.today().replace(day=1) - timedelta(days=1)
    assert (
        stats.total(stats.Filters(site, start=last_month.replace(day=1)))
        == (
            raw(last_month.replace(day=1), None).aggregate(total=Sum("clicks"))["total"]
        )
    )
    # The seeded labels are listed, as counted ones are, for the menus.
    counters = DailyClicks.objects.all()
    events, _categories = menus = stats.labels(stats.Filters(site))
    assert events and menus == (
        sorted(set(counters.exclude(event="").values_list("event", flat=True))),
        sorted(set(counters.exclude(category="").values_list("category", flat=True))),
    )


def test_seeding_analyses_every_roll_up():
    # Derived from RollUp's subclasses: a new roll-up is analysed too.
    tables = click_tables()
    assert set(ROLLUPS) <= set(tables)
    assert len(tables) == len(set(tables)) == len(ROLLUPS) + 3
