"""Admin menu item and page actions that open the reports."""

from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from .permissions import user_can_view_reports

ICON = "link-external"


class ReportsMenuItem(MenuItem):
    def is_shown(self, request):
        return user_can_view_reports(request.user)


def menu_item():
    return ReportsMenuItem(
        _("Outbound links"),
        reverse_lazy("wagtail_outbound_reports:domains"),
        name="outbound-links",
        icon_name=ICON,
        order=850,
    )


def page_report_url(page):
    """The Exit pages report drilled down to ``page``."""
    return (
        reverse("wagtail_outbound_reports:pages") + "?" + urlencode({"page": page.pk})
    )


def page_buttons(page, user):
    """An "Outbound clicks" action for a page, for users who may see reports."""
    if page.is_root() or not user_can_view_reports(user):
        return
    yield Button(
        _("Outbound clicks"),
        url=page_report_url(page),
        icon_name=ICON,
        priority=70,
    )
