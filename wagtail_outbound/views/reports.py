"""The "Outbound links" report: Domains, URLs and Exit pages tabs.

Each tab is a django-tables2 table over a ``wagtail_outbound.stats`` query,
narrowed by the filter form and the drill-down in the query string, with a
clicks-per-day chart and CSV/XLSX export of the same rows.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
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
    page_label,
    page_titles,
    path_label,
    readable_domain,
    report_url,
    url_label,
)

TABS = [
    ("domains", _("Domains")),
    ("urls", _("URLs")),
    ("pages", _("Exit pages")),
]
# Longest page number read from the query string, in digits.
PAGE_NUMBER_DIGITS = 9


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
        self.sites = list(Site.objects.order_by("hostname", "port"))
        self.form = ReportFilterForm(request.GET, sites=self.sites)
        self.filters = self.form.stats_arguments()
        # The menus list the most clicked labels only (any label may be typed).
        events, categories = stats.labels(
            self.filters["site"], self.filters["start"], self.filters["end"]
        )
        self.form.suggest(events=events, categories=categories)
        self.params = self.form.query_parameters()
        self.ordering = self.get_ordering()
        rows = self.rows(**self.filters)
        every = (
            self.is_export
            or self.ordering.lstrip("-") in self.table_class.detail_columns
        )
        if every:
            # All rows with their details, sorted in Python by the table;
            # otherwise only the page shown gets its details.
            rows = list(rows)
        table = self.table_class(
            rows, filters=self.filters, drilldown=self.params, user=request.user
        )
        table.request = request
        if every:
            table.add_details(rows, every=True)
        if self.ordering:
            table.order_by = self.ordering
        if self.is_export:
            table.decorate(list(table.data), all_rows=True)
            return self.export_table(table, request.GET["export"], self.get_filename())
        self.paginate(table)
        table.decorate([row.record for row in table.page.object_list])
        self.table = table
        return self.render_to_response(self.get_context_data(**kwargs))

    def get_ordering(self):
        """The sort order asked for, when it names one sortable column (with
        ``-`` for descending); anything else sorts by clicks."""
        value = self.request.GET.get("ordering", "")
        column = self.table_class.base_columns.get(value.removeprefix("-"))
        if column is None or column.orderable is False:
            return ""
        return value

    def paginate(self, table):
        """Show the page asked for: the first when it is not a number, the
        last when it is beyond the end; always ``PER_PAGE`` rows."""
        number = self.request.GET.get("p", "").strip()
        number = (
            int(number)
            if number.isascii()
            and number.isdigit()
            and len(number) <= PAGE_NUMBER_DIGITS
            else 1
        )
        try:
            table.paginate(WagtailPaginator, per_page=PER_PAGE, page=max(number, 1))
        except PageNotAnInteger:
            table.page = table.paginator.page(1)
        except EmptyPage:
            table.page = table.paginator.page(table.paginator.num_pages)
        table.paginator.verbose_name_plural = table.verbose_name_plural

    def get_export_url(self, format):
        # The filters as understood, not the query string as sent.
        return report_url(
            self.tab, **self.params, ordering=self.ordering, export=format
        )

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
            ordering=self.ordering,
            hidden_errors=self.form.hidden_errors(),
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
            found.append(
                (_("URL"), url_label(link.url) if link else data["link"], "link")
            )
        if data["source"]:
            source = SourcePage.objects.filter(pk=data["source"]).first()
            found.append(
                (
                    _("Exit page"),
                    path_label(source.path) if source else data["source"],
                    "source",
                )
            )
        if data["page"]:
            # Only a page the viewer may explore is named by its title.
            titles = page_titles(self.request.user, [data["page"]])
            title = titles[data["page"]][0] if titles else page_label(data["page"])
            found.append((_("Page"), title, "page"))
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
