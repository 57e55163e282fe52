"""The Outbound links report: tables, filters, drill-down, chart and escaping."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Site

from tests.reports_data import (
    XSS_TEXT,
    bulk_seed,
    click,
    days_ago,
    seed_basic,
    today,
)
from wagtail_outbound import stats
from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
from wagtail_outbound.recording import rebuild_rollups

DOMAINS = reverse("wagtail_outbound_reports:domains")
URLS = reverse("wagtail_outbound_reports:urls")
PAGES = reverse("wagtail_outbound_reports:pages")


def shown(response):
    """The row dictionaries on the page, as the table holds them."""
    table = response.context["table"]
    return [row.record for row in table.page.object_list]


@pytest.fixture
def data(site, home):
    seed_basic(site, home)
    return site


def test_every_table_matches_stats(admin_client, data):
    start = days_ago(29)
    period = {"start": start, "end": today()}
    expectations = [
        (DOMAINS, stats.domain_report(**period), stats.add_domain_details),
        (URLS, stats.url_report(**period), stats.add_url_details),
        (PAGES, stats.exit_page_report(**period), stats.add_exit_page_details),
    ]
    for url, expected, details in expectations:
        rows = shown(admin_client.get(url))
        assert rows == details(list(expected), **period)
        assert sum(row["clicks"] for row in rows) == stats.total_clicks(
            start=start, end=today()
        )
    assert stats.total_clicks(start=start, end=today()) == 9


def test_domains_table_shows_share_urls_and_top_source(admin_client, data, home):
    response = admin_client.get(DOMAINS)
    rows = shown(response)
    assert [(r["domain"], r["clicks"], r["urls"]) for r in rows] == [
        ("wagtail.org", 6, 2),
        ("example.com", 2, 1),
        ("xn--bcher-kva.example", 1, 1),
    ]
    table = response.context["table"]
    assert table.value_share(6) == 66.7
    assert rows[0]["top_source"]["path"] == "/"
    assert rows[1]["top_source"]["path"] == home.url_path
    html = response.content.decode()
    assert "66.7" in html


def test_idn_domain_is_shown_readable_with_its_punycode(admin_client, data):
    html = admin_client.get(DOMAINS).content.decode()
    assert "bücher.example" in html
    assert "xn--bcher-kva.example" in html


def test_urls_table_shows_text_event_category_and_last_day(admin_client, data):
    rows = {r["url"]: r for r in shown(admin_client.get(URLS))}
    blog = rows["https://wagtail.org/blog/"]
    assert (blog["clicks"], blog["sources"], blog["text"]) == (2, 2, "Blog")
    assert (blog["event"], blog["category"]) == ("affiliate_click", "partner")
    assert blog["last_day"] == today()
    html = admin_client.get(URLS).content.decode()
    assert (
        '<a href="https://wagtail.org/blog/" target="_blank" '
        'rel="noopener noreferrer">' in html
    )


def test_exit_pages_link_titles_to_the_page_editor(admin_client, data, home):
    response = admin_client.get(PAGES)
    rows = {r["path"]: r for r in shown(response)}
    assert rows[home.url_path]["clicks"] == 3
    assert rows[home.url_path]["destinations"] == 2
    assert rows["/"]["clicks"] == 6
    html = response.content.decode()
    assert f'href="{reverse("wagtailadmin_pages:edit", args=[home.pk])}"' in html
    top = rows["/"]["top_domain"]
    assert (top["domain"], top["clicks"]) == ("wagtail.org", 5)


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("domain", ["example.com", "wagtail.org", "xn--bcher-kva.example"]),
        ("-domain", ["xn--bcher-kva.example", "wagtail.org", "example.com"]),
        ("clicks", ["xn--bcher-kva.example", "example.com", "wagtail.org"]),
        ("-urls", ["wagtail.org", "xn--bcher-kva.example", "example.com"]),
    ],
)
def test_domains_sort_by_any_column(admin_client, data, ordering, expected):
    rows = shown(admin_client.get(DOMAINS, {"ordering": ordering}))
    assert [r["domain"] for r in rows] == expected


def test_sort_links_are_in_the_headers(admin_client, data):
    html = admin_client.get(URLS, {"ordering": "-clicks"}).content.decode()
    assert 'href="?ordering=clicks"' in html
    assert 'aria-sort="descending"' in html


def test_period_presets_and_custom_range(admin_client, data):
    def total(params):
        return sum(r["clicks"] for r in shown(admin_client.get(DOMAINS, params)))

    assert total({}) == 9  # last 30 days by default
    assert total({"period": "all"}) == 10
    assert total({"period": "7"}) == 9
    assert total({"period": "90"}) == 10
    day = days_ago(40).isoformat()
    assert total({"start": day, "end": day}) == 1
    assert (
        total({"start": days_ago(3).isoformat(), "end": days_ago(1).isoformat()}) == 1
    )


def test_search_matches_url_domain_text_and_unicode_domain(admin_client, data):
    def domains(q):
        return [r["domain"] for r in shown(admin_client.get(DOMAINS, {"q": q}))]

    assert domains("docs") == ["wagtail.org"]
    assert domains("EXAMPLE.COM") == ["example.com"]
    assert domains("Bücher") == ["xn--bcher-kva.example"]
    assert domains("bücher.example") == ["xn--bcher-kva.example"]
    assert domains("nothing-like-this") == []


def test_event_and_category_filters(admin_client, data):
    rows = shown(admin_client.get(URLS, {"event": "affiliate_click"}))
    assert [(r["url"], r["clicks"]) for r in rows] == [("https://wagtail.org/blog/", 1)]
    rows = shown(admin_client.get(URLS, {"category": "partner"}))
    assert [r["clicks"] for r in rows] == [1]
    # An unknown value is refused by the form and ignored.
    assert len(shown(admin_client.get(URLS, {"event": "nope"}))) == 4


def test_site_selector_appears_and_filters_on_multi_site_installs(
    admin_client, data, home
):
    assert "site" not in admin_client.get(DOMAINS).context["form"].fields
    other = Site.objects.create(hostname="other.test", port=80, root_page=home)
    click(other, "https://only-other.example/")
    response = admin_client.get(DOMAINS)
    assert "site" in response.context["form"].fields
    rows = shown(admin_client.get(DOMAINS, {"site": other.pk}))
    assert [r["domain"] for r in rows] == ["only-other.example"]
    assert len(shown(admin_client.get(DOMAINS))) == 4


def test_drill_down_domain_to_urls_to_pages_to_destinations(admin_client, data, home):
    html = admin_client.get(DOMAINS).content.decode()
    assert f'href="{URLS}?domain=wagtail.org"' in html

    response = admin_client.get(URLS, {"domain": "wagtail.org"})
    rows = shown(response)
    assert {r["url"] for r in rows} == {
        "https://wagtail.org/docs/",
        "https://wagtail.org/blog/",
    }
    assert response.context["drilldowns"] == [("Domain", "wagtail.org", URLS)]

    blog = Link.objects.get(url="https://wagtail.org/blog/")
    assert f'href="{PAGES}?domain=wagtail.org&amp;link={blog.pk}"' in (
        response.content.decode()
    )
    rows = shown(admin_client.get(PAGES, {"link": blog.pk}))
    assert sorted(r["path"] for r in rows) == ["/", home.url_path]

    source = SourcePage.objects.get(path=home.url_path)
    rows = shown(admin_client.get(URLS, {"source": source.pk}))
    assert sorted(r["url"] for r in rows) == [
        "https://example.com/a",
        "https://wagtail.org/blog/",
    ]


def test_drill_down_is_visible_and_removable(admin_client, data):
    response = admin_client.get(URLS, {"domain": "wagtail.org", "period": "all"})
    html = response.content.decode()
    assert "w-active-filters" in html
    assert f'href="{URLS}?period=all"' in html  # the chip's remove link
    assert response.context["drilldowns"][0][2] == f"{URLS}?period=all"


def test_page_drill_down_from_the_page_admin(admin_client, data, home):
    rows = shown(admin_client.get(PAGES, {"page": home.pk}))
    assert [r["path"] for r in rows] == [home.url_path]


def test_chart_is_svg_with_title_description_and_numbers(admin_client, data):
    response = admin_client.get(DOMAINS)
    chart = response.context["chart"]
    assert len(chart["bars"]) == 30
    assert chart["total"] == 9
    assert chart["bars"][-1].clicks == 8
    html = response.content.decode()
    assert '<svg class="outbound-chart__svg"' in html
    assert '<title id="outbound-chart-title">Clicks per day</title>' in html
    assert "9 clicks from" in html
    assert "<details" in html and "<td>8</td>" in html


def test_chart_follows_the_drill_down(admin_client, data):
    chart = admin_client.get(URLS, {"domain": "example.com"}).context["chart"]
    assert chart["total"] == 2


def test_long_periods_are_charted_by_week(admin_client, data):
    chart = admin_client.get(DOMAINS, {"period": "365"}).context["chart"]
    assert chart["step"] == "week"
    assert chart["total"] == 10


def test_visitor_text_is_escaped_and_javascript_urls_are_never_links(
    admin_client, site
):
    click(site, "https://evil.example/x", text=XSS_TEXT, event="<b>e</b>")
    # A URL that the beacon would refuse, stored directly to prove the table
    # does not rely on the write path alone.
    link = Link.objects.create(
        url="javascript:alert(1)",
        url_hash=fingerprint("javascript:alert(1)"),
        domain="evil.example",
        text=XSS_TEXT,
    )
    source = SourcePage.objects.get()
    DailyClicks.objects.create(
        site=site, day=today(), link=link, source=source, clicks=1
    )
    rebuild_rollups()
    for url in (DOMAINS, URLS, PAGES):
        html = admin_client.get(url).content.decode()
        assert "<img src=x" not in html
        assert "<b>e</b>" not in html
        assert 'href="javascript:' not in html
    html = admin_client.get(URLS).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:alert(1)" in html  # shown as text


def test_empty_report_says_so(admin_client, site):
    html = admin_client.get(DOMAINS).content.decode()
    assert "No outbound clicks match these filters." in html


def test_tables_paginate_by_fifty(admin_client, site):
    bulk_seed(site, 60)
    response = admin_client.get(DOMAINS)
    assert len(shown(response)) == 50
    assert 'class="pagination"' in response.content.decode()
    assert len(shown(admin_client.get(DOMAINS, {"p": 2}))) == 10


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        DOMAINS,
        URLS,
        PAGES,
        DOMAINS + "?domain=site1.example",
        URLS + "?export=csv",
        PAGES + "?export=xlsx",
    ],
)
def test_each_table_renders_with_a_fixed_number_of_queries(
    client, django_user_model, site, url, django_assert_num_queries
):
    client.force_login(django_user_model.objects.create_superuser("admin2", "", "pw"))
    bulk_seed(site, 5)
    client.get(url)  # warm caches (site settings, content types)
    few = _count_queries(client, url)
    DailyClicks.objects.all().delete()
    Link.objects.all().delete()
    SourcePage.objects.all().delete()
    bulk_seed(site, 50)
    with django_assert_num_queries(few):
        response = client.get(url)
        if url.endswith(("csv", "xlsx")):
            b"".join(response.streaming_content) if url.endswith("csv") else None
    assert few < 25


def test_outbound_clicks_action_in_the_page_listing(admin_client, home):
    response = admin_client.get(
        reverse("wagtailadmin_explore", args=[home.get_parent().pk])
    )
    assert f'href="{PAGES}?page={home.pk}"' in response.content.decode()
