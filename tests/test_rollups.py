"""The roll-ups the reports read always add up to the daily counters."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum

from tests.reports_data import click
from wagtail_outbound import stats
from wagtail_outbound.models import DailyClicks, LinkClicks, SiteClicks, Span
from wagtail_outbound.recording import rebuild_rollups

# Clicks across three months, with quiet days, so ranges can start and end
# inside a month, on its edges, and before or after any click.
HISTORY = [
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
        for span in Span.values
    }


def snapshot(model, *fields):
    return sorted(model.objects.values_list(*fields, "span", "day", "clicks"))


def test_each_click_adds_to_the_day_and_month_rollups(history):
    total = sum(times for *_rest, times in HISTORY)
    assert sums(SiteClicks) == {Span.DAY: total, Span.MONTH: total}
    assert sums(LinkClicks) == {Span.DAY: total, Span.MONTH: total}
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
    assert list(stats.domain_report(history, start, end)) == expected_domains
    assert list(stats.daily_totals(start=start, end=end)) == expected_days
    assert list(stats.matching_daily_totals(start=start, end=end)) == expected_days


@pytest.mark.parametrize(("start", "end"), RANGES[1:6])
def test_filtered_domain_reports_equal_the_daily_counters(history, start, end):
    for filters, narrowed in [
        ({"search": "a.exa"}, Q(link__domain__icontains="a.exa")),
        ({"domain": "b.example"}, Q(link__domain="b.example")),
        ({"event": "buy"}, Q(event="buy")),
    ]:
        expected = list(
            raw(start, end)
            .filter(narrowed)
            .values(domain=F("link__domain"))
            .annotate(clicks=Sum("clicks"), urls=Count("link", distinct=True))
            .order_by("-clicks", "domain")
        )
        rows = stats.domain_report(start=start, end=end, **filters)
        assert list(rows) == expected
        total = stats.matching_total(start=start, end=end, **filters)
        assert total == sum(row["clicks"] for row in expected)


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
    assert sums(SiteClicks) == {Span.DAY: 3000, Span.MONTH: 3000}
    assert sums(LinkClicks) == {Span.DAY: 3000, Span.MONTH: 3000}
    last_month = date.today().replace(day=1) - timedelta(days=1)
    assert (
        stats.total_clicks(site, start=last_month.replace(day=1))
        == (
            raw(last_month.replace(day=1), None).aggregate(total=Sum("clicks"))["total"]
        )
    )
