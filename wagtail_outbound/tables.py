"""django-tables2 tables for the reports, rendered with Wagtail's listing markup.

Rows are the dictionaries returned by ``wagtail_outbound.stats``. Columns that
need another query (top source page, page titles, share of all clicks) are
filled by ``decorate()`` for the rows actually shown, so a table renders with
the same number of queries whatever its length. Everything a visitor can send
(URL, link text, event, category, path) is escaped by ``format_html``, and only
http(s) URLs ever become links. Page titles are shown only for pages the viewer
may explore in the Wagtail admin (``page_titles``).

Clicks beyond a site's daily budget of new links or pages count under overflow
rows (``models.OTHER_URL``, ``OTHER_DOMAIN``, ``OTHER_PATH``): they show as
"Other links", "Other domains" and "Other pages", and sort like any row.
"""

from urllib.parse import urlsplit

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.permission_policies.pages import PagePermissionPolicy

from . import stats
from .models import OTHER_DOMAIN, OTHER_PATH, OTHER_URL

PER_PAGE = 50
OTHER_LINKS = _("Other links (over the daily limit of new links)")
OTHER_DOMAINS = _("Other domains")
OTHER_PAGES = _("Other pages")


def readable_domain(domain):
    """The Unicode form of a punycode (IDN) host, or the host itself."""
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


def domain_label(domain):
    """What a domain is shown as: its readable form, or "Other domains"."""
    return str(OTHER_DOMAINS) if domain == OTHER_DOMAIN else readable_domain(domain)


def url_label(url):
    return str(OTHER_LINKS) if url == OTHER_URL else url


def path_label(path):
    return str(OTHER_PAGES) if path == OTHER_PATH else path


def page_label(page_id):
    """A page named without its title."""
    return _("Page #%(id)s") % {"id": page_id}


def page_titles(user, ids):
    """``{page id: (title, editable)}`` of the pages among ``ids`` that
    ``user`` may explore in the admin, as Wagtail's own page listings and
    search decide (``PagePermissionPolicy.explorable_instances``); the
    others are left out, so their titles are never shown."""
    ids = {page_id for page_id in ids if page_id}
    if not ids or user is None:
        return {}
    policy = PagePermissionPolicy()
    titles = dict(
        policy.explorable_instances(user).filter(pk__in=ids).values_list("pk", "title")
    )
    if not titles:
        return {}
    editable = set(
        policy.instances_user_has_permission_for(user, "change")
        .filter(pk__in=titles)
        .values_list("pk", flat=True)
    )
    return {pk: (title, pk in editable) for pk, title in titles.items()}


def is_web_url(url):
    """Only http(s) URLs may become links (never ``javascript:`` and friends)."""
    try:
        return urlsplit(url).scheme.lower() in ("http", "https")
    except ValueError:
        return False


def report_url(tab, **params):
    """URL of a report tab narrowed by ``params`` (drill-down)."""
    url = reverse(f"wagtail_outbound_reports:{tab}")
    params = {key: value for key, value in params.items() if value not in (None, "")}
    return f"{url}?{urlencode(params)}" if params else url


class ReportTable(tables.Table):
    """Base for the three report tables.

    ``filters`` are the stats keyword arguments the rows were queried with;
    ``drilldown`` are the query-string parameters kept by drill-down links.
    """

    class Meta:
        template_name = "wagtail_outbound/reports/table.html"
        attrs = {"class": "listing"}
        order_by_field = "ordering"
        page_field = "p"
        orderable = True

    verbose_name_plural = _("rows")

    def __init__(self, data, *, filters, drilldown=None, user=None, **kwargs):
        super().__init__(data, **kwargs)
        self.filters = filters
        self.drilldown = drilldown or {}
        self.user = user  # the viewer: page titles are shown as they may see them

    # Columns that ``add_details`` fills in: sorting by one of them needs
    # every row's details first (see ``ReportView``).
    detail_columns = ()

    def add_details(self, records, every=False):
        """Add the detail columns to ``records`` (row dictionaries), unless
        they have them already."""
        if records and self.detail_columns[0] not in records[0]:
            self.details(records, every=every, **self.filters)

    def decorate(self, records, all_rows=False):
        """Fetch what the rows need beyond ``stats``' report rows.

        ``records`` are the rows shown (one page), or every row when
        ``all_rows`` (export): then the lookups run without an id list.
        """
        self.add_details(records, every=all_rows)

    def drill(self, tab, **params):
        return report_url(tab, **{**self.drilldown, **params})


class DomainTable(ReportTable):
    class Meta(ReportTable.Meta):
        pass

    # empty_values=(): the overflow row's "" is rendered as "Other domains".
    domain = tables.Column(verbose_name=_("Domain"), empty_values=())
    clicks = tables.Column(verbose_name=_("Clicks"), order_by=("clicks", "domain"))
    share = tables.Column(
        verbose_name=_("% of clicks"),
        accessor="clicks",
        order_by=("clicks", "domain"),
    )
    urls = tables.Column(verbose_name=_("URLs"), order_by=("urls", "domain"))
    top_source = tables.Column(
        verbose_name=_("Top source page"), empty_values=(), orderable=False
    )

    verbose_name_plural = _("domains")
    detail_columns = ("urls", "top_source")
    details = staticmethod(stats.add_domain_details)

    def decorate(self, records, all_rows=False):
        super().decorate(records, all_rows)
        self.total = stats.matching_total(**self.filters)

    def render_domain(self, value):
        if value == OTHER_DOMAIN:
            return OTHER_DOMAINS
        readable = readable_domain(value)
        link = format_html(
            '<a href="{}">{}</a>', self.drill("urls", domain=value), readable
        )
        if readable == value:
            return link
        return format_html(
            '{}<div class="w-text-grey-400"><small>{}</small></div>', link, value
        )

    def value_domain(self, value):
        if value == OTHER_DOMAIN:
            return str(OTHER_DOMAINS)
        readable = readable_domain(value)
        return readable if readable == value else f"{readable} ({value})"

    def render_share(self, value):
        return f"{self.value_share(value):.1f}"

    def value_share(self, value):
        return round(100 * value / self.total, 1) if self.total else 0.0

    def render_urls(self, value, record):
        if record["domain"] == OTHER_DOMAIN:
            return value  # a domain filter cannot name the overflow row
        return format_html(
            '<a href="{}">{}</a>', self.drill("urls", domain=record["domain"]), value
        )

    def value_urls(self, value):
        return value

    def render_top_source(self, value):
        if not value:
            return "—"
        return format_html(
            '<a href="{}">{}</a> <small>({})</small>',
            self.drill("urls", source=value["source_ref"]),
            path_label(value["path"]),
            value["clicks"],
        )

    def value_top_source(self, value):
        return path_label(value["path"]) if value else ""


class UrlTable(ReportTable):
    class Meta(ReportTable.Meta):
        pass

    url = tables.Column(verbose_name=_("URL"), empty_values=())
    domain = tables.Column(
        verbose_name=_("Domain"), order_by=("domain", "url"), empty_values=()
    )
    text = tables.Column(verbose_name=_("Link text"), order_by=("text", "url"))
    event = tables.Column(verbose_name=_("Event"), order_by=("event", "url"))
    category = tables.Column(verbose_name=_("Category"), order_by=("category", "url"))
    clicks = tables.Column(verbose_name=_("Clicks"), order_by=("clicks", "link_id"))
    sources = tables.Column(verbose_name=_("Source pages"), order_by=("sources", "url"))
    last_day = tables.DateColumn(
        verbose_name=_("Last clicked"), order_by=("last_day", "url")
    )

    verbose_name_plural = _("URLs")
    detail_columns = (
        "url",
        "domain",
        "text",
        "event",
        "category",
        "sources",
        "last_day",
    )
    details = staticmethod(stats.add_url_details)

    def render_url(self, value):
        if not is_web_url(value):
            return url_label(value)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
            value,
            value,
        )

    def value_url(self, value):
        return url_label(value)

    def render_domain(self, value):
        if value == OTHER_DOMAIN:
            return OTHER_DOMAINS
        return format_html(
            '<a href="{}">{}</a>',
            self.drill("urls", domain=value),
            readable_domain(value),
        )

    def value_domain(self, value):
        return domain_label(value)

    def render_sources(self, value, record):
        return format_html(
            '<a href="{}">{}</a>', self.drill("pages", link=record["link_id"]), value
        )

    def value_sources(self, value):
        return value

    def value_last_day(self, value):
        return value


class ExitPageTable(ReportTable):
    class Meta(ReportTable.Meta):
        pass

    title = tables.Column(
        verbose_name=_("Page"), accessor="page_id", empty_values=(), orderable=False
    )
    path = tables.Column(verbose_name=_("Path"), empty_values=())
    clicks = tables.Column(verbose_name=_("Clicks"), order_by=("clicks", "source_id"))
    destinations = tables.Column(
        verbose_name=_("Destinations"), order_by=("destinations", "path")
    )
    top_domain = tables.Column(
        verbose_name=_("Top destination domain"), empty_values=(), orderable=False
    )

    verbose_name_plural = _("pages")
    detail_columns = ("path", "destinations", "top_domain")
    details = staticmethod(stats.add_exit_page_details)

    def decorate(self, records, all_rows=False):
        super().decorate(records, all_rows)
        self.titles = page_titles(self.user, (record["page_id"] for record in records))

    def render_title(self, value):
        if not value:
            return "—"
        if value not in self.titles:
            return page_label(value)
        title, editable = self.titles[value]
        if not editable:
            return title
        return format_html(
            '<a href="{}">{}</a>',
            reverse("wagtailadmin_pages:edit", args=[value]),
            title,
        )

    def value_title(self, value):
        if not value:
            return ""
        if value not in self.titles:
            return str(page_label(value))
        return self.titles[value][0]

    def render_path(self, value, record):
        return format_html(
            '<a href="{}">{}</a>',
            self.drill("urls", source=record["source_id"]),
            path_label(value),
        )

    def value_path(self, value):
        return path_label(value)

    def render_destinations(self, value, record):
        return format_html(
            '<a href="{}">{}</a>', self.drill("urls", source=record["source_id"]), value
        )

    def value_destinations(self, value):
        return value

    def render_top_domain(self, value):
        if not value:
            return "—"
        if value["domain"] == OTHER_DOMAIN:
            return format_html("{} <small>({})</small>", OTHER_DOMAINS, value["clicks"])
        return format_html(
            '<a href="{}">{}</a> <small>({})</small>',
            self.drill("urls", domain=value["domain"]),
            readable_domain(value["domain"]),
            value["clicks"],
        )

    def value_top_domain(self, value):
        return domain_label(value["domain"]) if value else ""
