"""The documented query API, ``wagtail_outbound.stats``."""

from datetime import date

import pytest
from wagtail.models import Site

from tests.factories import click, labels
from wagtail_outbound import stats

JAN_1, JAN_2, JAN_3 = date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)
# Dates relative to today run on a fixed day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def other_site(site):
    return Site.objects.create(hostname="other.test", port=80, root_page=site.root_page)


@pytest.fixture
def history(site, other_site):
    """Clicks on three days, two sites, three domains and three source pages."""
    click(site, "https://a.example/1", 3, day=JAN_1, text="A one", page_id=2)
    click(site, "https://a.example/2", 1, day=JAN_2, text="A two", source="/blog/")
    click(
        site, "https://b.example/", 5, day=JAN_2, text="B", source="/blog/", page_id=7
    )
    click(site, "https://b.example/", 2, day=JAN_3, text="B", page_id=2)
    click(site, "https://xn--bcher-kva.example/", 1, day=JAN_3, source="/shop/")
    click(other_site, "https://a.example/1", 10, day=JAN_1, source="/elsewhere/")
    click(site, "https://b.example/", 4, day=JAN_3, page_id=2, event="affiliate")


def rows(queryset, *keys):
    return [tuple(row[key] for key in keys) for row in queryset]


def test_domain_totals_are_sorted_by_clicks(history, site):
    assert rows(
        stats.domains(stats.Filters(site=site)).top(), "domain", "clicks", "urls"
    ) == [
        ("b.example", 11, 1),
        ("a.example", 4, 2),
        ("xn--bcher-kva.example", 1, 1),
    ]


def test_every_site_is_counted_without_a_site_filter(history):
    assert rows(stats.domains(stats.Filters()).top(), "domain", "clicks") == [
        ("a.example", 14),
        ("b.example", 11),
        ("xn--bcher-kva.example", 1),
    ]


def test_site_can_be_given_by_id(history, other_site):
    assert rows(
        stats.domains(stats.Filters(site=other_site.pk)).top(), "domain", "clicks"
    ) == [("a.example", 10)]


def test_url_totals_have_the_documented_keys(history, site):
    row = stats.urls(stats.Filters(site=site)).top()[0]
    assert {"url", "domain", "text", "clicks"} <= set(row)
    assert rows(
        stats.urls(stats.Filters(site=site)).top(), "url", "domain", "text", "clicks"
    ) == [
        ("https://b.example/", "b.example", "B", 11),
        ("https://a.example/1", "a.example", "A one", 3),
        ("https://a.example/2", "a.example", "A two", 1),
        ("https://xn--bcher-kva.example/", "xn--bcher-kva.example", "", 1),
    ]


@pytest.mark.parametrize("domain", ["a.example", "A.Example"])
def test_url_totals_filter_by_domain(history, site, domain):
    assert rows(
        stats.urls(stats.Filters(site=site, domain=domain)).top(), "url", "clicks"
    ) == [
        ("https://a.example/1", 3),
        ("https://a.example/2", 1),
    ]


def test_url_totals_find_an_idn_domain_typed_in_unicode(history):
    assert rows(stats.urls(stats.Filters(domain="Bücher.example")).top(), "url") == [
        ("https://xn--bcher-kva.example/",)
    ]


def test_source_page_totals_have_page_id_and_path(history, site):
    assert rows(
        stats.exit_pages(stats.Filters(site=site)).top(), "page_id", "path", "clicks"
    ) == [
        (2, "/", 9),
        (7, "/blog/", 6),
        (None, "/shop/", 1),
    ]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, 16),
        (JAN_1, JAN_1, 3),  # both bounds inclusive
        (JAN_2, None, 13),
        (None, JAN_2, 9),
        (JAN_2, JAN_3, 13),
        (JAN_3, JAN_1, 0),
        (date(2025, 1, 1), date(2025, 12, 31), 0),
    ],
)
def test_date_bounds_are_inclusive(history, site, start, end, expected):
    assert stats.total(stats.Filters(site=site, start=start, end=end)) == expected
    assert sum(
        row["clicks"] for row in stats.domains(stats.Filters(site, start, end)).top()
    ) == (expected)
    assert (
        sum(row["clicks"] for row in stats.urls(stats.Filters(site, start, end)).top())
        == expected
    )
    assert (
        sum(
            row["clicks"]
            for row in stats.exit_pages(stats.Filters(site, start, end)).top()
        )
        == expected
    )


def test_date_range_narrows_the_rows(history, site):
    assert rows(
        stats.domains(stats.Filters(site=site, start=JAN_3, end=JAN_3)).top(),
        "domain",
        "clicks",
    ) == [("b.example", 6), ("xn--bcher-kva.example", 1)]


def test_daily_totals_are_in_date_order(history, site):
    assert rows(stats.daily(stats.Filters(site=site)), "day", "clicks") == [
        (JAN_1, 3),
        (JAN_2, 6),
        (JAN_3, 7),
    ]


def test_empty_database_gives_empty_results(db):
    assert list(stats.domains(stats.Filters()).top()) == []
    assert list(stats.urls(stats.Filters()).top()) == []
    assert list(stats.exit_pages(stats.Filters()).top()) == []
    assert stats.total(stats.Filters()) == 0


def test_results_are_lazy_and_can_be_sliced(
    history, django_assert_num_queries, settings
):
    settings.WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST = False  # no look at the inbox
    with django_assert_num_queries(0):
        top = stats.domains(stats.Filters()).rows[:1]
    with django_assert_num_queries(1):
        assert [row["domain"] for row in top] == ["a.example"]


def test_labels_are_the_most_clicked_in_range_and_bounded(site):
    from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
    from wagtail_outbound.rollups import rebuild as rebuild_rollups

    link = Link.objects.create(
        url="https://l.example/", url_hash="l", domain="l.example"
    )
    source = SourcePage.objects.create(site=site, path="/", path_hash=fingerprint("/"))
    DailyClicks.objects.bulk_create(
        DailyClicks(
            site=site,
            day=JAN_1 if number % 2 else JAN_2,
            link=link,
            source=source,
            event=f"e{number:03d}",
            category=f"c{number:03d}",
            clicks=number + 1,
        )
        for number in range(300)
    )
    labels(
        site,
        JAN_1,
        events=[f"e{number:03d}" for number in range(300)],
        categories=[f"c{number:03d}" for number in range(300)],
    )
    rebuild_rollups()
    events, categories = stats.labels(stats.Filters())
    assert len(events) == len(categories) == stats.LABEL_MENU_SIZE
    assert events == [f"e{number}" for number in range(200, 300)]  # sorted by name
    assert stats.labels(stats.Filters(), limit=3) == (
        ["e297", "e298", "e299"],
        ["c297", "c298", "c299"],
    )
    # In range only: 2 January holds the even numbers.
    events, _categories = stats.labels(stats.Filters(start=JAN_2, end=JAN_2), limit=2)
    assert events == ["e296", "e298"]


def test_labels_rank_only_the_kinds_a_site_has(history, site, other_site):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def ranked(filters):
        """The menus, and how many queries read click counters for them."""
        with CaptureQueriesContext(connection) as queries:
            menus = stats.labels(filters)
        tables = ("wagtail_outbound_linkclicks", "wagtail_outbound_dailyclicks")
        return menus, sum(any(t in q["sql"] for t in tables) for q in queries)

    # The site has counted an event and no category: one ranking, not two.
    assert ranked(stats.Filters(site=site)) == ((["affiliate"], []), 1)
    # The other site has no labels at all: nothing to rank.
    assert ranked(stats.Filters(site=other_site)) == (([], []), 0)
    assert ranked(stats.Filters()) == ((["affiliate"], []), 1)
