"""The Links report and the "Broken links visitors still click" panel in
headless Chromium: the tab, its filters refreshing the results in place, the
export, the copy of a new address, the way from a broken link to the editor
of each page that holds it, and the screenshots in docs/."""

import csv
import io
import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import screenshot_dashboard_panel
from tests.browser.test_reports_browser import RECORD_DIALOGS, SCREENSHOTS, log_in
from tests.factories import click, in_content
from tests.reports_data import XSS_TEXT, days_ago, seed_demo_like
from tests.testapp.models import ArticlePage
from wagtail_outbound.models import Health, Link, fingerprint

LINKS = reverse("wagtail_outbound_reports:links")
# The data's dates are relative to today: the same pages on every run.
pytestmark = [
    pytest.mark.usefixtures("frozen_today"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def add_pages(home, *titles):
    return [
        home.add_child(
            instance=ArticlePage(title=title, slug=title.lower().replace(" ", "-"))
        )
        for title in titles
    ]


@pytest.fixture
def links(site, home):
    """A small inventory: two broken links (one clicked more), a permanent
    redirect, a healthy link and one nobody clicked."""
    guide, news = add_pages(home, "Guide", "News")
    click(site, "https://docs.example/", 6)
    click(site, "https://broken.example/a", 2)
    click(site, "https://broken.example/b", 5)
    return {
        "guide": guide,
        "news": news,
        "docs": in_content(
            site, "https://docs.example/", home, status=Health.OK, http_status=200
        ),
        "a": in_content(
            site,
            "https://broken.example/a",
            guide,
            status=Health.BROKEN,
            http_status=404,
        ),
        "b": in_content(
            site,
            "https://broken.example/b",
            guide,
            news,
            status=Health.BROKEN,
            http_status=410,
        ),
        "moved": in_content(
            site,
            "https://moved.example/",
            news,
            status=Health.REDIRECTED,
            http_status=301,
            permanent=True,
            final_url="https://new.example/home",
        ),
        "quiet": in_content(site, "https://quiet.example/", home),
    }


def table_rows(page):
    return page.locator("table.outbound-report__table tbody tr")


def test_links_tab_filters_in_place_and_exports(
    page, live_server, links, django_user_model
):
    log_in(page, live_server, django_user_model)
    page.goto(live_server.url + reverse("wagtail_outbound_reports:domains"))
    page.click("[data-outbound-tab=links]")
    expect(page).to_have_url(live_server.url + LINKS)
    rows = table_rows(page)
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("https://docs.example/")
    expect(rows.nth(4)).to_contain_text("Not checked")

    # A status from the filter menu: the results refresh, and the pill shows.
    page.get_by_role("button", name="Show filters").click()
    page.click("button.w-drilldown__toggle:has-text('Status')")
    with page.expect_response(lambda r: "health=broken" in r.url):
        page.click("label:has-text('Broken')")
    page.keyboard.press("Escape")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("https://broken.example/b")
    expect(rows.first).to_contain_text("Broken (410)")
    expect(page.locator(".w-pill", has_text="Status")).to_contain_text("Broken")

    # The export is the table on screen, with its columns.
    page.get_by_role("button", name="Actions").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported_file:
        body = exported_file.read()
    exported = list(csv.reader(io.StringIO(body)))
    assert exported[0] == ["URL", "Domain", "Clicks", "Pages", "Status", "Checked"]
    assert [row[:5] for row in exported[1:]] == [
        ["https://broken.example/b", "broken.example", "5", "2", "Broken (410)"],
        ["https://broken.example/a", "broken.example", "2", "1", "Broken (404)"],
    ]
    assert download.value.suggested_filename.startswith("outbound-links-")

    page.goto(page.url)  # the menu closed
    page.get_by_role("button", name="Actions").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_from_a_broken_link_to_the_editor_of_each_page_holding_it(
    page, live_server, links, django_user_model
):
    log_in(page, live_server, django_user_model)
    page.goto(f"{live_server.url}{LINKS}?health=broken")
    # The pages count opens the pages that hold the link.
    row = table_rows(page).filter(has_text="https://broken.example/b")
    row.get_by_role("link", name="2").click()
    expect(page.locator(".outbound-link-summary")).to_contain_text("Held by 2 pages.")
    pages = table_rows(page)
    expect(pages).to_have_count(2)
    expect(page.locator(".w-pill", has_text="URL")).to_contain_text(
        "https://broken.example/b"
    )
    # One click on a page's title opens its editor.
    guide = links["guide"]
    pages.get_by_role("link", name="Guide").click()
    expect(page).to_have_url(
        live_server.url + reverse("wagtailadmin_pages:edit", args=[guide.pk])
    )
    expect(page.locator("#id_title")).to_have_value("Guide")


def test_a_permanent_redirect_offers_its_new_address_to_copy(
    browser, live_server, links, django_user_model
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=live_server.url
    )
    page = context.new_page()
    try:
        log_in(page, live_server, django_user_model)
        page.goto(f"{live_server.url}{LINKS}?health=redirected")
        row = table_rows(page).filter(has_text="https://moved.example/")
        expect(row).to_contain_text("New address: https://new.example/home")
        row.get_by_role("button", name="Copy the new address").click()
        expect(row).to_contain_text("Copied to clipboard")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == "https://new.example/home"
    finally:
        context.close()


def test_dashboard_panel_ranks_broken_links_by_clicks(
    page, live_server, links, site, home, django_user_model
):
    # Clicked before the last 30 days only: not in the panel.
    old = in_content(site, "https://old.example/", home, status=Health.BROKEN)
    click(site, old.url, 40, day=days_ago(31))
    log_in(page, live_server, django_user_model)
    panel = page.locator("section", has=page.locator("#outbound-broken-links-heading"))
    expect(panel).to_contain_text("Broken links visitors still click")
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("https://broken.example/b")
    expect(rows.nth(0)).to_contain_text("5")
    expect(rows.nth(1)).to_contain_text("https://broken.example/a")
    # Beside the top domains.
    top = page.locator("#outbound-top-domains-heading")
    assert top.bounding_box() is not None
    # The link opens the pages that hold it.
    rows.nth(0).get_by_role("link", name="https://broken.example/b").click()
    expect(table_rows(page)).to_have_count(2)
    assert f"link={links['b'].pk}" in page.url
    # The panel's own link opens the same ranking in the report.
    page.go_back()
    panel.get_by_role("link", name="Open the broken links in the Links report").click()
    expect(table_rows(page)).to_have_count(2)
    expect(table_rows(page).first).to_contain_text("https://broken.example/b")


def test_no_link_data_runs_as_script(page, live_server, site, home, django_user_model):
    page.add_init_script(RECORD_DIALOGS)
    url = 'https://evil.example/"><script>alert(1)</script>'
    link = in_content(
        site,
        url,
        home,
        where='"><img src=x onerror=alert(2)>',
        status=Health.REDIRECTED,
        permanent=True,
        final_url='https://x.example/"><img src=x onerror=alert(3)>',
    )
    Link.objects.filter(pk=link.pk).update(text=XSS_TEXT)
    click(site, url, text=XSS_TEXT)
    Link.objects.create(
        url="javascript:alert(4)",
        url_hash=fingerprint("javascript:alert(4)"),
        domain="evil.example",
    )
    javascript = in_content(site, "javascript:alert(4)", home, status=Health.BROKEN)
    log_in(page, live_server, django_user_model)
    for view in (
        LINKS,
        f"{LINKS}?link={link.pk}",
        f"{LINKS}?link={javascript.pk}",
        f"{LINKS}?domain=evil.example",
        reverse("wagtail_outbound_reports:urls"),
        reverse("wagtailadmin_home"),
    ):
        page.goto(live_server.url + view)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__calls") == [], view
        assert page.locator('[href^="javascript:" i]').count() == 0, view
        assert page.locator("img[src=x]").count() == 0, view


@pytest.mark.slow
def test_screenshots_of_the_links_report_and_panel(
    page, live_server, site, home, django_user_model, tmp_path
):
    # Written to docs/screenshots only on demand (`make screenshots`).
    on_demand = os.environ.get("OUTBOUND_SCREENSHOTS") == "1"
    folder = SCREENSHOTS if on_demand else tmp_path
    pages = [home, *add_pages(home, "Getting started", "Blog", "Resources", "About")]
    seed_demo_like(site, pages)
    health = {
        "https://docs.wagtail.org/en/stable/": (Health.OK, 200, {}),
        "https://docs.wagtail.org/en/stable/getting_started/": (
            Health.REDIRECTED,
            301,
            {
                "permanent": True,
                "final_url": "https://docs.wagtail.org/en/stable/getting_started/tutorial.html",
            },
        ),
        "https://docs.wagtail.org/en/stable/reference/": (Health.BROKEN, 404, {}),
        "https://github.com/wagtail/wagtail": (Health.OK, 200, {}),
        "https://www.djangoproject.com/": (Health.OK, 200, {}),
        "https://shop.example.com/?ref=demo": (Health.BROKEN, 410, {}),
        "https://pypi.org/project/wagtail/": (Health.OK, 200, {}),
        "https://www.python.org/downloads/": (Health.OK, 200, {}),
        "https://xn--bcher-kva.example/wagtail": (Health.BLOCKED, 403, {}),
        "https://developer.mozilla.org/en-US/docs/Web/HTML": (Health.BROKEN, 404, {}),
    }
    for index, link in enumerate(Link.objects.order_by("pk")):
        status, code, check = health.get(link.url, (None, None, {}))
        holders = pages[index % 3 : index % 3 + 1 + index % 4]
        if link.url == "https://shop.example.com/?ref=demo":
            holders = []  # removed from content, still clicked
        in_content(
            site,
            link.url,
            *holders,
            where=["body", "body.2.link", "template"][index % 3],
            status=status,
            http_status=code,
            **check,
        )
    for url in ("https://wagtail.org/newsletter/", "https://example.org/old-event"):
        in_content(site, url, pages[1], status=Health.OK, http_status=200)
    log_in(page, live_server, django_user_model)
    page.set_viewport_size({"width": 1280, "height": 1100})
    folder.mkdir(parents=True, exist_ok=True)
    page.goto(live_server.url + LINKS)
    expect(table_rows(page)).to_have_count(13)
    page.screenshot(path=folder / "reports-links.png", full_page=True)

    page.set_viewport_size({"width": 1280, "height": 2000})
    page.goto(live_server.url + reverse("wagtailadmin_home"))
    panel = page.locator("section", has=page.locator("#outbound-broken-links-heading"))
    expect(panel.locator("tbody tr")).to_have_count(3)
    screenshot_dashboard_panel(page, panel, folder / "dashboard-broken-links.png")
    for name in ("reports-links.png", "dashboard-broken-links.png"):
        assert (folder / name).stat().st_size > 10_000
