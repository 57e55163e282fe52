"""The reports in headless Chromium: nothing a visitor sent can run, the
header's search and filters refresh the results in place, and the screenshots
in the README are taken from demo-like data."""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import screenshot_dashboard_panel
from tests.factories import click
from tests.reports_data import XSS_TEXT, seed_demo_like, today
from tests.testapp.models import ArticlePage
from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
from wagtail_outbound.rollups import rebuild as rebuild_rollups

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The data's dates are relative to today: the same pages on every run.
pytestmark = pytest.mark.usefixtures("frozen_today")
# Any alert(), confirm() or prompt() call is recorded instead of shown.
RECORD_DIALOGS = """
window.__calls = [];
for (const name of ["alert", "confirm", "prompt"]) {
    window[name] = (...args) => { window.__calls.push([name, ...args]); };
}
"""
# The width of a text box's placeholder, and the room its box has for text.
PLACEHOLDER_ROOM = """el => {
    const style = getComputedStyle(el);
    const context = document.createElement("canvas").getContext("2d");
    context.font = style.font;
    return [
        context.measureText(el.placeholder).width,
        el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
    ];
}"""
MARKUP_URL = (
    'https://evil.example/"><script>alert(2)</script><img src=x onerror=alert(3)>'
)


def log_in(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    page.goto(live_server.url + reverse("wagtailadmin_login"))
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + reverse("wagtailadmin_home"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_visitor_data_runs_as_script_in_any_view(
    page, live_server, site, home, django_user_model
):
    page.add_init_script(RECORD_DIALOGS)
    click(
        site,
        MARKUP_URL,
        text=XSS_TEXT,
        source='/"><img src=x onerror=alert(4)>/',
        event="<img src=x onerror=alert(5)>",
        category="<script>alert(6)</script>",
    )
    link = Link.objects.create(
        url="javascript:alert(7)",
        url_hash=fingerprint("javascript:alert(7)"),
        domain="evil.example",
        text=XSS_TEXT,
    )
    source = SourcePage.objects.get()
    DailyClicks.objects.create(
        site=site, day=today(), link=link, source=source, clicks=1
    )
    rebuild_rollups()
    log_in(page, live_server, django_user_model)

    base = reverse("wagtail_outbound_reports:domains")
    views = [
        reverse("wagtailadmin_home"),
        base,
        reverse("wagtail_outbound_reports:urls"),
        reverse("wagtail_outbound_reports:pages"),
        base + "?domain=evil.example",
        reverse("wagtail_outbound_reports:urls") + "?domain=evil.example",
        reverse("wagtail_outbound_reports:pages") + f"?link={link.pk}",
        reverse("wagtail_outbound_reports:urls") + f"?source={source.pk}",
        reverse("wagtail_outbound_reports:urls")
        + "?q=%3Cimg+src%3Dx+onerror%3Dalert(8)%3E",
        reverse("wagtail_outbound_reports:urls")
        + "?event=%3Cimg+src%3Dx+onerror%3Dalert(5)%3E",
    ]
    for view in views:
        page.goto(live_server.url + view)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__calls") == [], view
        assert page.locator('[href^="javascript:" i]').count() == 0, view
        assert page.locator("img[src=x]").count() == 0, view
    # The stored text is shown, as text.
    page.goto(live_server.url + reverse("wagtail_outbound_reports:urls"))
    assert page.get_by_text(XSS_TEXT).count() >= 1
    assert page.get_by_text("javascript:alert(7)").count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_screenshots_of_the_reports_and_dashboard(
    page, live_server, site, home, django_user_model, tmp_path
):
    # The README's images are rewritten on demand only (`make screenshots`);
    # otherwise the pages are still rendered and shot, into a temporary folder.
    on_demand = os.environ.get("OUTBOUND_SCREENSHOTS") == "1"
    folder = SCREENSHOTS if on_demand else tmp_path
    pages = [home]
    for title in ["Getting started", "Blog: Wagtail 8", "Resources", "About"]:
        pages.append(
            home.add_child(
                instance=ArticlePage(
                    title=title, slug=title.lower().replace(" ", "-").replace(":", "")
                )
            )
        )
    seed_demo_like(site, pages)
    log_in(page, live_server, django_user_model)
    # Tall enough for the chart and the first rows; the admin scrolls inside
    # its own container, so the viewport is what a screenshot shows.
    page.set_viewport_size({"width": 1280, "height": 1200})
    folder.mkdir(parents=True, exist_ok=True)
    shots = {
        "reports-domains.png": reverse("wagtail_outbound_reports:domains"),
        "reports-urls.png": reverse("wagtail_outbound_reports:urls")
        + "?domain=docs.wagtail.org",
        "reports-exit-pages.png": reverse("wagtail_outbound_reports:pages"),
    }
    for name, url in shots.items():
        page.goto(live_server.url + url)
        assert page.locator("table.outbound-report__table tbody tr").count() >= 3
        assert page.get_by_text("No outbound clicks match these filters.").count() == 0
        page.screenshot(path=folder / name, full_page=True)
    page.set_viewport_size({"width": 1280, "height": 2000})
    page.goto(live_server.url + reverse("wagtailadmin_home"))
    panel = page.locator("section", has=page.locator("#outbound-top-domains-heading"))
    screenshot_dashboard_panel(page, panel, folder / "dashboard-panel.png")
    assert panel.locator("tbody tr").count() == 10
    for name in [*shots, "dashboard-panel.png"]:
        assert (folder / name).stat().st_size > 10_000


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_search_and_filters_refresh_the_results_within_the_drill_down(
    page, live_server, site, django_user_model
):
    click(site, "https://wagtail.org/docs/", 3, text="Docs")
    click(site, "https://wagtail.org/blog/", text="Blog")
    click(site, "https://example.com/", 2, text="Example")
    log_in(page, live_server, django_user_model)
    urls = reverse("wagtail_outbound_reports:urls")
    page.goto(f"{live_server.url}{urls}?domain=wagtail.org")
    rows = page.locator("table.outbound-report__table tbody tr")
    expect(rows).to_have_count(2)
    # The search box shows its placeholder whole.
    text_width, room = page.locator("#id_q").evaluate(PLACEHOLDER_ROOM)
    assert text_width <= room

    def refreshed(asking):
        """Wait for the results asked for with ``asking`` in the query string
        (other refreshes may be on their way: a text box sends on change too)."""
        return page.expect_response(
            lambda response: "/results/?" in response.url and asking in response.url
        )

    # Typing a search refreshes the results in place, still drilled down
    # (the address follows once they are shown).
    with refreshed("q=o&"):
        page.fill("#id_q", "o")
    expect(page).to_have_url(re.compile(r"\?q=o&.*domain=wagtail\.org"))
    expect(rows).to_have_count(2)

    # The dates count with the period "Custom range" only.
    page.get_by_role("button", name="Show filters").click()
    page.click("button.w-drilldown__toggle:has-text('Dates')")
    expect(page.locator("input[name=start]")).to_be_disabled()
    page.click("button.w-drilldown__back >> visible=true")
    page.click("button.w-drilldown__toggle:has-text('Period')")
    with refreshed("period=custom"):
        page.click("label:has-text('Custom range')")
    expect(page.locator("input[name=start]")).to_be_enabled()
    page.keyboard.press("Escape")

    # Removing the drill-down's pill widens the results, and the next search
    # does not bring the drill-down back.
    with refreshed("_w_filter_fragment=1"):
        page.locator(".w-pill", has_text="Domain").locator(".w-pill__remove").click()
    expect(rows).to_have_count(3)
    with refreshed("q=&"):
        page.fill("#id_q", "")
    expect(page).not_to_have_url(re.compile(r"q=o"))
    expect(rows).to_have_count(3)
    assert "domain=" not in page.url
