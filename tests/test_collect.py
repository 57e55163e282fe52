"""The collect endpoint: what it answers, what it stores and what it ignores."""

import json

import pytest
from django.core import serializers
from django.db import OperationalError
from wagtail.models import Site

from tests import factories
from tests.factories import BROWSER, COLLECT, send
from wagtail_outbound import aggregation, periods, stats
from wagtail_outbound.models import DailyClicks, Link, OutboundSettings, SourcePage


def beacon(url="https://example.com/a", **fields):
    """A beacon from the blog page, unless it says otherwise."""
    return factories.beacon(url, **{"source": "http://testserver/blog/"} | fields)


def post(client, data=None, **headers):
    return send(client, beacon() if data is None else data, **headers)


def stored_clicks():
    return stats.total(stats.Filters())


def set_site_settings(site, **values):
    OutboundSettings.objects.update_or_create(site=site, defaults=values)


@pytest.mark.usefixtures("frozen_today")  # no midnight before the check
def test_click_is_stored_with_its_link_source_page_and_day(client, site, home):
    response = post(
        client,
        beacon(
            "HTTPS://Example.COM:443/docs/?x=1#part",
            text="  Read   the docs ",
            page=home.pk + 1000,  # the server decides which page served it
            source="http://testserver/?q=me#top",
        ),
    )
    assert response.status_code == 204
    assert response.content == b""
    row = DailyClicks.objects.get()
    assert (row.site, row.day, row.clicks) == (site, periods.today(), 1)
    assert (row.link.url, row.link.domain, row.link.text) == (
        "https://example.com/docs/?x=1",
        "example.com",
        "Read the docs",
    )
    assert (row.source.page_id, row.source.path) == (home.pk, "/")
    assert (row.event, row.category) == ("", "")


def test_repeated_clicks_increment_one_counter(client, site):
    for _ in range(3):
        assert post(client).status_code == 204
    assert DailyClicks.objects.get().clicks == 3
    assert Link.objects.count() == SourcePage.objects.count() == 1


def test_event_and_category_are_stored_and_counted_apart(client, site):
    post(client, beacon(event="affiliate_click", category="conversion"))
    post(client, beacon(event="affiliate_click", category="conversion"))
    post(client, beacon())
    rows = DailyClicks.objects.order_by("event").values_list(
        "event", "category", "clicks"
    )
    assert list(rows) == [("", "", 1), ("affiliate_click", "conversion", 2)]


def test_link_text_is_what_most_clicks_carry(client, site):
    for _ in range(3):
        post(client, beacon(text="Partner offer"))
    post(client, beacon(text="Phishing - do not click"))
    post(client, beacon(text=""))  # no text is no vote
    assert Link.objects.get().text == "Partner offer"
    post(client, beacon(text="Phishing - do not click"))
    assert Link.objects.get().text == "Partner offer"  # still behind
    assert DailyClicks.objects.get().clicks == 6


def test_a_renamed_link_takes_the_new_text_once_most_clicks_carry_it(client, site):
    post(client, beacon(text="Old text"))
    for _ in range(2):
        post(client, beacon(text="New text"))
    assert Link.objects.get().text == "New text"


def test_one_batch_votes_like_separate_clicks(client, site):
    for text in ["Partner offer"] * 3 + ["Forged"] * 2:
        send(client, beacon(text=text), count=False)
    aggregation.aggregate()
    assert Link.objects.get().text == "Partner offer"


def test_source_pages_are_told_apart_by_path(client, site):
    post(client, beacon(source="http://testserver/a/"))
    post(client, beacon(source="http://testserver/b/"))
    assert sorted(SourcePage.objects.values_list("path", flat=True)) == ["/a/", "/b/"]
    assert stored_clicks() == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/other-page/",
        "https://testserver:8443/",
        "https://www.testserver/",
        "https://docs.internal.example/",
        "https://internal.example/",
        "https://ads.example/banner",
        "https://x.ads.example/banner",
    ],
)
def test_internal_and_excluded_targets_are_ignored(client, site, url):
    set_site_settings(
        site, internal_domains="*.internal.example", excluded_domains="*.ads.example"
    )
    response = post(client, beacon(url))
    assert response.status_code == 204
    assert stored_clicks() == 0


def test_target_on_the_requested_host_is_ignored(client, site):
    # The default site answers for any host; that host is internal too.
    response = post(
        client,
        beacon("https://alias.test/x", source="https://alias.test/"),
        HTTP_HOST="alias.test",
        HTTP_ORIGIN="https://alias.test",
    )
    assert response.status_code == 204
    assert stored_clicks() == 0


def test_internal_domains_do_not_hide_their_neighbours(client, site):
    set_site_settings(site, internal_domains="*.internal.example")
    assert post(client, beacon("https://notinternal.example/")).status_code == 204
    assert stored_clicks() == 1


@pytest.mark.parametrize(
    ("mode", "dropped", "expected"),
    [
        ("keep", "", "https://example.com/a?ref=1&x=2"),
        ("drop_all", "", "https://example.com/a"),
        ("drop_listed", "ref", "https://example.com/a?x=2"),
    ],
)
def test_query_string_setting_shapes_the_stored_url(
    client, site, mode, dropped, expected
):
    set_site_settings(site, query_strings=mode, dropped_parameters=dropped)
    post(client, beacon("https://example.com/a?ref=1&x=2&utm_source=news"))
    assert Link.objects.get().url == expected


def test_clicks_are_not_counted_when_tracking_is_off_for_the_site(client, site):
    set_site_settings(site, enabled=False)
    assert post(client).status_code == 204
    assert stored_clicks() == 0


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0",
        "curl/8.5.0",
        "python-requests/2.32.3",
    ],
)
def test_bots_are_not_counted(client, site, user_agent):
    assert post(client, HTTP_USER_AGENT=user_agent).status_code == 204
    assert stored_clicks() == 0


def test_bots_are_counted_when_bot_filtering_is_off(client, site, settings):
    settings.WAGTAIL_OUTBOUND_IGNORE_BOTS = False
    post(client, HTTP_USER_AGENT="curl/8.5.0")
    assert stored_clicks() == 1


@pytest.mark.parametrize("header", ["HTTP_DNT", "HTTP_SEC_GPC"])
def test_privacy_signals_are_honoured(client, site, header):
    assert post(client, **{header: "1"}).status_code == 204
    assert stored_clicks() == 0


@pytest.mark.parametrize("header", ["HTTP_DNT", "HTTP_SEC_GPC"])
def test_privacy_signals_can_be_ignored_by_a_site_setting(client, site, header):
    set_site_settings(site, respect_privacy_signals=False)
    assert post(client, **{header: "1"}).status_code == 204
    assert stored_clicks() == 1


def test_dnt_zero_is_not_an_opt_out(client, site):
    post(client, HTTP_DNT="0", HTTP_SEC_GPC="0")
    assert stored_clicks() == 1


def test_referer_is_checked_when_there_is_no_origin(client, site):
    headers = {"HTTP_ORIGIN": "", "HTTP_REFERER": "http://testserver/blog/"}
    assert post(client, **headers).status_code == 204
    assert stored_clicks() == 1


def test_origin_of_the_sites_www_twin_is_accepted(client, site):
    assert post(client, HTTP_ORIGIN="https://www.testserver").status_code == 204
    assert stored_clicks() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": ""},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "https://testserver.evil.example"},
        {"HTTP_ORIGIN": "http://[broken"},
        {"HTTP_ORIGIN": "", "HTTP_REFERER": "https://evil.example/testserver/"},
        {"HTTP_ORIGIN": "https://evil.example", "HTTP_REFERER": "http://testserver/"},
    ],
)
def test_clicks_from_other_origins_are_refused(client, site, headers):
    response = post(client, **headers)
    assert response.status_code == 403
    assert response.json() == {"error": "origin not allowed"}
    assert stored_clicks() == 0


def test_source_page_on_another_site_is_refused(client, site):
    response = post(client, beacon(source="https://evil.example/"))
    assert response.status_code == 403
    assert stored_clicks() == 0


def test_request_for_a_host_without_a_site_is_refused(client, site):
    Site.objects.update(is_default_site=False)
    response = post(
        client,
        beacon(source="http://unknown.test/"),
        HTTP_HOST="unknown.test",
        HTTP_ORIGIN="http://unknown.test",
    )
    assert response.status_code == 403
    assert response.json() == {"error": "unknown site"}


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "options", "head"])
def test_only_post_is_allowed(client, site, method):
    response = getattr(client, method)(COLLECT)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    if method != "head":
        assert response.json() == {"error": "method not allowed"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "JSON object"),
        ("{not json", "JSON object"),
        ("[]", "JSON object"),
        (json.dumps({"source": "http://testserver/"}), "url"),
        (beacon("ftp://example.com/"), "http"),
        (beacon("https://example.com/" + "a" * 2040), "2048"),
        (beacon(text="x" * 256), "255"),
        (beacon(page="two"), "page"),
        (beacon(cookie="x"), "unknown field"),
    ],
)
def test_invalid_beacons_get_400_with_a_json_reason(client, site, data, message):
    response = post(client, data)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]
    assert stored_clicks() == 0


def test_body_above_4_kb_gets_413(client, site):
    data = beacon(text="x" * 255) + " " * 4096
    response = post(client, data)
    assert response.status_code == 413
    assert response.json() == {"error": "body too large"}


def test_body_of_exactly_4_kb_is_accepted(client, site):
    data = beacon()
    data += " " * (4096 - len(data))
    assert post(client, data).status_code == 204
    assert stored_clicks() == 1


def test_body_limit_is_a_setting(client, site, settings):
    settings.WAGTAIL_OUTBOUND_MAX_BODY_BYTES = 64
    assert post(client).status_code == 413


class FailingConnections:
    def __getitem__(self, alias):
        raise OperationalError("database is down")


def test_database_failure_gets_503_and_no_500(client, site, monkeypatch):
    def fail(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr("wagtail_outbound.inbox.connections", FailingConnections())
    response = send(client, beacon(), count=False)
    assert response.status_code == 503
    assert response["Retry-After"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_HOST": "testserver:notaport"},
        {"HTTP_HOST": "bad host name"},
        {"HTTP_HOST": ""},
        {"HTTP_ORIGIN": "http://\u00e9\u00e9.test"},
        {"HTTP_ORIGIN": "http://" + "a" * 70 + ".test"},
        {"HTTP_ORIGIN": "http://testserver:99999"},
        {"HTTP_REFERER": "\x00\x01", "HTTP_ORIGIN": ""},
        {"HTTP_USER_AGENT": "\x00" * 1000},
        {"HTTP_USER_AGENT": ""},
        {"HTTP_DNT": "\u00ff"},
        {"CONTENT_LENGTH": "not-a-number"},
        {"CONTENT_LENGTH": "-1"},
        {"HTTP_X_FORWARDED_FOR": "not an address"},
    ],
)
def test_odd_headers_never_cause_a_server_error(client, site, headers):
    response = post(client, **headers)
    assert response.status_code in (204, 400, 403, 413)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe\x00{",
        b'{"url": "https://e.com/", "source": "http://testserver/", "page": "\\u00b2"}',
        b'{"url": {"nested": [1, 2, {"x": null}]}, "source": "http://testserver/"}',
        b'{"url": "https://e.com/", "source": "http://testserver/", "page": 1e400}',
        b'{"url": "https://' + b"a." * 150 + b'com/", "source": "http://testserver/"}',
        b'{"url": "https://[::1]/", "source": "http://[::1]/"}',
        b'{"url": "https://e.com/\\u0000", "source": "http://testserver/"}',
        b'{"url": "https://e.com/", "source": "http://testserver/", "text": "\\u0000"}',
        b"[" * 3000,
    ],
)
def test_strange_bodies_never_cause_a_server_error(client, site, data):
    response = post(client, data)
    assert response.status_code in (204, 400, 403)


def test_disallowed_host_is_a_client_error(client, site, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = post(client, HTTP_HOST="evil.example", HTTP_ORIGIN="http://evil.example")
    assert response.status_code == 400
    assert stored_clicks() == 0


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_DNT": "1"},
        {"data": "{bad json"},
        {"data": "x" * 5000},
    ],
)
def test_no_response_sets_a_cookie(client, site, request_kwargs):
    response = post(client, **request_kwargs)
    assert response.cookies == {}
    assert "Set-Cookie" not in response
    assert client.cookies == {}


def test_method_not_allowed_sets_no_cookie(client, site):
    assert client.get(COLLECT).cookies == {}


def test_responses_are_not_cached(client, site):
    assert post(client)["Cache-Control"] == "no-store"
    assert post(client, "{bad")["Cache-Control"] == "no-store"


def test_nothing_about_the_visitor_is_stored(client, site):
    user_agent = BROWSER + " Visitor/4242"
    post(client, HTTP_USER_AGENT=user_agent, REMOTE_ADDR="203.0.113.99")
    assert stored_clicks() == 1
    stored = serializers.serialize(
        "json",
        [*Link.objects.all(), *SourcePage.objects.all(), *DailyClicks.objects.all()],
    )
    assert "203.0.113.99" not in stored
    assert "Visitor/4242" not in stored
