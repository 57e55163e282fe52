"""The "Outbound links" report: Domains, URLs, Exit pages and Links tabs.

Each tab is one of Wagtail's report views (``ReportView``: the permission,
the header with search and filter menu, active-filter pills, results refreshed
in place, CSV/XLSX export, breadcrumbs) over a ``wagtail_outbound.stats``
report. The filter set gives one ``stats.Filters``; the rows are a
django-tables2 table, which orders and pages them; only the rows shown get
their detail columns, unless the table is sorted by one of them or exported:
then every row does, read at once.
"""

from functools import cached_property

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.reports import ReportView

from .. import charts, links, permissions, stats
from ..export import TableExportMixin
from ..filters import DATE_FIELDS, LinkFilterSet, ReportFilterSet, ReportSearchForm
from ..menu import ICON
from ..models import Placement
from ..tables import (
    PER_PAGE,
    DomainTable,
    ExitPageTable,
    HealthColumn,
    LinkPageTable,
    LinkTable,
    UrlTable,
    WebLinkColumn,
    report_url,
)

TABS = [
    ("domains", _("Domains")),
    ("urls", _("URLs")),
    ("pages", _("Exit pages")),
    ("links", _("Links")),
]
# The query-string parameters kept as hidden inputs of the header's form.
KEPT = ("domain", "link", "source", "page")


class OutboundReportView(TableExportMixin, ReportView):
    # Without a policy, PermissionCheckedMixin would let everyone in.
    permission_policy = permissions.policy
    permission_required = "view"
    template_name = "wagtail_outbound/reports/report.html"
    results_template_name = "wagtail_outbound/reports/results.html"
    page_title = _("Outbound links")
    header_icon = ICON
    is_searchable = True
    filterset_class = ReportFilterSet
    paginate_by = PER_PAGE
    no_results_message = _("No outbound clicks match these filters.")
    tab = None
    table_class = None
    stats_report = None  # the stats function giving the tab's report
    kept = KEPT  # the drill-downs this tab keeps as hidden inputs
    suggests_labels = True  # offer events and categories in the menus

    def get_index_url(self):
        return report_url(self.tab)

    def get_index_results_url(self):
        return report_url(f"{self.tab}_results")

    def get_page_subtitle(self):
        return dict(TABS)[self.tab]

    def get_search_form(self):
        return ReportSearchForm(self.request.GET if "q" in self.request.GET else None)

    @cached_property
    def stats_filters(self):
        """What every number on the page counts: one ``stats.Filters``."""
        return self.filters.stats_filters(search=self.search_query)

    @cached_property
    def report(self):
        return self.stats_report(self.stats_filters)

    @cached_property
    def params(self):
        """The valid filters as given, kept by tabs, drill-downs and exports."""
        params = self.filters.query_parameters()
        if self.search_query:
            params["q"] = self.request.GET["q"]
        return params

    def get_valid_orderings(self):
        names = [
            name
            for name, column in self.table_class.base_columns.items()
            if column.orderable is not False
        ]
        return [*names, *(f"-{name}" for name in names)]

    @cached_property
    def reads_every_row(self):
        """Whether every row needs its details: for an export, or to sort by a
        column that only the details hold."""
        if self.is_export:
            return True
        if not self.ordering:
            return False
        name = self.ordering.removeprefix("-")
        column = self.table_class.base_columns[name]
        keys = column.order_by or (column.accessor or name,)
        return any(tables.A(key).bits[0] in self.report.detail_columns for key in keys)

    def get_queryset(self):
        if self.reads_every_row:
            return self.report.details(list(self.report.rows), every=True)
        return self.report.rows

    @cached_property
    def table(self):
        """Every matching row, ordered by django-tables2: in the database
        for the ranking's columns, in Python for the details'."""
        return self.table_class(
            self.object_list,
            order_by=self.ordering or None,
            filters=self.stats_filters,
            drilldown=self.params,
            user=self.request.user,
            base_url=self.index_url,
        )

    def paginate_queryset(self, queryset, page_size):
        # The table pages itself; Wagtail's pagination reads its paginator.
        # An unreadable page number shows the first page, one beyond the end
        # the last (``Paginator.get_page``).
        table = self.table
        table.paginate(paginator_class=self.paginator_class, per_page=page_size)
        table.page = table.paginator.get_page(self.request.GET.get(self.page_kwarg))
        table.paginator.verbose_name = table.verbose_name
        table.paginator.verbose_name_plural = table.verbose_name_plural
        records = [row.record for row in table.page.object_list]
        return table.paginator, table.page, records, table.page.has_other_pages()

    def decorate_paginated_queryset(self, object_list):
        # Only the rows shown get their details (unless every row has them).
        if not self.reads_every_row:
            self.report.details(object_list)
        return object_list

    def get_table(self, object_list):
        return self.table

    def get(self, request, *args, **kwargs):
        if self.is_export:
            # Every row as the table shows it, without the page around it.
            self.object_list = self.get_queryset()
            return self.export_table(self.table, request.GET["export"])
        return super().get(request, *args, **kwargs)

    def get_export_url(self, format):
        # The filters and order as understood, not the query string as sent.
        return report_url(
            self.tab, **self.params, ordering=self.ordering, export=format
        )

    def get_filename(self):
        _period, start, end = self.filters.date_range()
        return "-".join(
            ["outbound", self.tab, str(start or "start"), str(end or "today")]
        )

    def refused(self):
        """``(label, message, consequence)`` of every value refused."""
        consequences = {
            name: _("The report shows the default period instead.")
            for name in DATE_FIELDS
        }
        fields = [
            (self.filters.form[name], consequences.get(name))
            for name in self.filters.form.fields
        ] + [(self.search_form["q"], None)]
        return [
            (
                field.label,
                error,
                consequence
                or (
                    _("This drill-down is ignored.")
                    if field.is_hidden
                    else _("This filter is ignored.")
                ),
            )
            for field, consequence in fields
            for error in field.errors
        ]

    def get_chart(self, start, end):
        """The chart of clicks per day above the table (None: no chart)."""
        return charts.daily_chart(stats.daily(self.stats_filters), start, end)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.suggests_labels and (
            not self.results_only or context["render_filters_fragment"]
        ):
            # The menus list the most clicked labels only (any may be typed).
            events, categories = stats.labels(self.stats_filters)
            self.filters.suggest(events=events, categories=categories)
        period, start, end = self.filters.date_range()
        context.update(
            tabs=[
                (name, label, report_url(name, **self.params), name == self.tab)
                for name, label in TABS
            ],
            kept=[
                (name, self.params[name]) for name in self.kept if name in self.params
            ]
            + ([("ordering", self.ordering)] if self.ordering else []),
            refused=self.refused(),
            chart=self.get_chart(start, end),
            period=period,
            start=start,
            end=end,
        )
        return context


class DomainsView(OutboundReportView):
    tab = "domains"
    table_class = DomainTable
    stats_report = staticmethod(stats.domains)


class UrlsView(OutboundReportView):
    tab = "urls"
    table_class = UrlTable
    stats_report = staticmethod(stats.urls)


class ExitPagesView(OutboundReportView):
    tab = "pages"
    table_class = ExitPageTable
    stats_report = staticmethod(stats.exit_pages)


class LinksView(OutboundReportView):
    """Every outbound link in content (``links.LinkReport``), filtered by
    status, clicks, content and domain, sorted by the database; drilled down
    to one link (``link``), the pages that hold it (``links.PlacementReport``),
    each opening its editor."""

    tab = "links"
    filterset_class = LinkFilterSet
    results_template_name = "wagtail_outbound/reports/links_results.html"
    # The domain is in the filter menu here, not a hidden drill-down.
    kept = ("link",)
    suggests_labels = False

    @cached_property
    def drilled(self):
        """Whether the tab lists the pages of one link."""
        return self.stats_filters.link is not None

    @property
    def table_class(self):
        return LinkPageTable if self.drilled else LinkTable

    @property
    def no_results_message(self):
        if self.drilled:
            return _("No page holds this link now.")
        if not Placement.objects.exists():
            return _(
                "The link inventory is empty: it fills as pages are published, "
                "or run “manage.py outbound_inventory” once."
            )
        return _("No outbound links match these filters.")

    @cached_property
    def report(self):
        if self.drilled:
            return links.placements(self.stats_filters)
        return links.links(self.stats_filters, **self.filters.link_options())

    def get_queryset(self):
        # Every column is in the rows: the database sorts them, exports too.
        return self.report.rows

    def get_chart(self, start, end):
        # Clicks per day say something about one link; over the whole
        # inventory they would count links that are in no content.
        return super().get_chart(start, end) if self.drilled else None

    def get_filename(self):
        name = super().get_filename()
        return name.replace("-links-", "-link-pages-") if self.drilled else name

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["drilled"] = self.drilled
        if self.drilled:
            row = self.report.link
            context["link_row"] = row
            if row is not None:
                context["link_cell"] = WebLinkColumn().render(row["url"])
                context["health"] = HealthColumn().render(row["status"], row)
        return context
