"""The documented query API, ``wagtail_outbound.stats``."""

from datetime import date

import pytest
from wagtail.models import Site

from wagtail_outbound import stats
from wagtail_outbound.beacon import Beacon
from wagtail_outbound.recording import record_click

JAN_1, JAN_2, JAN_3 = date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)


def click(site, url, day, times=1, text="", path="/", page_id=None, **labels):
    domain = url.split("/")[2]
    beacon = Beacon(
        url=url,
        domain=domain,
        text=text,
        source_host=site.hostname,
        source_path=path,
        page_id=page_id,
        event=labels.get("event", ""),
        category=labels.get("category", ""),
    )
    for _ in range(times):
        record_click(site, beacon, day=day)


@pytest.fixture
def other_site(site):
    return Site.objects.create(hostname="other.test", port=80, root_page=site.root_page)


@pytest.fixture
def history(site, other_site):
    """Clicks on three days, two sites, three domains and three source pages."""
    click(site, "https://a.example/1", JAN_1, 3, text="A one", path="/", page_id=2)
    click(site, "https://a.example/2", JAN_2, 1, text="A two", path="/blog/")
    click(site, "https://b.example/", JAN_2, 5, text="B", path="/blog/", page_id=7)
    click(site, "https://b.example/", JAN_3, 2, text="B", path="/", page_id=2)
    click(site, "https://xn--bcher-kva.example/", JAN_3, 1, path="/shop/")
    click(other_site, "https://a.example/1", JAN_1, 10, path="/elsewhere/")
    click(site, "https://b.example/", JAN_3, 4, path="/", page_id=2, event="affiliate")


def rows(queryset, *keys):
    return [tuple(row[key] for key in keys) for row in queryset]


def test_domain_totals_are_sorted_by_clicks(history, site):
    assert rows(stats.domain_totals(site=site), "domain", "clicks", "urls") == [
        ("b.example", 11, 1),
        ("a.example", 4, 2),
        ("xn--bcher-kva.example", 1, 1),
    ]


def test_every_site_is_counted_without_a_site_filter(history):
    assert rows(stats.domain_totals(), "domain", "clicks") == [
        ("a.example", 14),
        ("b.example", 11),
        ("xn--bcher-kva.example", 1),
    ]


def test_site_can_be_given_by_id(history, other_site):
    assert rows(stats.domain_totals(site=other_site.pk), "domain", "clicks") == [
        ("a.example", 10)
    ]


def test_url_totals_have_the_documented_keys(history, site):
    row = stats.url_totals(site=site)[0]
    assert {"url", "domain", "text", "clicks"} <= set(row)
    assert rows(stats.url_totals(site=site), "url", "domain", "text", "clicks") == [
        ("https://b.example/", "b.example", "B", 11),
        ("https://a.example/1", "a.example", "A one", 3),
        ("https://a.example/2", "a.example", "A two", 1),
        ("https://xn--bcher-kva.example/", "xn--bcher-kva.example", "", 1),
    ]


@pytest.mark.parametrize("domain", ["a.example", "A.Example"])
def test_url_totals_filter_by_domain(history, site, domain):
    assert rows(stats.url_totals(site=site, domain=domain), "url", "clicks") == [
        ("https://a.example/1", 3),
        ("https://a.example/2", 1),
    ]


def test_url_totals_find_an_idn_domain_typed_in_unicode(history):
    assert rows(stats.url_totals(domain="Bücher.example"), "url") == [
        ("https://xn--bcher-kva.example/",)
    ]


def test_source_page_totals_have_page_id_and_path(history, site):
    assert rows(stats.source_page_totals(site=site), "page_id", "path", "clicks") == [
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
    assert stats.total_clicks(site=site, start=start, end=end) == expected
    assert sum(row["clicks"] for row in stats.domain_totals(site, start, end)) == (
        expected
    )
    assert sum(row["clicks"] for row in stats.url_totals(site, start, end)) == expected
    assert (
        sum(row["clicks"] for row in stats.source_page_totals(site, start, end))
        == expected
    )


def test_date_range_narrows_the_rows(history, site):
    assert rows(
        stats.domain_totals(site=site, start=JAN_3, end=JAN_3), "domain", "clicks"
    ) == [("b.example", 6), ("xn--bcher-kva.example", 1)]


def test_daily_totals_are_in_date_order(history, site):
    assert rows(stats.daily_totals(site=site), "day", "clicks") == [
        (JAN_1, 3),
        (JAN_2, 6),
        (JAN_3, 7),
    ]


def test_empty_database_gives_empty_results(db):
    assert list(stats.domain_totals()) == []
    assert list(stats.url_totals()) == []
    assert list(stats.source_page_totals()) == []
    assert stats.total_clicks() == 0


def test_results_are_lazy_and_can_be_sliced(
    history, django_assert_num_queries, settings
):
    settings.WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST = False  # no look at the inbox
    with django_assert_num_queries(0):
        top = stats.domain_totals()[:1]
    with django_assert_num_queries(1):
        assert [row["domain"] for row in top] == ["a.example"]


def test_labels_are_the_most_clicked_in_range_and_bounded(site):
    from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
    from wagtail_outbound.recording import rebuild_rollups

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
    rebuild_rollups()
    events, categories = stats.labels()
    assert len(events) == len(categories) == stats.LABEL_MENU_SIZE
    assert events == [f"e{number}" for number in range(200, 300)]  # sorted by name
    assert stats.labels(limit=3) == (["e297", "e298", "e299"], ["c297", "c298", "c299"])
    # In range only: 2 January holds the even numbers.
    events, _categories = stats.labels(start=JAN_2, end=JAN_2, limit=2)
    assert events == ["e296", "e298"]
