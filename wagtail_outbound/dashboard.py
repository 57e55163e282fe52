"""The dashboard panels "Top outbound domains" and "Broken links visitors
still click", and the month's summary item."""

from datetime import timedelta

from django import forms
from django.urls import reverse
from wagtail.admin.site_summary import SummaryItem
from wagtail.admin.ui.components import Component

from . import links, periods, stats
from .models import OTHER_DOMAIN, Health, LinkCheck
from .permissions import user_can_view_reports
from .tables import domain_label, report_url

PERIOD_DAYS = 30
TOP = 10


class Panel(Component):
    """A dashboard panel over the last ``PERIOD_DAYS`` days."""

    @property
    def media(self):
        return forms.Media(css={"all": ["wagtail_outbound/reports.css"]})

    @staticmethod
    def period():
        """``(start, end)`` of the last ``PERIOD_DAYS`` days."""
        return periods.last_days(PERIOD_DAYS)


class TopDomainsPanel(Panel):
    """Top 10 domains of the last 30 days, with the change against the 30 before."""

    name = "outbound_top_domains"
    order = 150
    template_name = "wagtail_outbound/dashboard/top_domains.html"

    def get_context_data(self, parent_context):
        start, end = self.period()
        previous_start = start - timedelta(days=PERIOD_DAYS)
        rows = stats.domain_trend(
            stats.Filters(start=start, end=end), previous_start, limit=TOP
        )
        for row in rows:
            row["readable"] = domain_label(row["domain"])
            row["change"] = row["clicks"] - row["previous"]
            # The overflow row ("Other domains") has no report of its own.
            row["url"] = (
                None
                if row["domain"] == OTHER_DOMAIN
                else report_url("urls", domain=row["domain"], period=PERIOD_DAYS)
            )
        return {
            "rows": rows,
            "report_url": reverse("wagtail_outbound_reports:domains"),
            "days": PERIOD_DAYS,
        }


class BrokenLinksPanel(Panel):
    """The 10 broken links with the most clicks in the last 30 days, in
    content or not, each opening the pages that hold it (and so their
    editors): what to fix first."""

    name = "outbound_broken_links"
    order = 151  # beside the top domains
    template_name = "wagtail_outbound/dashboard/broken_links.html"

    def get_context_data(self, parent_context):
        start, end = self.period()
        report = links.links(
            stats.Filters(start=start, end=end),
            health=Health.BROKEN,
            clicked=links.Clicked.YES,
            content=links.Content.ANY,
        )
        rows = report.top(TOP)
        for row in rows:
            row["pages_url"] = report_url(
                "links", link=row["link_id"], period=PERIOD_DAYS
            )
        return {
            "rows": rows,
            # Before the link checker's first answer, "none" would say nothing.
            "checked": bool(rows)
            or LinkCheck.objects.filter(checked_at__isnull=False).exists(),
            "report_url": report_url(
                "links",
                health=Health.BROKEN,
                clicked=links.Clicked.YES,
                content=links.Content.ANY,
                period=PERIOD_DAYS,
            ),
            "days": PERIOD_DAYS,
        }


class ClicksSummaryItem(SummaryItem):
    """This month's outbound clicks, among the dashboard's summary numbers."""

    order = 500
    template_name = "wagtail_outbound/dashboard/summary_item.html"

    def is_shown(self):
        return user_can_view_reports(self.request.user)

    def get_context_data(self, parent_context):
        today = periods.today()
        start = today.replace(day=1)
        return {
            "total": stats.total(stats.Filters(start=start, end=today)),
            "report_url": report_url("domains", start=start, end=today),
        }


def add_panels(request, panels):
    if user_can_view_reports(request.user):
        panels.append(TopDomainsPanel())
        panels.append(BrokenLinksPanel())


def add_summary_item(request, items):
    items.append(ClicksSummaryItem(request))
