"""CSV and XLSX export: the table on screen, all rows, formulas neutralised."""

from datetime import datetime, time

import pytest
from django.urls import reverse

from tests.factories import click
from tests.reports_data import (
    XSS_TEXT,
    bulk_seed,
    csv_rows,
    seed_basic,
    today,
    xlsx_rows,
)
from wagtail_outbound.export import neutralise

DOMAINS = reverse("wagtail_outbound_reports:domains")
URLS = reverse("wagtail_outbound_reports:urls")
PAGES = reverse("wagtail_outbound_reports:pages")
# Dates relative to today run on a fixed day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain =1", "plain =1"),
        ("", ""),
        (5, 5),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_export_is_the_domains_table(admin_client, site, home):
    seed_basic(site, home)
    response = admin_client.get(DOMAINS, {"export": "csv", "ordering": "domain"})
    assert "attachment" in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["Domain", "Clicks", "% of clicks", "URLs", "Top source page"],
        ["example.com", "2", "22.2", "1", home.url_path],
        ["wagtail.org", "6", "66.7", "2", "/"],
        ["bücher.example (xn--bcher-kva.example)", "1", "11.1", "1", "/"],
    ]


def test_xlsx_export_has_typed_cells(admin_client, site, home):
    seed_basic(site, home)
    response = admin_client.get(URLS, {"export": "xlsx", "domain": "example.com"})
    rows = xlsx_rows(response)
    assert rows[0] == [
        "URL",
        "Domain",
        "Link text",
        "Event",
        "Category",
        "Clicks",
        "Source pages",
        "Last clicked",
        "In content",
    ]
    assert rows[1][:3] == ["https://example.com/a", "example.com", "A"]
    assert rows[1][5:7] == [2, 1]
    assert rows[1][7] in (today(), datetime.combine(today(), time()))
    assert rows[1][8] == 0  # pages holding it: in no content
    assert len(rows) == 2


def test_export_has_all_rows_not_just_the_page(admin_client, site):
    bulk_seed(site, 60)
    rows = csv_rows(admin_client.get(PAGES, {"export": "csv"}))
    assert len(rows) == 61
    assert rows[1][1:4] == ["/bulk-59/", "60", "1"]


def test_export_follows_filters_and_sorting(admin_client, site, home):
    seed_basic(site, home)
    rows = csv_rows(
        admin_client.get(URLS, {"export": "csv", "q": "wagtail", "ordering": "clicks"})
    )
    assert [row[0] for row in rows[1:]] == [
        "https://wagtail.org/blog/",
        "https://wagtail.org/docs/",
    ]


def test_export_buttons_carry_the_filters_as_understood(admin_client, site, home):
    seed_basic(site, home)
    response = admin_client.get(
        URLS,
        {"q": "wagtail", "ordering": "-text", "link": str(2**70), "per_page": "9"},
    )
    # In the header's menu, as on Wagtail's reports; the refused drill-down
    # and the unknown parameter are left out.
    view = response.context["view"]
    assert view.csv_export_url == f"{URLS}?q=wagtail&ordering=-text&export=csv"
    assert view.xlsx_export_url == f"{URLS}?q=wagtail&ordering=-text&export=xlsx"
    html = response.content.decode()
    assert f'href="{URLS}?q=wagtail&amp;ordering=-text&amp;export=csv"' in html


def test_formulas_from_visitors_are_neutralised_in_both_formats(admin_client, site):
    click(
        site,
        "https://calc.example/",
        text='=HYPERLINK("https://evil.example","x")',
        event="+cmd",
        category="@SUM(1)",
    )
    click(site, "https://calc.example/other", text=XSS_TEXT, event="-2")
    csv_data = csv_rows(admin_client.get(URLS, {"export": "csv", "ordering": "url"}))
    assert csv_data[1][2:5] == [
        '\'=HYPERLINK("https://evil.example","x")',
        "'+cmd",
        "'@SUM(1)",
    ]
    assert csv_data[2][2:4] == [XSS_TEXT, "'-2"]
    xlsx_data = xlsx_rows(admin_client.get(URLS, {"export": "xlsx", "ordering": "url"}))
    assert xlsx_data[1][2:5] == csv_data[1][2:5]
    assert xlsx_data[2][3] == "'-2"


def test_overflow_rows_are_named_in_both_formats(admin_client, site):
    from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
    from wagtail_outbound.rollups import rebuild as rebuild_rollups

    link = Link.objects.create(url="", url_hash=fingerprint(""), domain="")
    source = SourcePage.objects.create(site=site, path="", path_hash=fingerprint(""))
    DailyClicks.objects.create(
        site=site, day=today(), link=link, source=source, event="(other)", clicks=1
    )
    rebuild_rollups()
    assert csv_rows(admin_client.get(DOMAINS, {"export": "csv"}))[1][0] == (
        "Other domains"
    )
    row = csv_rows(admin_client.get(URLS, {"export": "csv"}))[1]
    assert row[0] == "Other links (over the daily limit of new links)"
    assert row[1] == "Other domains"
    assert row[3] == "(other)"
    row = xlsx_rows(admin_client.get(PAGES, {"export": "xlsx"}))[1]
    assert row[1] == "Other pages"
    assert row[4] == "Other domains"
