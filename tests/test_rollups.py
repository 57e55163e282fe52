"""The roll-ups the reports read always add up to the daily counters."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum

from tests.reports_data import click
from wagtail_outbound import stats
from wagtail_outbound.models import (
    ROLLUPS,
    DailyClicks,
    LinkClicks,
    SiteClicks,
    SourcePage,
    Span,
)
from wagtail_outbound.recording import rebuild_rollups

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
        click(site, url, times=times, day=day, source=source, event=event)
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
    SiteClicks.objects.all().delete()
    LinkClicks.objects.filter(span=Span.MONTH).update(clicks=99)

    rebuild_rollups()

    assert snapshot(SiteClicks, "site_id") == sites
    assert snapshot(LinkClicks, "site_id", "link_id") == links


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

    assert stats.total_clicks(history, start, end) == expected_total
    assert stats.matching_total(start=start, end=end) == expected_total
    assert list(stats.domain_totals(start=start, end=end)) == expected_domains
    domains = report_rows("domains", start, end, site=history)
    assert [(row["domain"], row["clicks"], row["urls"]) for row in domains] == [
        tuple(row.values()) for row in expected_domains
    ]
    assert list(stats.daily_totals(start=start, end=end)) == expected_days
    assert list(stats.matching_daily_totals(start=start, end=end)) == expected_days
    counters = raw(start, end)
    assert stats.labels(start=start, end=end) == (
        sorted(set(counters.exclude(event="").values_list("event", flat=True))),
        sorted(set(counters.exclude(category="").values_list("category", flat=True))),
    )


REPORTS = {
    "domains": (stats.domain_report, stats.add_domain_details),
    "urls": (stats.url_report, stats.add_url_details),
    "pages": (stats.exit_page_report, stats.add_exit_page_details),
}


def report_rows(name, start, end, every=False, **filters):
    """A report's rows with their details, as the admin shows them."""
    report, details = REPORTS[name]
    rows = list(report(start=start, end=end, **filters))
    return details(rows, start=start, end=end, every=every, **filters)


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
    ({"search": "a.exa"}, Q(link__domain__icontains="a.exa")),
    ({"domain": "b.example"}, Q(link__domain="b.example")),
    ({"event": "buy"}, Q(event="buy")),
    ({"source": "/two/"}, Q(source__path="/two/")),
]


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize(("filters", "narrowed"), FILTERS)
@pytest.mark.parametrize(("start", "end"), RANGES)
def test_every_report_row_and_detail_equals_the_daily_counters(
    history, name, filters, narrowed, start, end
):
    """Rankings come from roll-ups and details from monthly pairs plus edge
    days: both must say exactly what the daily counters say."""
    if "source" in filters:
        filters = {"source": SourcePage.objects.get(path=filters["source"]).pk}
    expected = expected_rows(name, start, end, narrowed)
    assert report_rows(name, start, end, **filters) == expected
    # An export reads the details of every row at once.
    assert report_rows(name, start, end, every=True, **filters) == expected
    total = stats.matching_total(start=start, end=end, **filters)
    assert total == sum(row["clicks"] for row in expected)
    days = raw(start, end).filter(narrowed).values("day").annotate(Sum("clicks"))
    assert [
        (row["day"], row["clicks"])
        for row in stats.matching_daily_totals(start=start, end=end, **filters)
    ] == list(days.values_list("day", "clicks__sum").order_by("day"))


def test_domain_trend_splits_a_month_between_the_two_periods(history):
    rows = stats.domain_trend(
        start=date(2026, 2, 14), end=date(2026, 3, 31), previous_start=date(2026, 1, 1)
    )
    assert list(rows) == [
        {"domain": "a.example", "previous": 5, "clicks": 7},
        {"domain": "b.example", "previous": 1, "clicks": 4},
        {"domain": "c.example", "previous": 0, "clicks": 1},
    ]


def test_seeded_history_is_rolled_up_exactly(site):
    call_command(
        "outbound_seed_history",
        clicks=3000,
        days=45,
        urls=60,
        domains=12,
        pages=20,
        stdout=open("/dev/null", "w"),  # noqa: SIM115
        stderr=open("/dev/null", "w"),  # noqa: SIM115
    )

    raw_total = DailyClicks.objects.aggregate(total=Sum("clicks"))["total"]
    assert raw_total == 3000
    for model in ROLLUPS:
        assert sums(model) == dict.fromkeys(model.spans, 3000), model
    last_month = date.today().replace(day=1) - timedelta(days=1)
    assert (
        stats.total_clicks(site, start=last_month.replace(day=1))
        == (
            raw(last_month.replace(day=1), None).aggregate(total=Sum("clicks"))["total"]
        )
    )
