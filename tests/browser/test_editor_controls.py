"""Editors decide what is tracked, in the real Wagtail admin.

Each test turns a control on, publishes, clicks the link on the live page and
proves nothing was sent or counted; then turns it off again and proves the
same click is counted.
"""

import pytest

from tests.browser.conftest import COLLECT, SEND_SENTINEL, SENTINEL, wait_for
from tests.factories import clicks_on

LINK_URL = "https://www.wagtail.org/"
MARKED = ".Draftail-Editor span[style*=outbound-no-track]"


@pytest.fixture
def admin(page, live_server, site, django_user_model):
    """The browser page, logged in to the Wagtail admin of the live site."""
    site.hostname = "localhost"
    site.port = int(live_server.url.rsplit(":", 1)[1])
    site.save()
    django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    beacons = []
    page.on("request", lambda r: COLLECT in r.url and beacons.append(r.url))
    page.beacons = beacons
    return page


def edit(admin, live_server, page_id):
    admin.goto(f"{live_server.url}/admin/pages/{page_id}/edit/")
    admin.wait_for_selector(".Draftail-Editor [contenteditable=true]")


def publish(admin):
    admin.click("footer [data-w-dropdown-target=toggle]")
    admin.click("footer button[name=action-publish]")
    admin.wait_for_url("**/admin/pages/*/")


def click_link_on_live_page(admin, live_server):
    """Open the live page, check the tracker is there, click the link."""
    admin.goto(live_server.url + "/")
    admin.wait_for_function("window.wagtailOutbound")
    admin.click(f"a[href='{LINK_URL}']")
    admin.wait_for_url(LINK_URL)


def assert_not_counted(admin, live_server):
    """Back on the live page, post a sentinel click straight to the endpoint:
    once it is stored, a click the tracker had sent would be stored too."""
    admin.go_back()
    admin.evaluate(SEND_SENTINEL, [live_server.url + COLLECT, SENTINEL])
    wait_for(lambda: clicks_on(SENTINEL) == 1, page=admin)
    assert clicks_on(LINK_URL) == 0
    assert len(admin.beacons) == 1  # the sentinel: the tracker sent nothing


def assert_counted_once(admin):
    wait_for(lambda: clicks_on(LINK_URL) == 1, page=admin)
    assert len(admin.beacons) == 2  # the sentinel, then this click


def toggle_no_track(admin):
    """Select the link's text in Draftail and press the "No tracking" button."""
    admin.locator(".Draftail-Editor [data-text=true]", has_text="Wagtail").select_text()
    was_marked = admin.locator(MARKED).count() > 0
    admin.click("button[name=OUTBOUND_NO_TRACK]")
    # Draftail saves its state to the form's hidden input a moment after a change.
    admin.wait_for_function(
        "marked => document.querySelector('input[name=body]').value"
        ".includes('OUTBOUND_NO_TRACK') === marked",
        arg=not was_marked,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_tracking_toggle_in_rich_text(admin, live_server, home):
    edit(admin, live_server, home.pk)
    toggle_no_track(admin)
    marked = admin.locator(MARKED)
    assert marked.inner_text() == "Wagtail"
    publish(admin)
    assert 'data-outbound-no-track="true">Wagtail' in type(home).objects.get().body

    click_link_on_live_page(admin, live_server)
    assert_not_counted(admin, live_server)

    edit(admin, live_server, home.pk)
    assert marked.inner_text() == "Wagtail"  # the mark survived the reload
    toggle_no_track(admin)
    assert marked.count() == 0
    publish(admin)
    assert "data-outbound-no-track" not in type(home).objects.get().body

    click_link_on_live_page(admin, live_server)
    assert_counted_once(admin)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_tracking_button_is_an_icon_after_the_link_buttons(admin, live_server, home):
    edit(admin, live_server, home.pk)
    admin.locator(".Draftail-Editor [data-text=true]", has_text="Wagtail").select_text()
    toolbar = admin.locator(".Draftail-Editor__wrapper [role=toolbar]")
    names = [b.get_attribute("name") for b in toolbar.locator("button").all()]
    assert names.index("OUTBOUND_NO_TRACK") > names.index("LINK")
    assert names.index("OUTBOUND_NO_TRACK") > names.index("ITALIC")
    button = toolbar.locator("button[name=OUTBOUND_NO_TRACK]")
    # Like Bold or Link: Wagtail's icon, no text, the name as tooltip.
    assert button.inner_text().strip() == ""
    assert button.locator("svg.icon use").get_attribute("href") == "#icon-no-view"
    assert button.get_attribute("aria-label") == "No tracking"
    assert button.get_attribute("data-draftail-balloon") is not None
    width = button.bounding_box()["width"]
    bold = toolbar.locator("button[name=BOLD]").bounding_box()["width"]
    assert width == pytest.approx(bold, abs=1)


def set_page_switch(admin, live_server, page_id, on):
    edit(admin, live_server, page_id)
    admin.click("a[href='#tab-settings']")
    admin.set_checked("input[name=track_outbound_clicks]", on)
    publish(admin)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_page_switch_turns_tracking_off_for_the_page(admin, live_server, home):
    set_page_switch(admin, live_server, home.pk, on=False)
    admin.goto(live_server.url + "/")
    assert admin.locator("script[data-outbound-collect]").count() == 0
    admin.click(f"a[href='{LINK_URL}']")
    admin.wait_for_url(LINK_URL)
    assert_not_counted(admin, live_server)

    set_page_switch(admin, live_server, home.pk, on=True)
    click_link_on_live_page(admin, live_server)
    assert_counted_once(admin)


def save_site_settings(admin, live_server, site, excluded):
    admin.goto(
        f"{live_server.url}/admin/settings/wagtail_outbound/outboundsettings/{site.pk}/"
    )
    admin.fill("textarea[name=excluded_domains]", excluded)
    admin.click("footer button[type=submit]")
    admin.wait_for_selector(".messages .success, .error-message")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_excluded_domain_set_in_site_settings(admin, live_server, site):
    save_site_settings(admin, live_server, site, "http://www.wagtail.org/")
    assert admin.locator(".error-message").inner_text() == (
        "Line 1: “http://www.wagtail.org/” is not a hostname or a *.example.com "
        "wildcard."
    )
    save_site_settings(admin, live_server, site, "ads.example\n*.wagtail.org")
    assert admin.locator(".error-message").count() == 0

    click_link_on_live_page(admin, live_server)
    assert_not_counted(admin, live_server)

    save_site_settings(admin, live_server, site, "ads.example")
    click_link_on_live_page(admin, live_server)
    assert_counted_once(admin)
