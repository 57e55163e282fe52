"""Who sees the reports: superuser, permitted group, editor without, anonymous."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission

from tests.reports_data import (  # noqa: F401 (fixtures)
    editor,
    report_permission,
    report_user,
    seed_basic,
)

REPORT_URLS = [
    reverse("wagtail_outbound_reports:domains"),
    reverse("wagtail_outbound_reports:urls"),
    reverse("wagtail_outbound_reports:pages"),
    reverse("wagtail_outbound_reports:domains") + "?export=csv",
    reverse("wagtail_outbound_reports:urls") + "?export=xlsx",
    reverse("wagtail_outbound_reports:pages") + "?export=csv&domain=wagtail.org",
]
MENU_LINK = 'href="/admin/outbound/"'


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
    assert f'value="{report_permission().pk}"' in html


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
