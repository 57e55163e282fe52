"""The "Outbound links" report: Domains, URLs and Exit pages tabs.

Each tab is a django-tables2 table over a ``wagtail_outbound.stats`` query,
narrowed by the filter form and the drill-down in the query string, with a
clicks-per-day chart and CSV/XLSX export of the same rows.
"""

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django_tables2 import RequestConfig
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views.generic import (
    PermissionCheckedMixin,
    WagtailAdminTemplateMixin,
)
from wagtail.models import Site

from .. import charts, permissions, stats
from ..export import TableExportMixin
from ..forms import ReportFilterForm
from ..menu import ICON
from ..models import Link, SourcePage
from ..tables import (
    PER_PAGE,
    DomainTable,
    ExitPageTable,
    UrlTable,
    page_model,
    readable_domain,
    report_url,
)

TABS = [
    ("domains", _("Domains")),
    ("urls", _("URLs")),
    ("pages", _("Exit pages")),
]
# Query-string keys that are not filters.
NOT_FILTERS = ("ordering", "p", "export")


class ReportView(
    PermissionCheckedMixin,
    TableExportMixin,
    WagtailAdminTemplateMixin,
    TemplateView,
):
    # Without a policy, PermissionCheckedMixin would let everyone in.
    permission_policy = permissions.policy
    permission_required = "view"
    template_name = "wagtail_outbound/reports/report.html"
    page_title = _("Outbound links")
    header_icon = ICON
    tab = None
    table_class = None
    rows = None  # the stats function giving the table's rows

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": "", "label": self.page_title},
        ]

    def get_page_subtitle(self):
        return dict(TABS)[self.tab]

    def get(self, request, *args, **kwargs):
        events, categories = stats.labels()
        self.sites = list(Site.objects.order_by("hostname", "port"))
        self.form = ReportFilterForm(
            request.GET, sites=self.sites, events=events, categories=categories
        )
        self.filters = self.form.stats_arguments()
        self.params = {
            key: value
            for key, value in request.GET.items()
            if key not in NOT_FILTERS and value
        }
        rows = self.rows(**self.filters)
        ordering = request.GET.get("ordering", "").lstrip("-")
        every = self.is_export or ordering in self.table_class.detail_columns
        if every:
            # All rows with their details, sorted in Python by the table;
            # otherwise only the page shown gets its details.
            rows = list(rows)
        table = self.table_class(rows, filters=self.filters, drilldown=self.params)
        if every:
            table.add_details(rows, every=True)
        if self.is_export:
            RequestConfig(request, paginate=False).configure(table)
            table.decorate(list(table.data), all_rows=True)
            return self.export_table(table, request.GET["export"], self.get_filename())
        RequestConfig(
            request,
            paginate={"per_page": PER_PAGE, "paginator_class": WagtailPaginator},
        ).configure(table)
        table.paginator.verbose_name_plural = table.verbose_name_plural
        table.decorate([row.record for row in table.page.object_list])
        self.table = table
        return self.render_to_response(self.get_context_data(**kwargs))

    def get_filename(self):
        _period, start, end = self.form.date_range()
        parts = ["outbound", self.tab, str(start or "start"), str(end or "today")]
        return "-".join(parts)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period, start, end = self.form.date_range()
        context.update(
            form=self.form,
            table=self.table,
            elided_page_range=self.table.paginator.get_elided_page_range(
                self.table.page.number
            ),
            tabs=[
                (name, label, report_url(name, **self.params), name == self.tab)
                for name, label in TABS
            ],
            drilldowns=self.get_drilldowns(),
            chart=charts.daily_chart(
                stats.matching_daily_totals(**self.filters), start, end
            ),
            period=period,
            start=start,
            end=end,
            csv_export_url=self.csv_export_url,
            xlsx_export_url=self.xlsx_export_url,
        )
        return context

    def get_drilldowns(self):
        """The active drill-downs as ``(label, value, url without it)``."""
        data = self.filters
        found = []
        if data["domain"]:
            found.append((_("Domain"), readable_domain(data["domain"]), "domain"))
        if data["link"]:
            link = Link.objects.filter(pk=data["link"]).first()
            found.append((_("URL"), link.url if link else data["link"], "link"))
        if data["source"]:
            source = SourcePage.objects.filter(pk=data["source"]).first()
            found.append(
                (_("Exit page"), source.path if source else data["source"], "source")
            )
        if data["page"]:
            page = page_model().objects.filter(pk=data["page"]).first()
            found.append((_("Page"), page.title if page else data["page"], "page"))
        return [
            (
                label,
                value,
                report_url(
                    self.tab,
                    **{k: v for k, v in self.params.items() if k != key},
                ),
            )
            for label, value, key in found
        ]


class DomainsView(ReportView):
    tab = "domains"
    table_class = DomainTable
    rows = staticmethod(stats.domain_report)


class UrlsView(ReportView):
    tab = "urls"
    table_class = UrlTable
    rows = staticmethod(stats.url_report)


class ExitPagesView(ReportView):
    tab = "pages"
    table_class = ExitPageTable
    rows = staticmethod(stats.exit_page_report)
