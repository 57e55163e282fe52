"""Clicks where editors look, in headless Chromium: counts drawn on the links
of a draft in the preview panel and of the live page through the userbar,
for permitted users only, under a strict Content-Security-Policy too."""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from wagtail.models import Page, Site

from tests.factories import click
from tests.reports_data import page_user
from tests.testapp.middleware import COOKIE as STRICT_CSP_COOKIE
from tests.testapp.models import ArticlePage
from wagtail_outbound.models import Link, LinkCheck

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
pytestmark = [
    pytest.mark.usefixtures("frozen_today"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LINKS = (
    '<p><a href="https://docs.example.org/guide/#install">Read the guide</a></p>'
    '<p><a href="https://never.example.net/">Never clicked</a></p>'
    '<p><a href="/about/">About us</a> <a href="mailto:team@example.com">Mail</a></p>'
    '<p data-outbound-no-track><a href="https://www.wagtail.org/">Wagtail again</a></p>'
)
DRAFT_LINK = '<p><a href="https://fresh.example.com/">Fresh partner</a></p>'
BADGES = "[data-outbound-clicks]"
OVERLAY_SCRIPT = "overlay/overlay.js"
ENDPOINT = "/admin/outbound/overlay/"
PAGE_SIZE = (
    "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
)
# Every CSP violation a document reports, kept on its window.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def live_home(live_server, site, home):
    """The home page served on the live server, with clicks from it: 6 on
    the guide (its fragment is not part of the URL), 2 on a link it no longer
    carries, none on "Never clicked"."""
    site.hostname = "localhost"
    site.port = int(live_server.url.rsplit(":", 1)[1])
    site.save()
    ArticlePage.objects.filter(pk=home.pk).update(links=LINKS)
    click(site, "https://www.wagtail.org/", 2, source="/", page_id=home.pk)
    click(site, "https://docs.example.org/guide/", 6, source="/", page_id=home.pk)
    click(site, "https://gone.example.com/old", 2, source="/", page_id=home.pk)
    home.refresh_from_db()
    return home


def log_in(page, live_server, username):
    page.goto(live_server.url + reverse("wagtailadmin_login"))
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + reverse("wagtailadmin_home"))


def badge(scope, name):
    """The badge of the link called ``name`` (screen readers hear its name)."""
    heard = re.compile("^" + re.escape(name) + r"\.")
    return scope.locator(BADGES, has=scope.locator(".visually-hidden", has_text=heard))


def open_preview(page, live_server, home):
    page.goto(live_server.url + reverse("wagtailadmin_pages:edit", args=[home.pk]))
    page.click("[data-side-panel-toggle='preview']")
    return page.frame_locator("#w-preview-iframe")


def open_userbar_item(page):
    page.click("#wagtail-userbar-trigger")
    expect(page.locator("#wagtail-userbar-trigger")).to_have_attribute(
        "aria-expanded", "true"
    )
    item = page.get_by_role("menuitemcheckbox", name="Outbound clicks")
    item.click()
    return item


def requests_of(page):
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def test_preview_shows_clicks_on_the_draft_links_and_marks_new_ones(
    page, live_server, live_home, django_user_model
):
    # The draft adds a link the live page does not have.
    draft = live_home.specific
    draft.links = LINKS + DRAFT_LINK
    draft.save_revision()
    page_user(django_user_model, "editor", pages=[live_home])
    log_in(page, live_server, "editor")

    frame = open_preview(page, live_server, live_home)
    guide = badge(frame, "Read the guide")
    expect(guide).to_have_attribute("data-outbound-clicks", "6")
    expect(guide).to_contain_text("6 · 60%")
    expect(badge(frame, "Wagtail")).to_have_attribute("data-outbound-clicks", "2")
    expect(badge(frame, "Never clicked")).to_have_attribute("data-outbound-clicks", "0")
    fresh = badge(frame, "Fresh partner")
    expect(fresh).to_have_attribute("data-outbound-clicks", "0")
    expect(fresh).to_contain_text("New")
    expect(fresh).to_have_class(re.compile(r"\bbadge--new\b"))
    # Links that are on the live page are not new; internal links and
    # mail links get no badge.
    expect(guide).not_to_have_class(re.compile(r"\bbadge--new\b"))
    expect(frame.locator(BADGES).and_(frame.locator(".badge"))).to_have_count(5)
    # The link clicked from the live page but not in the draft is listed.
    summary = frame.locator(".summary")
    expect(summary).to_contain_text("Clicked, not in this draft")
    expect(summary.locator(".summary__gone li")).to_have_count(1)
    expect(summary.locator(".summary__gone")).to_contain_text(
        "https://gone.example.com/old"
    )
    expect(summary).to_contain_text("10 outbound clicks from this page")


def test_badges_sit_on_their_links_without_moving_the_page(
    page, live_server, live_home, django_user_model
):
    page_user(django_user_model, "editor", pages=[live_home])
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/")
    link = page.get_by_role("link", name="Read the guide")
    before = {
        "link": link.bounding_box(),
        "size": page.evaluate(PAGE_SIZE),
        "sheets": page.evaluate("document.styleSheets.length"),
        "attributes": link.evaluate("el => el.outerHTML"),
    }
    open_userbar_item(page)
    guide = badge(page, "Read the guide")
    expect(guide).to_have_attribute("data-outbound-clicks", "6")
    # On the top right corner of its link.
    box, link_box = guide.bounding_box(), link.bounding_box()
    assert box["x"] < link_box["x"] + link_box["width"] < box["x"] + box["width"]
    assert box["y"] < link_box["y"] < box["y"] + box["height"]
    # The page did not move, and its styles and links are as they were.
    assert link.bounding_box() == before["link"]
    assert page.evaluate(PAGE_SIZE) == before["size"]
    assert page.evaluate("document.styleSheets.length") == before["sheets"]
    assert link.evaluate("el => el.outerHTML") == before["attributes"]
    # Screen readers hear the link's name and its count.
    expect(guide.locator(".visually-hidden")).to_have_text(
        "Read the guide. 6 clicks in the last 30 days, 60% of this page's "
        "outbound clicks"
    )
    # The badges never take a click meant for the link.
    assert guide.evaluate("el => getComputedStyle(el).pointerEvents") == "none"


def test_badges_of_neighbouring_links_do_not_cover_each_other(
    page, live_server, live_home, django_user_model
):
    names = ["Ant", "Bee", "Cat"]
    ArticlePage.objects.filter(pk=live_home.pk).update(
        links="<p>Visit "
        + ", ".join(f'<a href="https://{n.lower()}.example/">{n}</a>' for n in names)
        + ".</p>"
    )
    for times, name in enumerate(names, start=10):
        url = f"https://{name.lower()}.example/"
        click(live_home.get_site(), url, times, source="/", page_id=live_home.pk)
    page_user(django_user_model, "editor", pages=[live_home])
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/")
    open_userbar_item(page)
    badges = [badge(page, name) for name in names]
    for shown, times in zip(badges, [10, 11, 12], strict=True):
        expect(shown).to_have_attribute("data-outbound-clicks", str(times))
    boxes = [shown.bounding_box() for shown in badges]
    for number, box in enumerate(boxes):
        for other in boxes[number + 1 :]:
            apart = (
                box["x"] + box["width"] <= other["x"]
                or other["x"] + other["width"] <= box["x"]
                or box["y"] + box["height"] <= other["y"]
                or other["y"] + other["height"] <= box["y"]
            )
            assert apart, (box, other)
    # Each still ends past its own link's end, whichever height it rose to.
    for name, box in zip(names, boxes, strict=True):
        link = page.get_by_role("link", name=name, exact=True).bounding_box()
        assert box["x"] < link["x"] + link["width"] < box["x"] + box["width"]


def test_userbar_item_toggles_the_counts_on_the_live_page(
    page, live_server, live_home, django_user_model
):
    page_user(django_user_model, "editor", pages=[live_home])
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/")
    expect(page.locator(BADGES)).to_have_count(0)

    item = open_userbar_item(page)
    expect(item).to_have_attribute("aria-checked", "true")
    expect(badge(page, "Read the guide")).to_have_attribute("data-outbound-clicks", "6")
    expect(badge(page, "Never clicked")).to_have_attribute("data-outbound-clicks", "0")
    summary = page.locator(".summary")
    expect(summary).to_contain_text("Clicked, no longer on this page")
    expect(summary.locator(".summary__gone")).to_contain_text("gone.example.com/old")
    # No draft: nothing is new.
    expect(page.locator(".badge--new")).to_have_count(0)
    # A link opted out of tracking shows its clicks, and says it is not tracked.
    quiet = badge(page, "Wagtail again")
    expect(quiet).to_have_attribute("data-outbound-clicks", "2")
    expect(quiet).to_have_class(re.compile(r"\bbadge--untracked\b"))
    expect(quiet).to_contain_text("Not tracked")

    # Another period: the last 7 days hold no click of the guide.
    click(
        live_home.get_site(),
        "https://docs.example.org/guide/",
        source="/",
        page_id=live_home.pk,
        day=datetime.date(2026, 4, 1),
    )
    page.locator(".summary select").select_option("90")
    expect(badge(page, "Read the guide")).to_have_attribute("data-outbound-clicks", "7")

    item = open_userbar_item(page)
    expect(item).to_have_attribute("aria-checked", "false")
    expect(page.locator(BADGES)).to_have_count(0)


@pytest.mark.parametrize("who", ["anonymous", "no report permission"])
def test_visitors_and_unpermitted_users_get_no_script_and_send_no_request(
    page, live_server, live_home, django_user_model, who
):
    if who != "anonymous":
        page_user(django_user_model, "editor", report=False, pages=[live_home])
        log_in(page, live_server, "editor")
    seen = requests_of(page)
    response = page.goto(live_server.url + "/")
    html = response.text()
    assert OVERLAY_SCRIPT not in html
    assert "data-outbound-overlay" not in html
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.wagtailOutboundOverlay") == "undefined"
    assert not [url for url in seen if OVERLAY_SCRIPT in url or ENDPOINT in url]
    assert page.locator(BADGES).count() == 0
    if who != "anonymous":
        # The userbar is there, without the item.
        page.click("#wagtail-userbar-trigger")
        expect(page.get_by_role("menuitem", name="Go to Wagtail admin")).to_be_visible()
        expect(
            page.get_by_role("menuitemcheckbox", name="Outbound clicks")
        ).to_have_count(0)


def test_endpoint_refuses_pages_of_another_site(
    page, live_server, live_home, django_user_model
):
    other_root = Page.get_first_root_node().add_child(
        instance=ArticlePage(title="Other home", slug="other-home")
    )
    Site.objects.create(hostname="other.test", root_page=other_root)
    page_user(django_user_model, "editor", pages=[live_home])
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/")
    status = """async (id) => (await fetch(`/admin/outbound/overlay/${id}/`)).status"""
    assert page.evaluate(status, live_home.pk) == 200
    assert page.evaluate(status, other_root.pk) == 403
    # A page outside every site.
    assert page.evaluate(status, Page.get_first_root_node().pk) == 404


@pytest.mark.parametrize("where", ["live page", "preview"])
def test_badges_survive_a_strict_content_security_policy(
    page, context, live_server, live_home, django_user_model, where
):
    page_user(django_user_model, "editor", pages=[live_home])
    context.add_cookies(
        [{"name": STRICT_CSP_COOKIE, "value": "1", "url": live_server.url}]
    )
    context.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    policies = []
    page.on(
        "response",
        lambda response: policies.append(
            (response.url, response.headers.get("content-security-policy"))
        ),
    )
    log_in(page, live_server, "editor")
    if where == "preview":
        scope = open_preview(page, live_server, live_home)
    else:
        page.goto(live_server.url + "/")
        open_userbar_item(page)
        scope = page
    expect(badge(scope, "Read the guide")).to_have_attribute(
        "data-outbound-clicks", "6"
    )
    # The document under the policy, its script, stylesheet and counts all
    # came from the server.
    document = page.frame(url=re.compile(r"/preview/")) if where == "preview" else page
    assert dict(policies)[document.url] == "default-src 'self'"
    # The summary is styled by overlay.css, which the policy let in.
    summary = scope.locator(".summary")
    expect(summary).to_be_visible()
    assert summary.evaluate("el => getComputedStyle(el).position") == "fixed"
    assert document.evaluate("window.__violations") == []
    assert not [text for text in console if "Content Security Policy" in text]


DARK, LIGHT = "rgb(38, 38, 38)", "rgb(255, 255, 255)"


@pytest.mark.parametrize(
    ("theme", "browser_scheme", "background"),
    [
        ("dark", "light", DARK),
        ("light", "dark", LIGHT),
        ("system", "dark", DARK),
        ("system", "light", LIGHT),
    ],
)
def test_overlay_follows_the_users_admin_theme(
    page, live_server, live_home, django_user_model, theme, browser_scheme, background
):
    from wagtail.users.models import UserProfile

    user = page_user(django_user_model, "editor", pages=[live_home])
    UserProfile.objects.update_or_create(user=user, defaults={"theme": theme})
    page.emulate_media(color_scheme=browser_scheme)
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/")
    open_userbar_item(page)
    summary = page.locator(".summary")
    expect(summary).to_be_visible()
    assert summary.evaluate("el => getComputedStyle(el).backgroundColor") == background


@pytest.mark.slow
def test_screenshots_of_the_preview_overlay_and_editor_panel(
    page, live_server, live_home, django_user_model, tmp_path
):
    # Written to docs/ on demand only (`make screenshots`), like the reports'.
    folder = SCREENSHOTS if os.environ.get("OUTBOUND_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    site = live_home.get_site()
    for day in range(1, 28, 2):
        click(
            site,
            "https://docs.example.org/guide/",
            day % 4 + 1,
            source="/",
            page_id=live_home.pk,
            day=datetime.date(2026, 5, day // 2 + 1),
        )
    draft = live_home.specific
    draft.links = LINKS + DRAFT_LINK
    draft.save_revision()
    LinkCheck.objects.create(
        link=Link.objects.get(url="https://gone.example.com/old"),
        status="broken",
        http_status=404,
    )
    page_user(django_user_model, "editor", pages=[live_home])
    log_in(page, live_server, "editor")
    page.set_viewport_size({"width": 1440, "height": 900})
    frame = open_preview(page, live_server, live_home)
    expect(badge(frame, "Fresh partner")).to_have_count(1)
    page.wait_for_timeout(300)
    page.screenshot(path=folder / "overlay-preview.png")

    page.click("[data-side-panel-toggle='preview']")
    page.click("a[href='#tab-settings']")
    panel = page.locator("[data-outbound-panel]")
    expect(panel.locator("tbody tr")).to_have_count(3)
    section = page.locator("section", has=panel).last
    section.scroll_into_view_if_needed()
    box = section.bounding_box()
    page.screenshot(
        path=folder / "editor-panel.png",
        clip={
            "x": box["x"] - 56,
            "y": box["y"] - 16,
            "width": box["width"] + 80,
            "height": box["height"] + 32,
        },
    )
    for name in ("overlay-preview.png", "editor-panel.png"):
        assert (folder / name).stat().st_size > 10_000
