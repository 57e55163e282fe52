"""Clicks where editors look: the overlay's endpoint, its userbar item and the
page editor's panel (the browser side: tests/browser/test_overlay_browser.py)."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.panels import ObjectList
from wagtail.models import Page, Site
from wagtail.test.utils.form_data import querydict_from_html

from tests.factories import click
from tests.reports_data import (  # noqa: F401 (fixtures)
    editor,
    page_user,
    report_permission,
    report_user,
    today,
)
from tests.testapp.models import ArticlePage
from wagtail_outbound import overlay
from wagtail_outbound.models import (
    OTHER_URL,
    Health,
    Link,
    LinkCheck,
    OutboundSettings,
    Placement,
)
from wagtail_outbound.panels import OutboundClicksPanel

pytestmark = pytest.mark.usefixtures("frozen_today")

GUIDE = "https://docs.example.org/guide/"
GONE = "https://gone.example.com/old"
SCRIPT = "wagtail_outbound/overlay/overlay.js"


def endpoint(page_id):
    return reverse("wagtail_outbound_reports:overlay", args=[page_id])


@pytest.fixture
def clicked(site, home):
    """Clicks from the home page: 6 on the guide, 2 on wagtail.org (which its
    body links to), 2 on a link it no longer has; and 5 on the guide from
    another page, which are not the home page's."""
    click(site, GUIDE, 6, source="/", page_id=home.pk)
    click(site, "https://www.wagtail.org/", 2, source="/", page_id=home.pk)
    click(site, GONE, 2, source="/", page_id=home.pk)
    other = home.add_child(instance=ArticlePage(title="Other", slug="other"))
    click(site, GUIDE, 5, source="/other/", page_id=other.pk)
    return home


def ask(client, page, *urls, headers=None, **params):
    response = client.get(
        endpoint(page.pk), {"url": list(urls), **params}, **(headers or {})
    )
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    return response.json()


# ---------------------------------------------------------------------------
# Counts


def test_a_link_counts_the_clicks_stored_under_the_url_a_click_on_it_stores(
    admin_client, clicked
):
    # What a click on each address would store: the host lower-cased,
    # campaign parameters and the fragment dropped.
    data = ask(
        admin_client,
        clicked,
        GUIDE,
        "https://DOCS.example.org/guide/?utm_source=mail",
        "https://docs.example.org/guide/#install",
    )
    guide = Link.objects.get(url=GUIDE).pk
    assert {href: match["link"] for href, match in data["matches"].items()} == {
        GUIDE: guide,
        "https://DOCS.example.org/guide/?utm_source=mail": guide,
        "https://docs.example.org/guide/#install": guide,
    }
    match = data["matches"][GUIDE]
    assert (match["clicks"], match["percent"], match["new"]) == (6, "60%", False)
    assert match["label"] == (
        "6 clicks in the last 30 days, 60% of this page's outbound clicks"
    )


def test_total_and_shares_count_this_page_only(admin_client, clicked):
    data = ask(admin_client, clicked, GUIDE)
    # 6 + 2 + 2 from the home page; the other page's 5 are not its own.
    assert data["total"] == 10
    assert data["text"]["total"] == (
        "10 outbound clicks from this page in the last 30 days"
    )


def test_links_never_clicked_count_zero(admin_client, clicked):
    data = ask(admin_client, clicked, "https://never.example.net/")
    assert data["matches"]["https://never.example.net/"] == {
        "link": None,
        "clicks": 0,
        "percent": "0%",
        "new": False,
        "label": "0 clicks in the last 30 days, 0% of this page's outbound clicks",
    }


def test_every_link_clicked_from_the_page_is_listed(admin_client, clicked):
    # The script lists those that no address on the page matched ("no
    # longer on this page"): the server lists them all, most clicked first.
    data = ask(admin_client, clicked, GUIDE)
    rows = [(row["url"], row["clicks"]) for row in data["links"]]
    assert rows[0] == (GUIDE, 6)
    assert sorted(rows[1:]) == [(GONE, 2), ("https://www.wagtail.org/", 2)]
    gone = next(row for row in data["links"] if row["url"] == GONE)
    assert gone["href"] == GONE
    assert gone["percent"] == "20%"
    assert data["text"]["gone"] == "Clicked, no longer on this page"


def test_links_beyond_the_listed_ones_still_get_their_count(
    admin_client, clicked, monkeypatch
):
    monkeypatch.setattr(overlay, "MAX_LINKS", 1)
    data = ask(admin_client, clicked, "https://www.wagtail.org/", GUIDE)
    assert data["matches"]["https://www.wagtail.org/"]["clicks"] == 2
    assert data["matches"][GUIDE]["clicks"] == 6
    # The most clicked one, and the one asked about.
    assert [row["url"] for row in data["links"]] == [GUIDE, "https://www.wagtail.org/"]
    assert data["total"] == 10


def test_clicks_over_the_budget_count_in_the_total_but_are_no_link(
    admin_client, clicked, settings
):
    settings.WAGTAIL_OUTBOUND_MAX_NEW_LINKS_PER_DAY = 0
    click(
        clicked.get_site(), "https://junk.example/", 5, source="/", page_id=clicked.pk
    )
    assert Link.objects.filter(url=OTHER_URL).exists()
    data = ask(admin_client, clicked, "https://junk.example/")
    assert data["total"] == 15
    assert data["matches"]["https://junk.example/"]["clicks"] == 0
    assert OTHER_URL not in [row["url"] for row in data["links"]]
    assert len(data["links"]) == 3


def test_no_clicks_at_all_answers_zeros(admin_client, home):
    data = ask(admin_client, home, GUIDE)
    assert data["total"] == 0
    assert data["links"] == []
    assert data["matches"][GUIDE]["clicks"] == 0


def test_addresses_no_click_is_counted_on_get_no_count(admin_client, site, clicked):
    OutboundSettings.objects.create(
        site=site, internal_domains="*.partner.test", excluded_domains="ads.example"
    )
    ignored = [
        "http://testserver/about/",  # the site's own host
        "https://www.testserver/about/",  # and its www. twin
        "https://shop.partner.test/",  # an internal domain
        "https://partner.test/",
        "https://ads.example/banner",  # an excluded domain
        "http://cms.test/page/",  # the host the request was made on
        "mailto:team@example.com",
        "javascript:alert(1)",
        "/relative/",
        "https://x.example/" + "a" * 2100,  # longer than any stored URL
    ]
    data = ask(
        admin_client, clicked, *ignored, GUIDE, headers={"HTTP_HOST": "cms.test"}
    )
    assert list(data["matches"]) == [GUIDE]


@pytest.mark.parametrize(
    ("setting", "stored", "href"),
    [
        ("drop_all", "https://shop.example/item", "https://shop.example/item?ref=42"),
        (
            "drop_listed",
            "https://shop.example/item?colour=red",
            "https://shop.example/item?colour=red&ref=42",
        ),
    ],
)
def test_the_sites_query_string_settings_apply_when_matching(
    admin_client, site, home, setting, stored, href
):
    OutboundSettings.objects.create(
        site=site, query_strings=setting, dropped_parameters="ref"
    )
    click(site, stored, 3, source="/", page_id=home.pk)
    data = ask(admin_client, home, href)
    assert data["matches"][href]["clicks"] == 3


@pytest.mark.parametrize(("days", "clicks"), [(7, 1), (30, 3), (90, 6)])
def test_days_pick_the_period(admin_client, site, home, days, clicks):
    for ago, times in [(0, 1), (20, 2), (80, 3), (100, 4)]:
        click(
            site,
            GUIDE,
            times,
            source="/",
            page_id=home.pk,
            day=today() - timedelta(days=ago),
        )
    data = ask(admin_client, home, GUIDE, days=days)
    assert data["matches"][GUIDE]["clicks"] == clicks
    assert data["total"] == clicks
    assert data["days"] == days
    assert data["end"] == today().isoformat()
    assert data["start"] == (today() - timedelta(days=days - 1)).isoformat()


# ---------------------------------------------------------------------------
# Drafts: links the live page does not serve are new


def test_draft_links_not_on_the_live_page_are_new(admin_client, clicked):
    # No inventory entry for the page yet: its live version is read.
    Placement.objects.filter(page_id=clicked.pk).delete()
    data = ask(admin_client, clicked, "https://www.wagtail.org/", GUIDE, draft="1")
    # The live body links to wagtail.org; the guide is only in the draft.
    assert data["matches"]["https://www.wagtail.org/"]["new"] is False
    assert data["matches"][GUIDE]["new"] is True
    assert data["text"]["gone"] == "Clicked, not in this draft"


def test_draft_links_are_compared_with_the_link_inventory(admin_client, site, clicked):
    Placement.objects.filter(page_id=clicked.pk).delete()
    now = timezone.now()
    Placement.objects.create(
        site=site,
        page_id=clicked.pk,
        link=Link.objects.get(url=GUIDE),
        first_seen=now,
        last_seen=now,
    )
    data = ask(admin_client, clicked, "https://www.wagtail.org/", GUIDE, draft="1")
    assert data["matches"][GUIDE]["new"] is False
    assert data["matches"]["https://www.wagtail.org/"]["new"] is True


def test_every_link_of_a_page_never_published_is_new(admin_client, clicked):
    Page.objects.filter(pk=clicked.pk).update(live=False)
    data = ask(admin_client, clicked, "https://www.wagtail.org/", draft="1")
    assert data["matches"]["https://www.wagtail.org/"]["new"] is True


def test_nothing_is_new_on_the_live_page(admin_client, clicked):
    data = ask(admin_client, clicked, "https://brand-new.example/")
    assert data["matches"]["https://brand-new.example/"]["new"] is False


# ---------------------------------------------------------------------------
# Who may ask, about which page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("superuser", 200),
        ("reporter editing the page", 200),
        ("editor without the report permission", 403),
        ("reporter who cannot explore the page", 403),
    ],
)
def test_the_endpoint_needs_the_report_permission_and_the_page(
    client, admin_user, django_user_model, clicked, who, status
):
    users = {
        "superuser": lambda: admin_user,
        "reporter editing the page": lambda: page_user(
            django_user_model, "reporter", pages=[clicked]
        ),
        "editor without the report permission": lambda: page_user(
            django_user_model, "editor", pages=[clicked], report=False
        ),
        "reporter who cannot explore the page": lambda: page_user(
            django_user_model, "analyst"
        ),
    }
    client.force_login(users[who]())
    response = client.get(endpoint(clicked.pk), {"url": GUIDE})
    assert response.status_code == status
    if status == 403:
        assert response.json() == {"error": "permission denied"}
        assert "matches" not in response.json()


def test_anonymous_requests_are_sent_to_the_login(client, clicked):
    response = client.get(endpoint(clicked.pk))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.fixture
def other_site(site):
    root = Page.get_first_root_node().add_child(
        instance=ArticlePage(title="Other home", slug="other-home")
    )
    return Site.objects.create(hostname="other.test", root_page=root)


def test_pages_of_another_site_are_refused(
    client, django_user_model, clicked, other_site
):
    # An editor of the first site, with the report permission.
    client.force_login(page_user(django_user_model, "reporter", pages=[clicked]))
    assert client.get(endpoint(clicked.pk)).status_code == 200
    response = client.get(endpoint(other_site.root_page_id))
    assert response.status_code == 403
    # Asked from the other site's own host, too.
    response = client.get(endpoint(other_site.root_page_id), HTTP_HOST="other.test")
    assert response.status_code == 403


def test_each_page_counts_the_clicks_of_its_own_site(admin_client, clicked, other_site):
    other_home = other_site.root_page
    click(other_site, GUIDE, 4, source="/", page_id=other_home.pk)
    assert ask(admin_client, other_home, GUIDE)["matches"][GUIDE]["clicks"] == 4
    assert ask(admin_client, clicked, GUIDE)["matches"][GUIDE]["clicks"] == 6


@pytest.mark.parametrize("page_id", ["root", 987654, 2**31, 2**63, 10**30], ids=str)
def test_pages_outside_every_site_are_not_found(admin_client, site, page_id):
    if page_id == "root":
        page_id = Page.get_first_root_node().pk
    response = admin_client.get(endpoint(page_id))
    assert response.status_code == 404
    assert response.json() == {"error": "no such page on any site"}


@pytest.mark.parametrize(
    "params",
    [
        {"days": "5"},
        {"days": "abc"},
        {"days": ""},
        {"days": "30.0"},
        {"days": "1e9"},
        {"url": [f"https://a.example/{i}" for i in range(overlay.MAX_URLS + 1)]},
    ],
    ids=["days=5", "days=abc", "days=", "days=30.0", "days=1e9", "too many urls"],
)
def test_bad_parameters_answer_400(admin_client, home, params):
    response = admin_client.get(endpoint(home.pk), params)
    assert response.status_code == 400
    assert "error" in response.json()


def test_only_get_is_answered(admin_client, home):
    assert admin_client.post(endpoint(home.pk)).status_code == 405


def test_as_many_urls_as_allowed_are_answered(admin_client, clicked):
    urls = [f"https://a.example/{i}" for i in range(overlay.MAX_URLS - 1)]
    data = ask(admin_client, clicked, GUIDE, *urls)
    assert len(data["matches"]) == overlay.MAX_URLS


# ---------------------------------------------------------------------------
# The userbar item


def test_permitted_users_get_the_item_and_its_script_on_the_live_page(
    admin_client, home
):
    html = admin_client.get(home.url).content.decode()
    assert SCRIPT in html
    assert f'data-outbound-overlay="{endpoint(home.pk)}"' in html
    assert "data-outbound-overlay-preview" not in html
    # The script is an external file: nothing inline.
    assert 'role="menuitemcheckbox"' in html


@pytest.mark.parametrize(
    "who", ["anonymous", "editor without the report permission", "cannot explore"]
)
def test_others_get_no_item_and_no_script(client, django_user_model, home, who):
    if who == "editor without the report permission":
        client.force_login(
            page_user(django_user_model, "editor", pages=[home], report=False)
        )
    elif who == "cannot explore":
        client.force_login(page_user(django_user_model, "analyst"))
    html = client.get(home.url).content.decode()
    assert "overlay.js" not in html
    assert "data-outbound-overlay" not in html


def test_the_preview_gets_the_item_showing_counts_at_once(admin_client, home):
    edit_url = reverse("wagtailadmin_pages:edit", args=[home.pk])
    data = querydict_from_html(
        admin_client.get(edit_url).content.decode(), form_id="page-edit-form"
    )
    data.setdefault("content-count", "0")  # StreamField inputs are built by JS
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[home.pk])
    assert admin_client.post(preview_url, data).json()["is_valid"] is True
    html = admin_client.get(preview_url, {"in_preview_panel": "true"}).content.decode()
    assert SCRIPT in html
    assert "data-outbound-overlay-preview" in html


def test_the_item_follows_the_users_admin_theme(admin_client, admin_user, home):
    from wagtail.users.models import UserProfile

    UserProfile.objects.update_or_create(user=admin_user, defaults={"theme": "dark"})
    html = admin_client.get(home.url).content.decode()
    assert 'data-outbound-overlay-theme="dark"' in html


# ---------------------------------------------------------------------------
# The page editor's panel


def edit_view(client, page):
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    return response.content.decode()


def panel_html(html):
    start = html.index("data-outbound-panel")
    return html[
        start : html.index("</table>", start) if "</table>" in html[start:] else None
    ]


def test_the_panel_lists_the_pages_top_links_with_clicks_and_shares(
    admin_client, clicked
):
    html = edit_view(admin_client, clicked)
    panel = panel_html(html)
    assert "10 outbound clicks from this page in the last 30 days." in panel
    assert panel.index("docs.example.org") < panel.index("gone.example.com")
    assert "<td>6</td>" in panel and "<td>60%</td>" in panel
    assert 'class="outbound-sparkline"' in panel
    # No link has been checked yet: no health column.
    assert "Health" not in panel
    assert reverse("wagtail_outbound_reports:pages") + f"?page={clicked.pk}" in html


def test_the_panel_shows_health_once_a_link_was_checked(admin_client, clicked):
    LinkCheck.objects.create(
        link=Link.objects.get(url=GONE), status=Health.BROKEN, http_status=404
    )
    panel = panel_html(edit_view(admin_client, clicked))
    assert '<th scope="col">Health</th>' in panel
    assert "outbound-panel__health--broken" in panel
    assert ">404<" in panel
    assert "Not checked" in panel  # the links not checked yet


def test_the_panel_explains_itself_on_a_page_without_clicks(admin_client, home):
    html = edit_view(admin_client, home)
    start = html.index("data-outbound-panel")
    panel = html[start : html.index("</div>", start)]
    assert "No outbound clicks from this page in the last 30 days." in panel
    assert "<table" not in panel
    assert "outbound-sparkline" not in panel


def test_the_panel_is_hidden_from_editors_without_the_report_permission(
    client, django_user_model, clicked
):
    client.force_login(
        page_user(django_user_model, "editor", pages=[clicked], report=False)
    )
    html = edit_view(client, clicked)
    assert "data-outbound-panel" not in html
    assert "outbound clicks from this page" not in html


def test_the_panel_works_on_any_page_model(admin_user, clicked):
    # A plain Page, not an OutboundTrackingMixin model.
    page = Page.objects.get(pk=clicked.pk)
    request = RequestFactory().get("/")
    request.user = admin_user
    bound = (
        ObjectList([OutboundClicksPanel(days=90, top=1)])
        .bind_to_model(Page)
        .get_bound_panel(instance=page, request=request, form=None)
    )
    html = bound.render_html()
    assert "10 outbound clicks from this page in the last 90 days." in html
    assert html.count("<tr>") == 2  # the header and the one top link
