"""Per-site tracking settings: the admin form, the tracker, the endpoint."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import beacon, send
from tests.testapp.models import ArticlePage
from wagtail_outbound import stats
from wagtail_outbound.models import OutboundSettings
from wagtail_outbound.site_config import config_for_site


def settings_url(site):
    return reverse(
        "wagtailsettings:edit", args=["wagtail_outbound", "outboundsettings", site.pk]
    )


def form_data(**changes):
    """The settings form as an editor submits it, defaults unless changed."""
    data = {
        "enabled": "on",
        "internal_domains": "",
        "excluded_domains": "",
        "query_strings": "keep",
        "dropped_parameters": "",
        "respect_privacy_signals": "on",
        "retention_days": "365",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def click(client, home, url, **headers):
    return send(client, beacon(url, text="Go", page=home.pk), count=False, **headers)


def counted_urls():
    return sorted(row["url"] for row in stats.urls(stats.Filters()).top())


def tracker_attrs(client):
    """The data- attributes of the tracker's script tag on the home page."""
    html = client.get("/").content.decode()
    tag = html[html.index("<script defer") :].split(">")[0]
    return dict(re.findall(r'(data-[\w-]+)="([^"]*)"', tag))


def test_settings_form_opens_in_the_admin(admin_client, site):
    response = admin_client.get(settings_url(site))
    assert response.status_code == 200
    html = response.content.decode()
    for field in form_data():
        assert f'name="{field}"' in html
    assert "Outbound link tracking" in html


def test_settings_form_needs_permission(client, site, django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw")
    client.force_login(user)
    assert client.get(settings_url(site)).status_code in (302, 403)


@pytest.mark.parametrize(
    "bad_entry", ["http://ads.example/", "ads.example/path", "-ads.example", "*."]
)
def test_settings_form_names_a_bad_domain(admin_client, site, bad_entry):
    response = admin_client.post(
        settings_url(site),
        form_data(excluded_domains=f"good.example\n{bad_entry}"),
    )
    assert response.status_code == 200
    assert (
        f"“{bad_entry}” is not a hostname or a *.example.com wildcard."
        in response.content.decode()
    )
    assert not OutboundSettings.objects.filter(excluded_domains__contains="good")


def test_saved_settings_reach_the_tracker_on_the_next_page_view(
    admin_client, client, site
):
    assert tracker_attrs(client)["data-outbound-internal"] == (
        "testserver www.testserver"
    )
    assert "data-outbound-exclude" not in tracker_attrs(client)  # cached now

    response = admin_client.post(
        settings_url(site),
        form_data(
            internal_domains="*.Shop.example\nblog.example",
            excluded_domains="ads.example\n*.doubleclick.net",
            respect_privacy_signals=None,
        ),
    )
    assert response.status_code == 302

    attrs = tracker_attrs(client)
    assert attrs["data-outbound-internal"] == (
        "testserver www.testserver *.shop.example blog.example"
    )
    assert attrs["data-outbound-exclude"] == "ads.example *.doubleclick.net"
    assert attrs["data-outbound-dnt"] == "0"


def test_turning_tracking_off_removes_the_tracker_on_the_next_page_view(
    admin_client, client, site
):
    assert b"data-outbound-collect" in client.get("/").content
    admin_client.post(settings_url(site), form_data(enabled=None))
    assert b"data-outbound-collect" not in client.get("/").content
    admin_client.post(settings_url(site), form_data())
    assert b"data-outbound-collect" in client.get("/").content


def test_a_tracked_page_view_costs_no_extra_query(
    client, site, home, django_assert_num_queries
):
    OutboundSettings.objects.create(site=site, excluded_domains="ads.example")
    tracked, untracked = (
        home.add_child(
            instance=ArticlePage(title=slug, slug=slug, track_outbound_clicks=track)
        )
        for slug, track in [("tracked", True), ("partner", False)]
    )
    for page in (tracked, untracked):
        client.get(page.url)  # fills the caches
    # The untracked page never builds a tracker: it is the baseline.
    with CaptureQueriesContext(connection) as baseline:
        response = client.get(untracked.url)
    assert b"data-outbound-collect" not in response.content

    with django_assert_num_queries(len(baseline.captured_queries)):
        response = client.get(tracked.url)
    assert b'data-outbound-exclude="ads.example"' in response.content


def test_configuration_is_read_once_then_served_from_the_cache(
    site, django_assert_num_queries
):
    OutboundSettings.objects.create(site=site, excluded_domains="ads.example")
    with django_assert_num_queries(1):
        assert config_for_site(site).excluded_domains == ("ads.example",)
    with django_assert_num_queries(0):
        assert config_for_site(site).excluded_domains == ("ads.example",)


@pytest.mark.parametrize(
    ("excluded", "url", "counted"),
    [
        ("ads.example", "https://ads.example/x", False),
        ("ads.example", "https://www.ads.example/x", True),
        ("*.example.com", "https://example.com/x", False),
        ("*.example.com", "https://a.b.example.com/x", False),
        ("*.example.com", "https://EXAMPLE.com./x", False),
        ("*.example.com", "https://example.com.evil.test/x", True),
        ("*.example.com", "https://notexample.com/x", True),
        ("*.bücher.example", "https://shop.xn--bcher-kva.example/x", False),
    ],
)
def test_endpoint_enforces_excluded_domains(client, site, home, excluded, url, counted):
    """Anyone can post to the endpoint, so it applies the lists again."""
    OutboundSettings.objects.create(site=site, excluded_domains=excluded)
    assert click(client, home, url).status_code == 204
    assert bool(counted_urls()) is counted


@pytest.mark.parametrize(
    ("internal", "url", "counted"),
    [
        ("", "https://www.testserver/x", False),  # the site's www. twin
        ("*.shop.example", "https://eu.shop.example/x", False),
        ("*.shop.example", "https://shop.example.evil.test/x", True),
        ("blog.example", "https://blog.example/x", False),
        ("blog.example", "https://news.blog.example/x", True),
    ],
)
def test_endpoint_enforces_internal_domains(client, site, home, internal, url, counted):
    OutboundSettings.objects.create(site=site, internal_domains=internal)
    assert click(client, home, url).status_code == 204
    assert bool(counted_urls()) is counted


def test_endpoint_counts_nothing_while_tracking_is_off(client, site, home):
    OutboundSettings.objects.create(site=site, enabled=False)
    assert click(client, home, "https://example.org/").status_code == 204
    assert counted_urls() == []


@pytest.mark.parametrize("respect", [True, False])
@pytest.mark.parametrize("header", ["HTTP_DNT", "HTTP_SEC_GPC"])
def test_endpoint_honours_privacy_signals_unless_turned_off(
    client, site, home, respect, header
):
    OutboundSettings.objects.create(site=site, respect_privacy_signals=respect)
    click(client, home, "https://example.org/", **{header: "1"})
    assert bool(counted_urls()) is not respect


URL = (
    "https://shop.example/p?id=7&ref=news&utm_source=mail&UTM_Campaign=x"
    "&fbclid=a&gclid=b&msclkid=c&mc_eid=d&to=jane%40mail.example&Session=s"
)


@pytest.mark.parametrize(
    ("query_strings", "dropped", "stored"),
    [
        ("keep", "", "https://shop.example/p?id=7&ref=news"),
        ("drop_all", "", "https://shop.example/p"),
        ("drop_listed", "ref\nsession", "https://shop.example/p?id=7"),
        # Listed parameters only apply when "drop listed" is chosen.
        ("keep", "ref", "https://shop.example/p?id=7&ref=news"),
    ],
)
def test_query_strings_are_stored_as_the_site_settings_say(
    client, site, home, query_strings, dropped, stored
):
    OutboundSettings.objects.create(
        site=site, query_strings=query_strings, dropped_parameters=dropped
    )
    assert click(client, home, URL).status_code == 204
    assert counted_urls() == [stored]


def test_settings_change_applies_to_the_endpoint_without_restart(
    admin_client, client, site, home
):
    click(client, home, "https://ads.example/1")
    admin_client.post(settings_url(site), form_data(excluded_domains="ads.example"))
    click(client, home, "https://ads.example/2")
    assert counted_urls() == ["https://ads.example/1"]
