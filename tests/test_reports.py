"""The Outbound links report: tables, filters, drill-down, chart and escaping."""

import re
from contextlib import contextmanager
from datetime import date, datetime
from datetime import timezone as dt_timezone
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Site

from tests.factories import click, labels
from tests.reports_data import (
    XSS_TEXT,
    bulk_seed,
    days_ago,
    seed_basic,
    today,
)
from wagtail_outbound import stats
from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
from wagtail_outbound.rollups import rebuild as rebuild_rollups

DOMAINS = reverse("wagtail_outbound_reports:domains")
URLS = reverse("wagtail_outbound_reports:urls")
PAGES = reverse("wagtail_outbound_reports:pages")
# Dates relative to today run on a fixed day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_today")


def shown(response):
    """The row dictionaries on the page, as the table holds them."""
    table = response.context["table"]
    return [row.record for row in table.page.object_list]


def pills(response):
    """``(label, value, URL of the results without it)`` of the active filters
    and drill-downs, as Wagtail's pills show them."""
    return [
        (str(pill.field_label), pill.value, pill.removed_filter_url)
        for pill in response.context["view"].active_filters
    ]


def filter_form(response):
    return response.context["filters"].form


@pytest.fixture
def data(site, home):
    seed_basic(site, home)
    return site


@pytest.mark.calendar
def test_every_table_matches_stats(admin_client, data):
    start = days_ago(29)
    filters = stats.Filters(start=start, end=today())
    expectations = [
        (DOMAINS, stats.domains(filters)),
        (URLS, stats.urls(filters)),
        (PAGES, stats.exit_pages(filters)),
    ]
    for url, report in expectations:
        rows = shown(admin_client.get(url))
        assert rows == report.top()
        assert sum(row["clicks"] for row in rows) == stats.total(filters)
    assert stats.total(filters) == 9


def test_domains_table_shows_share_urls_and_top_source(admin_client, data, home):
    response = admin_client.get(DOMAINS)
    rows = shown(response)
    assert [(r["domain"], r["clicks"], r["urls"]) for r in rows] == [
        ("wagtail.org", 6, 2),
        ("example.com", 2, 1),
        ("xn--bcher-kva.example", 1, 1),
    ]
    assert rows[0]["top_source"]["path"] == "/"
    assert rows[1]["top_source"]["path"] == home.url_path
    html = response.content.decode()
    assert "<td>66.7%</td>" in html


def test_idn_domain_is_shown_readable_with_its_punycode(admin_client, data):
    html = admin_client.get(DOMAINS).content.decode()
    # Both may wrap after their dots only.
    assert "bücher.<wbr>example" in html
    assert "xn--bcher-kva.<wbr>example" in html


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
    assert f'href="{URLS}?ordering=clicks"' in html
    assert 'aria-sort="descending"' in html
    # From the results refreshed in place, the links lead to the page.
    html = admin_client.get(URLS + "results/", {"ordering": "-clicks"})
    assert f'href="{URLS}?ordering=clicks"' in html.content.decode()


@pytest.mark.calendar
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
    # Any value may be typed, not only the menu's: an unknown one matches nothing.
    assert shown(admin_client.get(URLS, {"event": "nope"})) == []
    # Longer than a stored label: refused with a message, and ignored.
    response = admin_client.get(URLS, {"event": "x" * 65})
    assert len(shown(response)) == 4
    assert filter_form(response).errors["event"]
    assert "This filter is ignored." in response.content.decode()


def test_site_selector_appears_and_filters_on_multi_site_installs(
    admin_client, data, home
):
    assert "site" not in filter_form(admin_client.get(DOMAINS)).fields
    other = Site.objects.create(hostname="other.test", port=80, root_page=home)
    click(other, "https://only-other.example/")
    response = admin_client.get(DOMAINS)
    assert "site" in filter_form(response).fields
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
    assert pills(response) == [
        ("Domain", "wagtail.org", f"{URLS}results/?_w_filter_fragment=1")
    ]

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
    # The pill's remove button refreshes the results without the drill-down.
    without = f"{URLS}results/?period=all&_w_filter_fragment=1"
    assert pills(response) == [
        (
            "Period",
            "All time",
            f"{URLS}results/?domain=wagtail.org&_w_filter_fragment=1",
        ),
        ("Domain", "wagtail.org", without),
    ]
    assert f'data-w-swap-src-value="{without.replace("&", "&amp;")}"' in html
    # The header's form keeps the drill-down for the next search or filter.
    assert '<input type="hidden" name="domain" value="wagtail.org">' in html


def test_page_drill_down_from_the_page_admin(admin_client, data, home):
    rows = shown(admin_client.get(PAGES, {"page": home.pk}))
    # "/" too: the server finds that the home page (the site's root) serves it.
    assert sorted(r["path"] for r in rows) == ["/", home.url_path]


@pytest.mark.calendar
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


@pytest.mark.calendar
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
    assert "60 domains" in response.content.decode()  # Wagtail's count, named
    assert len(shown(admin_client.get(DOMAINS, {"p": 2}))) == 10
    # Beyond the end: the last page; not a number: the first.
    assert len(shown(admin_client.get(DOMAINS, {"p": 99}))) == 10
    assert len(shown(admin_client.get(DOMAINS, {"p": "x"}))) == 50


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
        # Sorted by a detail column: every row's details, read at once.
        DOMAINS + "?ordering=-urls",
        URLS + "?ordering=text",
        PAGES + "?ordering=destinations",
        # The results alone, as the header's search and filters fetch them.
        URLS + "results/?q=site",
    ],
)
def test_each_table_renders_with_a_fixed_number_of_queries(
    client, django_user_model, site, url, django_assert_num_queries, settings
):
    # Rows are written directly; the look for pending clicks is time-gated.
    settings.WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST = False
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
    assert few < 30


def test_outbound_clicks_action_in_the_page_listing(admin_client, home):
    response = admin_client.get(
        reverse("wagtailadmin_explore", args=[home.get_parent().pk])
    )
    assert f'href="{PAGES}?page={home.pk}"' in response.content.decode()


# One clock: the project's TIME_ZONE, whatever the viewer's.


def _frozen(moment):
    """Patch the clock Django reads (``timezone.now``) to ``moment``."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _write(site, url, day, clicks, *, path="/", event="", category=""):
    link, _ = Link.objects.get_or_create(
        url_hash=fingerprint(url),
        defaults={"url": url, "domain": url.split("/")[2] if url else ""},
    )
    source, _ = SourcePage.objects.get_or_create(
        site=site, path_hash=fingerprint(path), defaults={"path": path}
    )
    labels(site, day, [event] if event else [], [category] if category else [])
    return DailyClicks.objects.create(
        site=site,
        day=day,
        link=link,
        source=source,
        event=event,
        category=category,
        clicks=clicks,
    )


def test_users_in_different_time_zones_see_the_same_last_7_days(
    client, django_user_model, site, settings
):
    from wagtail.users.models import UserProfile

    settings.TIME_ZONE = "UTC"
    # 23:30 in UTC on 10 March is already 11 March in Auckland (UTC+13).
    moment = datetime(2026, 3, 10, 23, 30, tzinfo=dt_timezone.utc)
    _write(site, "https://a.example/", date(2026, 3, 4), 2)  # 7th day back
    _write(site, "https://a.example/", date(2026, 3, 10), 3)
    rebuild_rollups()
    seen = {}
    for name, zone in (("london", "Europe/London"), ("auckland", "Pacific/Auckland")):
        user = django_user_model.objects.create_superuser(name, "", "pw")
        profile = UserProfile.get_for_user(user)
        profile.current_time_zone = zone
        profile.save()
        client.force_login(user)
        with _frozen(moment):
            response = client.get(DOMAINS, {"period": "7"})
        seen[name] = (
            sum(row["clicks"] for row in shown(response)),
            response.context["chart"]["total"],
            response.context["end"],
        )
    assert seen["london"] == seen["auckland"] == (5, 5, date(2026, 3, 10))


# Event and category menus stay bounded whatever the number of labels.

FORGED = 20_000


@pytest.mark.slow
def test_twenty_thousand_labels_keep_the_report_small(
    admin_client, site, django_assert_max_num_queries
):
    link = Link.objects.create(
        url="https://x.example/",
        url_hash=fingerprint("https://x.example/"),
        domain="x.example",
    )
    source = SourcePage.objects.create(site=site, path="/", path_hash=fingerprint("/"))
    DailyClicks.objects.bulk_create(
        DailyClicks(
            site=site,
            day=today(),
            link=link,
            source=source,
            event=f"forged-event-{i:05d}-{'x' * 40}",
            category=f"forged-category-{i:05d}-{'x' * 37}",
            clicks=1,
        )
        for i in range(FORGED)
    )
    labels(
        site,
        today(),
        [f"forged-event-{i:05d}-{'x' * 40}" for i in range(FORGED)],
        [f"forged-category-{i:05d}-{'x' * 37}" for i in range(FORGED)],
    )
    _write(site, "https://x.example/", today(), 50, event="popular", category="top")
    rebuild_rollups()
    admin_client.get(DOMAINS)  # warm caches
    with django_assert_max_num_queries(35):
        response = admin_client.get(DOMAINS)
    html = response.content.decode()
    assert len(html) < 200_000  # 4.4 MB before the menus were bounded
    assert html.count("<option value=") <= 2 * stats.LABEL_MENU_SIZE + 20
    assert html.count("forged-event-") <= stats.LABEL_MENU_SIZE
    assert '<option value="popular">' in html and '<option value="top">' in html
    # A label beyond the menu can still be typed and filters exactly.
    rare = f"forged-event-12345-{'x' * 40}"
    rows = shown(admin_client.get(URLS, {"event": rare}))
    assert [row["clicks"] for row in rows] == [1]


# Overflow rows: clicks beyond a site's daily budget of new keys.


@pytest.fixture
def overflow(site):
    _write(site, "https://known.example/", today(), 2, path="/known/")
    _write(site, "", today(), 5, path="", event="(other)", category="(other)")
    rebuild_rollups()
    return (
        Link.objects.get(url=""),
        SourcePage.objects.get(path=""),
    )


def test_overflow_rows_are_named_and_sortable(admin_client, overflow):
    link, source = overflow
    html = admin_client.get(DOMAINS).content.decode()
    assert "Other domains" in html
    assert f'href="{URLS}"' not in html.split("<tbody>")[1]  # no empty drill-down
    assert 'href="?domain=' not in html
    for ordering in ("domain", "-domain", "urls", "-clicks"):
        rows = shown(admin_client.get(DOMAINS, {"ordering": ordering}))
        assert {row["domain"] for row in rows} == {"", "known.example"}

    html = admin_client.get(URLS).content.decode()
    assert "Other links (over the daily limit of new links)" in html
    assert "(other)" in html
    for ordering in ("url", "-url", "domain", "-event", "sources"):
        rows = shown(admin_client.get(URLS, {"ordering": ordering}))
        assert {row["url"] for row in rows} == {"", "https://known.example/"}
    assert shown(admin_client.get(URLS, {"ordering": "url"}))[0]["url"] == ""

    html = admin_client.get(PAGES).content.decode()
    assert "Other pages" in html
    assert f'href="{URLS}?source={source.pk}"' in html  # its drill-down works
    rows = shown(admin_client.get(URLS, {"source": source.pk}))
    assert [(row["url"], row["clicks"]) for row in rows] == [("", 5)]

    response = admin_client.get(PAGES, {"link": link.pk, "period": "all"})
    assert pills(response)[-1][:2] == (
        "URL",
        "Other links (over the daily limit of new links)",
    )
    response = admin_client.get(URLS, {"source": source.pk})
    assert pills(response)[0][:2] == ("Exit page", "Other pages")
    response = admin_client.get(URLS, {"event": "(other)"})
    assert [row["clicks"] for row in shown(response)] == [5]


# On Wagtail's report views: the page's parts and what each costs.


@contextmanager
def details_calls(report_class):
    """``(rows, every)`` of each call of ``report_class.details``."""
    calls = []
    original = report_class.details

    def details(report, rows, every=False):
        calls.append((len(rows), every))
        return original(report, rows, every=every)

    with mock.patch.object(report_class, "details", details):
        yield calls


@pytest.mark.parametrize(
    ("params", "calls"),
    [
        ({}, [(50, False)]),  # the page shown, 50 of 60
        ({"p": "2"}, [(10, False)]),
        ({"ordering": "clicks"}, [(50, False)]),  # ranked in the database
        ({"ordering": "domain"}, [(50, False)]),
        ({"ordering": "-urls"}, [(60, True)]),  # a detail: every row, at once
    ],
)
def test_only_the_rows_shown_get_their_details(admin_client, site, params, calls):
    bulk_seed(site, 60)
    with details_calls(stats.DomainReport) as seen:
        response = admin_client.get(DOMAINS, params)
    assert seen == calls
    assert all("urls" in row for row in shown(response))


def test_exports_read_every_row_with_its_details_once(admin_client, site):
    bulk_seed(site, 60)
    with details_calls(stats.UrlReport) as seen:
        response = admin_client.get(URLS, {"export": "csv"})
        b"".join(response.streaming_content)
    assert seen == [(60, True)]


def test_text_columns_sort_case_insensitively(admin_client, site):
    for text in ("banana", "Cherry", "apple", "Apricot"):
        click(site, f"https://{text.lower()}.example/", text=text)
    rows = shown(admin_client.get(URLS, {"ordering": "text"}))
    assert [row["text"] for row in rows] == ["apple", "Apricot", "banana", "Cherry"]
    rows = shown(admin_client.get(URLS, {"ordering": "-text"}))
    assert [row["text"] for row in rows] == ["Cherry", "banana", "Apricot", "apple"]


def test_dates_follow_the_viewers_language(client, django_user_model, data):
    from wagtail.users.models import UserProfile

    user = django_user_model.objects.create_superuser("lena", "", "pw")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "de"
    profile.save()
    client.force_login(user)
    first = today().replace(day=1)
    response = client.get(URLS, {"start": first.isoformat()})
    html = response.content.decode()
    assert f"<td>{today():%d.%m.%Y}</td>" in html  # "Last clicked"
    assert pills(response)[0][1] == (
        f"{first.day}. {_german_month(first)} {first.year} - alle"
    )


def _german_month(day):
    from django.utils import translation
    from django.utils.dates import MONTHS

    with translation.override("de"):
        return str(MONTHS[day.month])


def test_search_and_filters_are_wagtails_header_controls(admin_client, data):
    html = admin_client.get(URLS, {"domain": "wagtail.org"}).content.decode()
    header = html.split("</header>")[0]
    # The search box, labelled, with a placeholder short enough to show whole.
    assert 'placeholder="Search links"' in header
    assert "Search URLs, domains and link text" in header
    # The filter menu lists the filters; the drill-down travels hidden.
    toggles = re.findall(r'aria-controls="drilldown-id_(\w+)"', header)
    assert toggles == ["period", "dates", "event", "category"]
    assert '<input type="hidden" name="domain" value="wagtail.org">' in header
    # The dates are sent only with the period "Custom range".
    assert 'data-w-rules="{&quot;period&quot;: [&quot;custom&quot;]}"' in header


def test_results_refresh_in_place_with_the_tabs_and_exports(admin_client, data):
    response = admin_client.get(
        URLS + "results/", {"q": "wagtail", "domain": "wagtail.org", "period": "7"}
    )
    html = response.content.decode()
    assert "<html" not in html  # the results alone
    assert [row["url"] for row in shown(response)] == [
        "https://wagtail.org/docs/",
        "https://wagtail.org/blog/",
    ]
    # The tabs keep the filters.
    assert f'href="{PAGES}?period=7&amp;domain=wagtail.org&amp;q=wagtail"' in html
    # The hidden inputs of the header's form follow the results.
    assert 'data-w-teleport-target-value="#outbound-kept-fields"' in html
    # So do the export buttons.
    assert f"{URLS}?period=7&amp;domain=wagtail.org&amp;q=wagtail&amp;export=csv" in (
        html
    )


def test_the_labels_menus_suggest_the_most_clicked(admin_client, data):
    html = admin_client.get(URLS).content.decode()
    assert '<datalist id="id_event-suggestions">' in html
    assert '<option value="affiliate_click"></option>' in html
    assert '<option value="partner"></option>' in html
