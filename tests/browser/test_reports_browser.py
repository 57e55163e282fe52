"""The reports in headless Chromium: nothing a visitor sent can run, and the
screenshots in the README are taken from demo-like data."""

from pathlib import Path

import pytest
from django.urls import reverse

from tests.reports_data import XSS_TEXT, click, seed_demo_like, today
from tests.testapp.models import ArticlePage
from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
from wagtail_outbound.recording import rebuild_rollups

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Any alert(), confirm() or prompt() call is recorded instead of shown.
RECORD_DIALOGS = """
window.__calls = [];
for (const name of ["alert", "confirm", "prompt"]) {
    window[name] = (...args) => { window.__calls.push([name, ...args]); };
}
"""
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_screenshots_of_the_reports_and_dashboard(
    page, live_server, site, home, django_user_model
):
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
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "reports-domains.png": reverse("wagtail_outbound_reports:domains"),
        "reports-urls.png": reverse("wagtail_outbound_reports:urls")
        + "?domain=docs.wagtail.org",
        "reports-exit-pages.png": reverse("wagtail_outbound_reports:pages"),
    }
    for name, url in shots.items():
        page.goto(live_server.url + url)
        assert page.locator("table.outbound-report__table tbody tr").count() >= 3
        assert page.locator(".no-results-message").count() == 0
        page.screenshot(path=SCREENSHOTS / name, full_page=True)
    page.set_viewport_size({"width": 1280, "height": 2000})
    page.goto(live_server.url + reverse("wagtailadmin_home"))
    panel = page.locator("section", has=page.locator("#outbound-top-domains-heading"))
    box = panel.bounding_box()
    page.screenshot(
        path=SCREENSHOTS / "dashboard-panel.png",
        clip={
            "x": 0,
            "y": max(box["y"] - 16, 0),
            "width": 1280,
            "height": box["height"] + 32,
        },
        full_page=True,
    )
    assert panel.locator("tbody tr").count() == 10
    for name in [*shots, "dashboard-panel.png"]:
        assert (SCREENSHOTS / name).stat().st_size > 10_000
