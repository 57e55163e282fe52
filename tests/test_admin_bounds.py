"""Every admin input is bounded: no report parameter, however hostile, answers
500, runs for long or builds a huge page, and no stored setting stops
``outbound_prune``.

The property test sends Hypothesis-generated query strings to each report tab,
its drill-downs and both exports (in CI, the "ci" profile of tests/conftest.py:
the same examples on every run; ``--hypothesis-seed=random`` explores further;
locally, the "dev" profile: fewer, random ones).
"""

import csv
import datetime
import io
import logging
import time
from urllib.parse import quote_from_bytes, urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import Page, Site

from tests.reports_data import seed_basic
from wagtail_outbound import periods, retention
from wagtail_outbound.filters import EARLIEST, latest_day
from wagtail_outbound.models import (
    DailyClicks,
    Link,
    OutboundSettings,
    SourcePage,
    fingerprint,
)
from wagtail_outbound.rollups import rebuild as rebuild_rollups

DOMAINS = reverse("wagtail_outbound_reports:domains")
URLS = reverse("wagtail_outbound_reports:urls")
PAGES = reverse("wagtail_outbound_reports:pages")
TABS = [DOMAINS, URLS, PAGES]
LINKS = reverse("wagtail_outbound_reports:links")
# Dates relative to today run on a fixed day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_today")
# Per tab, in CI; in proportion to the profile's examples elsewhere (each
# one is a page of the admin, so fewer than the profile's).
EXAMPLES = max(
    1, 60 * settings.default.max_examples // settings.get_profile("ci").max_examples
)
# Bounds a request must stay within, whatever it asks for.
MAX_QUERIES = 45
MAX_HTML_BYTES = 400_000
MAX_SECONDS = 5


@pytest.fixture
def data(site, home):
    seed_basic(site, home)
    # A second site, so the site selector (and its parameter) exists.
    Site.objects.create(hostname="other.test", port=80, root_page=home)
    return site


def shown(response):
    return [row.record for row in response.context["table"].page.object_list]


def errors(response):
    """The refused values' errors, of the filters and of the search box."""
    return {
        **response.context["filters"].form.errors,
        **response.context["search_form"].errors,
    }


# Named failures of the issue, one by one.


def test_a_range_ending_in_year_9999_is_refused_and_falls_back(admin_client, data):
    response = admin_client.get(DOMAINS, {"start": "2026-01-01", "end": "9999-12-31"})
    assert response.status_code == 200
    assert "Enter a date from 2000-01-01 to" in str(errors(response)["dates"])
    assert response.context["period"] == "30"  # the default period
    assert response.context["end"] == periods.today()
    assert "Enter a date from 2000-01-01" in response.content.decode()


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "2026-01-01"), ("1999-12-31", None), (None, "9999-12-31")],
)
def test_dates_outside_the_bounds_are_refused(admin_client, data, start, end):
    params = {k: v for k, v in {"start": start, "end": end}.items() if v}
    response = admin_client.get(URLS, params)
    assert response.status_code == 200
    assert set(errors(response)) == {"dates"}
    assert response.context["start"] >= EARLIEST


def test_the_bounds_themselves_are_accepted(admin_client, data):
    response = admin_client.get(
        DOMAINS, {"start": EARLIEST.isoformat(), "end": "2009-12-31"}
    )
    assert not errors(response)
    response = admin_client.get(DOMAINS, {"end": latest_day().isoformat()})
    assert not errors(response)
    assert response.context["end"] == latest_day()


def test_a_custom_range_covers_at_most_ten_years(admin_client, data):
    response = admin_client.get(DOMAINS, {"start": "2001-01-01", "end": "2011-01-01"})
    assert "at most 10 years" in str(errors(response)["dates"])
    assert response.context["period"] == "30"


def test_a_range_over_millennia_is_cheap(admin_client, data):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = admin_client.get(
            DOMAINS, {"start": "0001-01-01", "end": "9999-12-31"}
        )
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(queries) < MAX_QUERIES
    assert len(response.content) < MAX_HTML_BYTES
    assert elapsed < MAX_SECONDS


@pytest.mark.parametrize("name", ["link", "source", "page"])
@pytest.mark.parametrize("value", [str(2**64), str(2**63), "-1", "0", "1e99"])
def test_drill_down_ids_beyond_their_columns_are_refused(
    admin_client, data, name, value
):
    for tab in TABS:
        response = admin_client.get(tab, {name: value, "period": "all"})
        assert response.status_code == 200
        assert name in errors(response)
        assert len(shown(response)) > 0  # ignored: the report is not narrowed
        assert "This drill-down is ignored." in response.content.decode()
    response = admin_client.get(URLS, {name: value, "export": "csv"})
    assert response.status_code == 200


def test_page_ids_are_bounded_by_the_page_id_column(admin_client, data):
    response = admin_client.get(PAGES, {"page": str(2**31)})
    assert "page" in errors(response)
    response = admin_client.get(PAGES, {"page": str(2**31 - 1)})
    assert not errors(response)
    assert shown(response) == []
    response = admin_client.get(PAGES, {"link": str(2**63 - 1)})
    assert not errors(response)
    assert shown(response) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("q", "x" * 256),
        ("q", "a\x00b"),
        ("domain", "d" * 254),
        ("event", "e" * 65),
        ("category", "c" * 65),
        ("site", str(2**70)),
        ("period", "100000"),
    ],
)
def test_text_and_choice_values_are_bounded(admin_client, data, name, value):
    response = admin_client.get(DOMAINS, {name: value})
    assert response.status_code == 200
    assert name in errors(response)


@pytest.mark.parametrize(
    "params",
    [
        {"p": "0"},
        {"p": "-3"},
        {"p": str(10**30)},
        {"p": "9" * 5000},
        {"p": "x"},
        {"per_page": "0"},
        {"per_page": str(10**9)},
        {"ordering": "url,-domain"},
        {"ordering": "nope"},
        {"ordering": "-" * 1000},
        {"ordering": "title"},  # not sortable
        {"export": "pdf"},
    ],
)
def test_paging_sorting_and_export_values_are_bounded(admin_client, data, params):
    for tab in TABS:
        response = admin_client.get(tab, params)
        assert response.status_code == 200
        assert len(shown(response)) <= 50
        assert 'name="ordering" value="-' not in response.content.decode()


# Every parameter at once, generated.

HUGE = [str(2**63), str(2**64), str(10**40), "9" * 400, "-1", "0", "-" + "9" * 30]
DAYS = ["9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "1999-12-31"]
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300
)  # every character a query string can carry, NUL included


def hostile(*typical):
    return st.one_of(
        st.sampled_from([*typical, *HUGE, *DAYS, "", "\x00", "ä" * 70]),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates(
            min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)
        ).map(datetime.date.isoformat),
        TEXT,
        st.text(max_size=3000),
    )


def query_strings(ids, site_ids):
    near = [
        (periods.today() - datetime.timedelta(days=n)).isoformat()
        for n in (0, 3, 40, 400)
    ]
    ordering = ["url", "-domain", "clicks", "-urls", "path", "-destinations"]
    values = {
        "period": hostile("7", "30", "90", "365", "all", "custom"),
        "start": hostile(*near),
        "end": hostile(*near),
        "site": hostile(*site_ids),
        "q": hostile("wagtail", "bücher"),
        "event": hostile("affiliate_click"),
        "category": hostile("partner"),
        "domain": hostile("wagtail.org", "xn--bcher-kva.example"),
        "link": hostile(*ids["link"]),
        "source": hostile(*ids["source"]),
        "page": hostile(*ids["page"]),
        "health": hostile("broken", "redirected", "unknown"),
        "clicked": hostile("yes", "no"),
        "content": hostile("gone", "all"),
        "ordering": hostile(*ordering, "pages", "-status", "checked"),
        "p": hostile("1", "2"),
        "per_page": hostile("10"),
        "export": st.sampled_from(["", "", "csv", "xlsx", "pdf", "\x00"]),
    }
    # Values are sent as UTF-8 or as raw bytes that are not UTF-8 at all.
    raw = st.binary(max_size=40).map(quote_from_bytes)
    return (
        st.dictionaries(
            st.sampled_from(sorted(values)), st.just(None), max_size=len(values)
        )
        .flatmap(
            lambda chosen: st.tuples(
                *(
                    st.tuples(st.just(name), values[name].map(_quote) | raw)
                    for name in chosen
                )
            )
        )
        .map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs))
    )


def _quote(value):
    return urlencode({"": value})[1:]


def _consume(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.slow
@pytest.mark.parametrize("tab", [*TABS, LINKS])
def test_no_report_parameter_fails_or_runs_away(admin_client, data, home, tab):
    ids = {
        "link": [str(pk) for pk in Link.objects.values_list("pk", flat=True)],
        "source": [str(pk) for pk in SourcePage.objects.values_list("pk", flat=True)],
        "page": [str(home.pk)],
    }
    site_ids = [str(pk) for pk in Site.objects.values_list("pk", flat=True)]
    runs = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(query=query_strings(ids, site_ids))
    def check(query):
        runs.append(query)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = admin_client.get(tab, QUERY_STRING=query)
            body = _consume(response)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, query
        assert len(queries) < MAX_QUERIES, query
        assert len(body) < MAX_HTML_BYTES, query
        assert elapsed < MAX_SECONDS, query

    check()
    assert len(runs) >= EXAMPLES


# Retention: a site's setting is bounded in the admin, and a value stored
# before that does not stop the others from being pruned.


def settings_url(site):
    return reverse(
        "wagtailsettings:edit", args=["wagtail_outbound", "outboundsettings", site.pk]
    )


def settings_form(**changes):
    return {
        "enabled": "on",
        "internal_domains": "",
        "excluded_domains": "",
        "query_strings": "keep",
        "dropped_parameters": "",
        "respect_privacy_signals": "on",
        "retention_days": "365",
        **changes,
    }


@pytest.mark.parametrize("days", ["740000", "3651", str(2**31)])
def test_the_settings_form_refuses_a_retention_beyond_ten_years(
    admin_client, site, days
):
    response = admin_client.post(settings_url(site), settings_form(retention_days=days))
    assert response.status_code == 200  # the form again, with its error
    assert "retention_days" in response.context["form"].errors
    assert not OutboundSettings.objects.filter(retention_days=int(days)).exists()


def test_the_settings_form_accepts_ten_years(admin_client, site):
    response = admin_client.post(
        settings_url(site), settings_form(retention_days="3650")
    )
    assert response.status_code == 302
    assert OutboundSettings.for_site(site).retention_days == 3650


def _old_click(site, day):
    url = f"https://site{site.pk}.example/"
    link, _ = Link.objects.get_or_create(
        url_hash=fingerprint(url), defaults={"url": url, "domain": url[8:-1]}
    )
    source, _ = SourcePage.objects.get_or_create(
        site=site, path_hash=fingerprint("/"), defaults={"path": "/"}
    )
    DailyClicks.objects.create(site=site, day=day, link=link, source=source, clicks=1)


@pytest.mark.parametrize("days", [740_000, 2**31 - 1])
def test_a_huge_stored_retention_does_not_stop_pruning_other_sites(
    site, home, caplog, days
):
    root = Page.get_first_root_node()
    other = Site.objects.create(
        hostname="other.test",
        port=80,
        root_page=root.add_child(instance=Page(title="Other", slug="other")),
    )
    today = datetime.date(2026, 11, 27)
    for each in (site, other):
        OutboundSettings.for_site(each).save()
        _old_click(each, today - datetime.timedelta(days=400))
        _old_click(each, today)
    rebuild_rollups()
    # Stored directly, as before the form refused it.
    OutboundSettings.objects.filter(site=site).update(retention_days=days)
    with caplog.at_level(logging.WARNING, logger="wagtail_outbound.retention"):
        counts = retention.prune(today=today)
    assert counts["wagtail_outbound.DailyClicks"] == 1
    assert sorted(
        DailyClicks.objects.filter(site=other).values_list("day", flat=True)
    ) == [today]
    assert DailyClicks.objects.filter(site=site).count() == 2  # all kept
    assert f"Site {site.pk} keeps {days} days" in caplog.text


def test_first_kept_day_never_overflows():
    today = datetime.date(2026, 11, 27)
    assert retention.first_kept_day(today, 740_000) == datetime.date.min
    assert retention.first_kept_day(today, 10**12) == datetime.date.min
    assert retention.first_kept_day(today, 365) == datetime.date(2025, 11, 27)


def test_exports_of_a_hostile_query_are_spreadsheets(admin_client, data):
    response = admin_client.get(
        URLS, {"export": "csv", "end": "9999-12-31", "link": str(2**70), "q": "\x00"}
    )
    rows = list(csv.reader(io.StringIO(_consume(response).decode())))
    assert rows[0][0] == "URL"
