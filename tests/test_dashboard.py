"""The dashboard panel "Top outbound domains" and the summary item."""

import pytest
from django.urls import reverse

from tests.factories import click
from tests.reports_data import bulk_seed, days_ago, today

# Dates relative to today run on a fixed day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_today")


def panel_rows(response):
    for panel in response.context["panels"]:
        if panel.name == "outbound_top_domains":
            return panel.get_context_data({})["rows"]
    raise AssertionError("no outbound panel")


@pytest.mark.calendar
def test_panel_lists_top_ten_domains_of_the_last_30_days(admin_client, site):
    bulk_seed(site, 12)
    click(site, "https://old.example/", 50, day=days_ago(30))  # outside the window
    rows = panel_rows(admin_client.get(reverse("wagtailadmin_home")))
    assert [row["domain"] for row in rows] == [
        f"site{i}.example" for i in range(11, 1, -1)
    ]
    assert rows[0]["clicks"] == 12


@pytest.mark.calendar
def test_panel_shows_change_against_previous_30_days(admin_client, site):
    click(site, "https://up.example/", 5)
    click(site, "https://up.example/", 2, day=days_ago(45))
    click(site, "https://down.example/", 1, day=days_ago(29))
    click(site, "https://down.example/", 4, day=days_ago(30))
    click(site, "https://new.example/", 3)
    response = admin_client.get(reverse("wagtailadmin_home"))
    changes = {
        row["domain"]: (row["clicks"], row["change"]) for row in panel_rows(response)
    }
    assert changes == {
        "up.example": (5, 3),
        "new.example": (3, 3),
        "down.example": (1, -3),
    }
    html = response.content.decode()
    assert "+3" in html and ">-3<" in html
    assert "new" in html
    assert 'href="/admin/outbound/urls/?domain=up.example&amp;period=30"' in html


def test_panel_escapes_domains_and_shows_idn_readably(admin_client, site):
    click(site, "https://xn--bcher-kva.example/")
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "bücher.<wbr>example" in html


def test_panel_lets_long_domains_wrap_only_after_dots(admin_client, site):
    click(site, "https://documentation-reference.longsubdomainname.example.org/")
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert (
        ">documentation-reference.<wbr>longsubdomainname.<wbr>example.<wbr>org</a>"
        in html
    )


@pytest.mark.calendar
def test_summary_item_counts_this_months_clicks(admin_client, site):
    click(site, "https://a.example/", 3)
    last_month = today().replace(day=1) - days_ago(0).resolution
    click(site, "https://a.example/", 7, day=last_month)
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "3 outbound clicks" in html
    start = today().replace(day=1).isoformat()
    assert (
        f'href="/admin/outbound/?start={start}&amp;end={today().isoformat()}"' in html
    )


def test_panel_says_when_there_is_nothing(admin_client, site):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    # In a paragraph that reports.css insets like the table's cells.
    assert (
        '<p class="outbound-dashboard__message">'
        "No outbound clicks in the last 30 days.</p>"
    ) in html
    assert 'href="/static/wagtail_outbound/reports.css' in html


def test_panel_names_the_overflow_row_without_a_link(admin_client, site):
    from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
    from wagtail_outbound.rollups import rebuild as rebuild_rollups

    link = Link.objects.create(url="", url_hash=fingerprint(""), domain="")
    source = SourcePage.objects.create(site=site, path="", path_hash=fingerprint(""))
    DailyClicks.objects.create(
        site=site, day=today(), link=link, source=source, clicks=4
    )
    rebuild_rollups()
    response = admin_client.get(reverse("wagtailadmin_home"))
    rows = panel_rows(response)
    assert [(row["readable"], row["url"]) for row in rows] == [("Other domains", None)]
    html = response.content.decode()
    assert "Other domains" in html
    assert "?domain=&amp;" not in html and 'urls/?period=30"' not in html


def test_month_and_30_days_follow_the_project_time_zone(
    client, django_user_model, site, settings
):
    from datetime import date, datetime
    from datetime import timezone as dt_timezone
    from unittest import mock

    from wagtail.users.models import UserProfile

    settings.TIME_ZONE = "UTC"
    # 23:30 in UTC on 31 March is already 1 April in Auckland.
    moment = datetime(2026, 3, 31, 23, 30, tzinfo=dt_timezone.utc)
    click(site, "https://a.example/", 3, day=date(2026, 3, 31))
    click(site, "https://a.example/", 2, day=date(2026, 3, 2))  # 30th day back
    user = django_user_model.objects.create_superuser("kiwi", "", "pw")
    profile = UserProfile.get_for_user(user)
    profile.current_time_zone = "Pacific/Auckland"
    profile.save()
    client.force_login(user)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        response = client.get(reverse("wagtailadmin_home"))
        rows = panel_rows(response)
    assert [(row["domain"], row["clicks"]) for row in rows] == [("a.example", 5)]
    html = response.content.decode()
    assert "5 outbound clicks" in html
    assert 'href="/admin/outbound/?start=2026-03-01&amp;end=2026-03-31"' in html
