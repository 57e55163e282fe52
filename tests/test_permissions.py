"""Who sees the reports: superuser, permitted group, editor without, anonymous."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page, Site

from tests.reports_data import (  # noqa: F401 (fixtures)
    editor,
    report_permission,
    report_user,
    seed_basic,
)
from wagtail_outbound import periods
from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint
from wagtail_outbound.rollups import rebuild as rebuild_rollups

REPORT_URLS = [
    reverse("wagtail_outbound_reports:domains"),
    reverse("wagtail_outbound_reports:urls"),
    reverse("wagtail_outbound_reports:pages"),
    reverse("wagtail_outbound_reports:domains") + "?export=csv",
    reverse("wagtail_outbound_reports:urls") + "?export=xlsx",
    reverse("wagtail_outbound_reports:pages") + "?export=csv&domain=wagtail.org",
    # The results alone, which the header's search and filters fetch.
    reverse("wagtail_outbound_reports:domains_results"),
    reverse("wagtail_outbound_reports:pages_results") + "?q=wagtail",
]
MENU_LINK = 'href="/admin/outbound/"'
# Dates relative to today run on a fixed day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def as_user(client, admin_user, report_user, editor):  # noqa: F811
    users = {"superuser": admin_user, "permitted": report_user, "editor": editor}

    def login(who):
        client.logout()
        if who != "anonymous":
            client.force_login(users[who])
        return client

    return login


@pytest.mark.parametrize("url", REPORT_URLS)
@pytest.mark.parametrize(
    ("who", "status"),
    [("superuser", 200), ("permitted", 200), ("editor", 302), ("anonymous", 302)],
)
def test_reports_and_exports_need_the_permission(as_user, site, home, url, who, status):
    seed_basic(site, home)
    response = as_user(who).get(url)
    assert response.status_code == status
    if who == "anonymous":
        assert "/admin/login/" in response["Location"]
    if who == "editor":
        # Wagtail turns PermissionDenied into a redirect to the dashboard.
        assert response["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("who", "shown"), [("superuser", True), ("permitted", True), ("editor", False)]
)
def test_menu_item_and_dashboard_only_for_permitted_users(
    as_user, site, home, who, shown
):
    seed_basic(site, home)
    html = as_user(who).get(reverse("wagtailadmin_home")).content.decode()
    assert ("Outbound links" in html) is shown
    assert ('id="outbound-top-domains-heading"' in html) is shown
    assert ("outbound clicks" in html) is shown  # the summary item


@pytest.mark.parametrize(
    ("who", "shown"), [("superuser", True), ("permitted", True), ("editor", False)]
)
def test_page_action_only_for_permitted_users(as_user, site, home, who, shown):
    # Both groups may edit pages, so only the report permission differs.
    for group in Group.objects.filter(name__in=["Analysts", "Plain editors"]):
        GroupPagePermission.objects.create(
            group=group,
            page=home,
            permission=Permission.objects.get(codename="change_page"),
        )
    client = as_user(who)
    link = f"/admin/outbound/pages/?page={home.pk}"
    # The page's header actions on its explorer listing.
    response = client.get(reverse("wagtailadmin_explore", args=[home.pk]))
    assert response.status_code == 200
    assert (link in response.content.decode()) is shown


def test_anonymous_gets_the_admin_login(client, site):
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302


def test_permission_is_offered_in_the_group_editor(admin_client):
    group = Group.objects.create(name="Readers")
    html = admin_client.get(
        reverse("wagtailusers_groups:edit", args=[group.pk])
    ).content.decode()
    # The checkbox's label says what it opens, not a bare "Can view" (Wagtail
    # shortens the label of a model's default permissions to the action).
    checkbox = re.search(
        rf'<input type="checkbox" name="permissions" value="{report_permission().pk}"'
        r"[^>]*>\s*([^<]*?)\s*</label>",
        html,
    )
    assert checkbox, "no checkbox for the permission"
    assert checkbox[1] == "Can view outbound link reports"


def test_granting_the_permission_to_a_group_opens_the_report(
    client,
    editor,  # noqa: F811
    site,
):
    client.force_login(editor)
    url = reverse("wagtail_outbound_reports:domains")
    assert client.get(url).status_code == 302
    Group.objects.get(name="Plain editors").permissions.add(report_permission())
    assert client.get(url).status_code == 200


# Page titles: only for pages the viewer may explore in the admin.


@pytest.fixture
def two_sites(site, home):
    """Site A (the default, ``home``) with a page "Our article"; site B with
    a page "Secret plan"; clicks from both pages; the "Analysts" group may
    edit site A's pages only."""
    root = Page.get_first_root_node()
    home_b = root.add_child(instance=Page(title="Home B", slug="home-b"))
    site_b = Site.objects.create(hostname="b.test", port=80, root_page=home_b)
    article = home.add_child(instance=Page(title="Our article", slug="ours"))
    secret = home_b.add_child(instance=Page(title="Secret plan", slug="secret"))
    link = Link.objects.create(
        url="https://x.example/", url_hash=fingerprint("x"), domain="x.example"
    )
    for each, page in ((site, article), (site_b, secret)):
        source = SourcePage.objects.create(
            site=each, page_id=page.pk, path=page.url_path, path_hash=fingerprint("p")
        )
        DailyClicks.objects.create(
            site=each, day=periods.today(), link=link, source=source, clicks=1
        )
    rebuild_rollups()
    GroupPagePermission.objects.create(
        group=Group.objects.get(name="Analysts"),
        page=home,
        permission=Permission.objects.get(codename="change_page"),
    )
    return article, secret


PAGES = reverse("wagtail_outbound_reports:pages")


def test_exit_pages_show_only_the_titles_the_viewer_may_see(as_user, two_sites):
    article, secret = two_sites
    html = as_user("permitted").get(PAGES).content.decode()
    assert "Our article" in html
    assert f'href="{reverse("wagtailadmin_pages:edit", args=[article.pk])}"' in html
    assert "Secret plan" not in html
    assert f"Page #{secret.pk}" in html
    # Its path is still shown (wrapping after its slashes).
    assert secret.url_path in html.replace("<wbr>", "")
    csv_body = b"".join(
        as_user("permitted").get(PAGES, {"export": "csv"}).streaming_content
    ).decode()
    assert "Our article" in csv_body and "Secret plan" not in csv_body

    html = as_user("superuser").get(PAGES).content.decode()
    assert "Our article" in html and "Secret plan" in html


def test_page_drill_down_names_only_a_page_the_viewer_may_see(as_user, two_sites):
    article, secret = two_sites
    client = as_user("permitted")
    response = client.get(PAGES, {"page": secret.pk})
    assert page_pill(response) == ("Page", f"Page #{secret.pk}")
    assert "Secret plan" not in response.content.decode()
    response = client.get(PAGES, {"page": article.pk})
    assert page_pill(response) == ("Page", "Our article")
    response = as_user("superuser").get(PAGES, {"page": secret.pk})
    assert page_pill(response) == ("Page", "Secret plan")


def page_pill(response):
    """``(label, value)`` of the page drill-down's active-filter pill."""
    (pill,) = response.context["view"].active_filters
    return str(pill.field_label), pill.value


def test_a_viewer_without_page_permissions_sees_no_titles(as_user, two_sites):
    GroupPagePermission.objects.all().delete()
    html = as_user("permitted").get(PAGES).content.decode()
    assert "Our article" not in html and "Secret plan" not in html
