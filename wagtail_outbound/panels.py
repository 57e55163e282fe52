"""The "Outbound clicks" panel of the page editor.

``OutboundTrackingMixin`` adds it to the Settings tab, beside the page's
tracking switch; any page model can list it in its own panels::

    from wagtail_outbound.panels import OutboundClicksPanel

    class BlogPage(Page):
        content_panels = [*Page.content_panels, OutboundClicksPanel()]

It shows the page's most clicked outbound links of the last 30 days with
their clicks and, once the link checker has looked at them, their health; a
sparkline of the page's outbound clicks per day; and a link to the Exit pages
report narrowed to the page. Only users who may see the reports and explore
the page see it. It adds no form field.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

# The app's models and ``stats`` import this module's users (``models``):
# they are imported when a panel renders, not here.


class OutboundClicksPanel(Panel):
    """The page's outbound clicks over the last ``days`` days: the ``top``
    most clicked links, a sparkline and a link to the report."""

    def __init__(self, days=30, top=10, **kwargs):
        kwargs.setdefault("heading", _("Outbound clicks"))
        super().__init__(**kwargs)
        self.days = days
        self.top = top

    def clone_kwargs(self):
        return {**super().clone_kwargs(), "days": self.days, "top": self.top}

    @property
    def clean_name(self):
        return super().clean_name or "outbound_clicks"

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_outbound/panels/outbound_clicks.html"

        @property
        def media(self):
            return forms.Media(css={"all": ["wagtail_outbound/reports.css"]})

        def is_shown(self):
            from .overlay import may_see_page

            page = self.instance
            return (
                page is not None
                and page.pk is not None
                and self.request is not None
                and may_see_page(self.request.user, page)
                and super().is_shown()
            )

        def get_context_data(self, parent_context=None):
            from . import charts, stats
            from .menu import page_report_url
            from .models import OTHER_URL, Health, LinkCheck
            from .overlay import page_filters
            from .tables import OTHER_LINKS, is_web_url

            context = super().get_context_data(parent_context)
            page, panel = self.instance, self.panel
            filters = page_filters(page, page.get_site(), panel.days)
            start, end = filters.start, filters.end
            total = stats.total(filters)
            rows = stats.urls(filters).top(panel.top) if total else []
            checks = {
                check.link_id: check
                for check in LinkCheck.objects.filter(
                    link_id__in=[row["link_id"] for row in rows]
                )
            }
            for row in rows:
                row["label"] = OTHER_LINKS if row["url"] == OTHER_URL else row["url"]
                row["href"] = row["url"] if is_web_url(row["url"]) else None
                row["share"] = round(100 * row["clicks"] / total)
                check = checks.get(row["link_id"])
                row["health"] = (
                    check if check and check.status != Health.UNKNOWN else None
                )
            context.update(
                days=panel.days,
                total=total,
                rows=rows,
                # Health shows once the link checker has answered for one.
                health=any(row["health"] for row in rows),
                chart=charts.daily_chart(stats.daily(filters), start, end)
                if total
                else None,
                report_url=page_report_url(page),
            )
            return context
