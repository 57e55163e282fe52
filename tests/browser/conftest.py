"""Playwright driving Debian's Chromium against Django's live server.

CHROMIUM_PATH overrides /usr/bin/chromium. When Chromium is missing the
browser tests fail (they never skip): CI installs it in .ci/run.
"""

import json
import os
import re
import time

import pytest
from playwright.sync_api import sync_playwright

from tests.factories import clicks_on

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
EXTERNAL = re.compile(r"^(?!https?://(localhost|127\.0\.0\.1)[:/])")
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def new_context(browser, **options):
    """A browser context as a visitor's desktop Chrome, kept off the internet."""
    # Headless Chromium announces itself as "HeadlessChrome", which the bot
    # filter rightly ignores: present the user agent of a desktop Chrome.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, user_agent=DESKTOP_CHROME, **options
    )
    # External destinations are answered locally: tests never leave the machine.
    # A regex, not a Python predicate: Playwright matches it in the browser's
    # driver, so requests to the live server never wait for this thread.
    context.route(
        EXTERNAL,
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<h1>external</h1>"
        ),
    )
    return context


@pytest.fixture
def context(browser):
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot_dashboard_panel(page, panel, path):
    """Write the dashboard ``panel`` (a locator) to ``path``, full width,
    with a margin above and below."""
    box = panel.bounding_box()
    page.screenshot(
        path=path,
        clip={
            "x": 0,
            "y": max(box["y"] - 16, 0),
            "width": 1280,
            "height": box["height"] + 32,
        },
        full_page=True,
    )


def wait_for(predicate, timeout=5.0, interval=0.05, page=None):
    """Poll ``predicate`` until it returns a truthy value and return that; fail
    the test once ``timeout`` seconds have passed.

    Pass the Playwright ``page`` whose events (requests, responses) the
    predicate reads: waiting through it lets Playwright deliver them.
    """
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout} s")
        if page is None:
            time.sleep(interval)
        else:
            page.wait_for_timeout(interval * 1000)
    return value


# The tracker's browser tests (tests/browser/test_tracker_*.py) share one
# browser context per module and a page whose links each test writes.

COLLECT = "/outbound/collect/"
# Posted straight to the endpoint after a test's actions, bypassing the tracker:
# once the server has stored it, every beacon sent before it has arrived too.
SENTINEL = "https://sentinel.test/"
# From a path no page serves: the server counts it whatever the page it is
# sent from may track (a page with tracking off would not count it).
SEND_SENTINEL = """([collect, url]) => navigator.sendBeacon(
    collect, JSON.stringify({url, source: location.origin + "/sentinel/"}))"""


class TrackedTab:
    """A browser tab on the live site's home page, an ``ArticlePage`` served by
    Wagtail with the tracker injected, whose raw ``links`` HTML a test sets."""

    def __init__(self, tab, sentinel_tab, server_url, site):
        self.tab = tab
        self.sentinel_tab = sentinel_tab
        self.url = server_url + "/"
        self.collect = server_url + COLLECT
        self.site = site
        self.home = site.root_page
        self.posted = []  # bodies of every beacon the browser sent
        tab.context.on("request", self._record)

    def _record(self, request):
        if request.method == "POST" and request.url == self.collect:
            try:
                self.posted.append(json.loads(request.post_data or ""))
            except ValueError:
                self.posted.append({"unparsed": request.post_data})

    @property
    def beacons(self):
        """Bodies of the beacons the tracker sent, in order."""
        return [body for body in self.posted if body.get("url") != SENTINEL]

    def open(self, links="", **fields):
        """Serve ``links`` on the home page, open it and return the tab."""
        from tests.testapp.models import ArticlePage

        ArticlePage.objects.filter(pk=self.home.pk).update(links=links, **fields)
        self.tab.goto(self.url)
        assert self.tab.evaluate("typeof wagtailOutbound") == "object", "no tracker"
        return self.tab

    def settle(self, every_beacon=True):
        """Wait until the server has stored a sentinel beacon sent after all the
        test did and, unless ``every_beacon`` is false (the server is to refuse
        some), every beacon sent so far. Fails the test on a timeout."""
        sentinels = self._sentinels()
        stored = clicks_on(SENTINEL)
        # From another tab, which stays on this site whatever the test did.
        self.sentinel_tab.evaluate(SEND_SENTINEL, [self.collect, SENTINEL])
        self.poll(lambda: self._sentinels() > sentinels)
        self.poll(lambda: clicks_on(SENTINEL) > stored)
        if every_beacon:
            self.poll(lambda: clicks_on() >= len(self.posted))

    def _sentinels(self):
        return sum(body.get("url") == SENTINEL for body in self.posted)

    def poll(self, predicate, timeout=10.0):
        """:func:`wait_for` through this tab, which delivers the events."""
        return wait_for(predicate, timeout, interval=0.025, page=self.tab)

    def stored(self):
        """Rows of ``(url, text, event, category, clicks)``, sentinel left out."""
        from wagtail_outbound.models import DailyClicks

        return list(
            DailyClicks.objects.exclude(link__url=SENTINEL)
            .order_by("link__url")
            .values_list("link__url", "link__text", "event", "category", "clicks")
        )


@pytest.fixture(scope="module")
def tracker_context(browser):
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture(scope="module")
def sentinel_tab(tracker_context, live_server):
    """A tab on a plain page of the live site, the sentinel's sender."""
    tab = tracker_context.new_page()
    tab.goto(live_server.url + "/plain-json/")
    return tab


@pytest.fixture
def tracked(tracker_context, sentinel_tab, live_server, site):
    """A :class:`TrackedTab` on the live site; fails the test on any JS error.

    Tests using it need ``django_db(transaction=True, serialized_rollback=True)``:
    the live server sees only committed data, and the serialized rollback puts
    back the root page that the previous test's flush removed.
    """
    site.hostname = "localhost"
    site.port = int(live_server.url.rsplit(":", 1)[1])
    site.save()
    tab = tracker_context.new_page()
    tab.set_default_timeout(10_000)
    errors = []
    tab.on("pageerror", lambda error: errors.append(error))
    tracked = TrackedTab(tab, sentinel_tab, live_server.url, site)
    yield tracked
    tracker_context.remove_listener("request", tracked._record)
    for page in tracker_context.pages:
        if page != sentinel_tab:
            page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
