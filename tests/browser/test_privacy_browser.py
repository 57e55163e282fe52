"""A burst of real clicks from Chromium stores nothing about the visitor."""

import pytest

from tests.browser.conftest import DESKTOP_CHROME, wait_for
from tests.factories import clicks_on
from tests.test_privacy import visitor_traces

COOKIE = "visitor-cookie-9a7e41"
CLICKS = 12


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_burst_of_browser_clicks_stores_no_visitor_data_and_sets_no_cookie(
    context, page, live_server, site
):
    site.hostname = "localhost"
    site.port = int(live_server.url.rsplit(":", 1)[1])
    site.save()
    context.add_cookies([{"name": "visitor", "value": COOKIE, "url": live_server.url}])
    set_cookies = []

    def on_response(response):
        # .headers hides cookie headers; header_value() does not.
        if response.url.startswith(live_server.url) and response.header_value(
            "set-cookie"
        ):
            set_cookies.append(response.url)

    context.on("response", on_response)
    for _ in range(CLICKS):
        page.goto(live_server.url + "/?ref=newsletter")
        page.click("text=Wagtail")
        page.wait_for_url("https://www.wagtail.org/")
    wait_for(lambda: clicks_on() == CLICKS, page=page)
    assert set_cookies == []
    assert [cookie["name"] for cookie in context.cookies()] == ["visitor"]
    # The cookie was sent with each beacon, and kept by nobody.
    assert (
        visitor_traces(
            ["127.0.0.1", "::1", DESKTOP_CHROME, "Chrome/156", COOKIE, "newsletter"]
        )
        == []
    )
