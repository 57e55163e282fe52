"""django-tables2 tables for the reports, rendered with Wagtail's listing markup.

Rows are the dictionaries of a ``wagtail_outbound.stats`` report. A column
class per kind of cell renders it and gives its value for exports: a
drill-down to another tab (:class:`DrillDownColumn`), a visitor's URL, a share
of all clicks, a page title, a day. Everything a visitor can send (URL, link
text, event, category, path) is escaped by ``format_html``, and only http(s)
URLs ever become links. Page titles are shown only for pages the viewer may
explore in the Wagtail admin (``page_titles``).

Text columns sort case-insensitively (their ``__casefold`` accessors): they
are detail columns, which the report view sorts in Python over every row.

Clicks beyond a site's daily budget of new links or pages count under overflow
rows (``models.OTHER_URL``, ``OTHER_DOMAIN``, ``OTHER_PATH``): they show as
"Other links", "Other domains" and "Other pages", and sort like any row.
"""

from functools import cached_property
from urllib.parse import urlsplit

import django_tables2 as tables
from django import forms
from django.db.models import Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.templatetags.wagtailadmin_tags import human_readable_date
from wagtail.permission_policies.pages import PagePermissionPolicy

from . import links, stats
from .models import OTHER_DOMAIN, OTHER_PATH, OTHER_URL, Health, Placement
from .templatetags.wagtail_outbound_tags import outbound_breakable

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
    return with_query(reverse(f"wagtail_outbound_reports:{tab}"), params)


def with_query(url, params):
    params = {key: value for key, value in params.items() if value not in (None, "")}
    return f"{url}?{urlencode(params)}" if params else url


def casefolded(*names):
    """Sort keys comparing these text columns case-insensitively."""
    return tuple(f"{name}__casefold" for name in names)


class DrillDownColumn(tables.Column):
    """A cell that opens report ``tab`` narrowed to its row: ``param`` set to
    the row's ``key`` (an accessor; the cell's value by default), keeping the
    other filters. ``label`` names the value, on screen and in exports;
    ``count`` (an accessor) adds a number in brackets on screen. A row whose
    key is empty (the overflow domain) is no link: no filter can name it."""

    # "" is an overflow row, named by ``label``; None is a missing value.
    empty_values = (None,)

    def __init__(self, tab, param, *, key=None, label=None, count=None, **kwargs):
        kwargs.setdefault("default", "—")
        super().__init__(**kwargs)
        self.tab = tab
        self.param = param
        self.key = tables.A(key) if key else None
        self.label = label
        self.count = tables.A(count) if count else None

    def value(self, value):
        return value if self.label is None else self.label(value)

    def render(self, value, record, table):
        cell = self.value(value)
        if isinstance(cell, str):  # a path or domain: it wraps after separators
            cell = outbound_breakable(cell)
        target = value if self.key is None else self.key.resolve(record, quiet=True)
        if target not in (None, ""):
            link = table.drill(self.tab, **{self.param: target})
            cell = format_html('<a href="{}">{}</a>', link, cell)
        if self.count is not None:
            cell = format_html(
                "{} <small>({})</small>", cell, self.count.resolve(record)
            )
        return cell


class DomainColumn(DrillDownColumn):
    """A domain opening its URLs (or the report ``tab`` narrowed to it), in
    its readable (IDN) form; ``punycode`` adds the form it is stored in,
    beneath it and in exports."""

    def __init__(self, *, punycode=False, tab="urls", **kwargs):
        super().__init__(tab, "domain", label=domain_label, **kwargs)
        self.punycode = punycode

    def stored_form(self, value):
        """The punycode to show besides the readable form, if any."""
        if not self.punycode or value == OTHER_DOMAIN:
            return None
        return None if readable_domain(value) == value else value

    def value(self, value):
        stored = self.stored_form(value)
        label = super().value(value)
        return f"{label} ({stored})" if stored else label

    def render(self, value, record, table):
        cell = super().render(value, record, table)
        stored = self.stored_form(value)
        if stored:
            cell = format_html(
                '{}<div class="w-text-grey-400"><small>{}</small></div>',
                cell,
                outbound_breakable(stored),
            )
        return cell


class WebLinkColumn(tables.Column):
    """A URL a visitor clicked: a link (in a new tab) when it is http(s),
    text otherwise."""

    empty_values = (None,)

    def value(self, value):
        return url_label(value)

    def render(self, value):
        text = outbound_breakable(url_label(value))
        if not is_web_url(value):
            return text
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
            value,
            text,
        )


class ShareColumn(tables.Column):
    """A row's clicks as a percentage of all the matching clicks."""

    def __init__(self, **kwargs):
        super().__init__(accessor="clicks", **kwargs)

    def value(self, value, table):
        return round(100 * value / table.total, 1) if table.total else 0.0

    def render(self, value, table):
        share = number_format(self.value(value, table), 1)
        return gettext("%(share)s%%") % {"share": share}


class PageTitleColumn(tables.Column):
    """The Wagtail page a row was clicked on: its title when the viewer may
    explore it (a link to its editor when they may edit it), else its id."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default", "—")
        super().__init__(accessor="page_id", orderable=False, **kwargs)

    def value(self, value, table):
        if value not in table.page_titles:
            return str(page_label(value))
        return table.page_titles[value][0]

    def render(self, value, table):
        title = self.value(value, table)
        if not table.page_titles.get(value, (None, False))[1]:
            return title
        return format_html(
            '<a href="{}">{}</a>',
            reverse("wagtailadmin_pages:edit", args=[value]),
            title,
        )


class SourceColumn(DrillDownColumn):
    """A source page (its path, or a count about it) opening the URLs clicked
    on it; ``key`` is the accessor of the page's source id."""

    def __init__(self, *, key="source_id", **kwargs):
        super().__init__("urls", "source", key=key, **kwargs)


class PagesColumn(DrillDownColumn):
    """How many pages hold a link, opening the list of those pages (the
    Links tab narrowed to the link); ``none`` names a count of zero, which
    opens nothing. ``spelled`` shows "3 pages" rather than "3" on screen."""

    def __init__(self, *, none="0", spelled=False, **kwargs):
        kwargs.setdefault("key", "link_id")
        super().__init__("links", "link", **kwargs)
        self.none = none
        self.spelled = spelled

    def value(self, value):
        return value

    def render(self, value, record, table):
        if not value:
            return self.none
        if self.spelled:
            value = ngettext("%(count)s page", "%(count)s pages", value) % {
                "count": value
            }
        link = table.drill(self.tab, **{self.param: self.key.resolve(record)})
        return format_html('<a href="{}">{}</a>', link, value)


class HealthColumn(tables.Column):
    """What the link checker found: "Broken (404)", "Redirected (301)"...
    A permanent redirect shows its new address, with a button to copy it;
    a temporary one where it leads for now. In exports: the status, its HTTP
    code and a permanent redirect's new address, as text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("order_by", ("health_rank", "url", "link_id"))
        super().__init__(accessor="status", **kwargs)

    @staticmethod
    def label(record):
        label = links.health_label(record.get("status"))
        if record.get("http_status"):
            return f"{label} ({record['http_status']})"
        return str(label)

    def value(self, value, record):
        label = self.label(record)
        if new_address(record):
            return gettext("%(status)s, new address: %(url)s") % {
                "status": label,
                "url": record["final_url"],
            }
        return label

    def render(self, value, record, table=None):
        editors = getattr(table, "editors", {}).get(record.get("link_id"), [])
        return render_to_string(
            "wagtail_outbound/reports/health.html",
            {
                "label": self.label(record),
                "status": value,
                "final_url": record.get("final_url") or "",
                "new_address": new_address(record),
                "editors": editors[:MAX_EDITORS],
                "more_editors": len(editors) - MAX_EDITORS,
            },
        )


# Links an editor wants to fix: their status opens each holding page's editor.
TO_FIX = {Health.BROKEN, Health.REDIRECTED}
#: Editors listed in a row; the pages count opens the rest.
MAX_EDITORS = 3
#: The pages of each link (lowest ids first) among which they are found.
EDITOR_CANDIDATES = 100


def new_address(record):
    """The address to put in content instead of a link's: where its
    permanent redirect (every hop 301 or 308) ends, or None."""
    if record.get("status") != Health.REDIRECTED or not record.get("permanent"):
        return None
    return record.get("final_url") or None


class MomentColumn(tables.Column):
    """A moment, as Wagtail's listings show one ("3 days ago", the date and
    time on hover); in exports, the date and time."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default", "—")
        super().__init__(**kwargs)

    def value(self, value):
        return value

    def render(self, value):
        return render_to_string(
            "wagtailadmin/shared/human_readable_date.html",
            human_readable_date(value),
        )


class DayColumn(tables.Column):
    """A day, in the viewer's locale on screen and as a date in spreadsheets."""

    def value(self, value):
        return value

    def render(self, value):
        # Not django-tables2's DateColumn: it compiles a template per cell.
        return date_format(value, "SHORT_DATE_FORMAT")


class ReportTable(tables.Table):
    """Base for the three report tables.

    ``filters`` (a ``stats.Filters``) are what the rows were counted with;
    ``drilldown`` are the query-string parameters that the drill-down links
    keep; ``base_url`` is the tab's page, where the sort links lead (also from
    results refreshed in place); ``user`` is the viewer.
    """

    # Subclasses inherit these by subclassing it: ``class Meta(ReportTable.Meta)``.
    class Meta:
        template_name = "wagtail_outbound/reports/table.html"
        attrs = {"class": "listing outbound-report__table"}
        order_by_field = "ordering"
        page_field = "p"
        orderable = True

    verbose_name = _("row")
    verbose_name_plural = _("rows")
    # Wagtail's listing views add a table's assets to the page; these have none.
    media = forms.Media()

    def __init__(
        self, data, *, filters, drilldown=None, user=None, base_url="", **kwargs
    ):
        super().__init__(data, **kwargs)
        self.filters = filters
        self.drilldown = drilldown or {}
        self.user = user
        self.base_url = base_url
        self.tab_urls = {}

    def drill(self, tab, **params):
        # A page has a drill-down link in most cells: reverse each tab once.
        if tab not in self.tab_urls:
            self.tab_urls[tab] = reverse(f"wagtail_outbound_reports:{tab}")
        return with_query(self.tab_urls[tab], {**self.drilldown, **params})

    @cached_property
    def total(self):
        """All the matching clicks, the 100% of :class:`ShareColumn`."""
        return stats.total(self.filters)

    @cached_property
    def page_titles(self):
        """:func:`page_titles` of the rows shown (one page, or every row of
        an export)."""
        rows = self.page.object_list if hasattr(self, "page") else self.rows
        return page_titles(self.user, (row.record.get("page_id") for row in rows))


class DomainTable(ReportTable):
    class Meta(ReportTable.Meta):  # django-tables2 inherits no Meta by itself
        pass

    domain = DomainColumn(verbose_name=_("Domain"), punycode=True, order_by="domain")
    clicks = tables.Column(verbose_name=_("Clicks"), order_by=("clicks", "domain"))
    share = ShareColumn(verbose_name=_("% of clicks"), order_by=("clicks", "domain"))
    urls = DrillDownColumn(
        "urls",
        "domain",
        key="domain",
        verbose_name=_("URLs"),
        order_by=("urls", "domain"),
    )
    top_source = SourceColumn(
        verbose_name=_("Top source page"),
        accessor="top_source__path",
        key="top_source__source_ref",
        label=path_label,
        count="top_source__clicks",
        orderable=False,
    )

    verbose_name = _("domain")
    verbose_name_plural = _("domains")


class UrlTable(ReportTable):
    class Meta(ReportTable.Meta):  # django-tables2 inherits no Meta by itself
        pass

    url = WebLinkColumn(verbose_name=_("URL"), order_by=casefolded("url"))
    domain = DomainColumn(
        verbose_name=_("Domain"), order_by=casefolded("domain", "url")
    )
    text = tables.Column(
        verbose_name=_("Link text"), order_by=casefolded("text", "url")
    )
    event = tables.Column(verbose_name=_("Event"), order_by=casefolded("event", "url"))
    category = tables.Column(
        verbose_name=_("Category"), order_by=casefolded("category", "url")
    )
    clicks = tables.Column(verbose_name=_("Clicks"), order_by=("clicks", "link_id"))
    sources = DrillDownColumn(
        "pages",
        "link",
        key="link_id",
        verbose_name=_("Source pages"),
        order_by=("sources", *casefolded("url")),
    )
    last_day = DayColumn(
        verbose_name=_("Last clicked"), order_by=("last_day", *casefolded("url"))
    )
    pages = PagesColumn(
        verbose_name=_("In content"),
        none=_("No"),
        spelled=True,
        order_by=("pages", *casefolded("url")),
    )

    verbose_name = _("URL")
    verbose_name_plural = _("URLs")


class ExitPageTable(ReportTable):
    class Meta(ReportTable.Meta):  # django-tables2 inherits no Meta by itself
        pass

    title = PageTitleColumn(verbose_name=_("Page"))
    path = SourceColumn(
        label=path_label,
        verbose_name=_("Path"),
        order_by=casefolded("path"),
    )
    clicks = tables.Column(verbose_name=_("Clicks"), order_by=("clicks", "source_id"))
    destinations = SourceColumn(
        verbose_name=_("Destinations"),
        order_by=("destinations", *casefolded("path")),
    )
    top_domain = DomainColumn(
        verbose_name=_("Top destination domain"),
        accessor="top_domain__domain",
        count="top_domain__clicks",
        orderable=False,
    )

    verbose_name = _("page")
    verbose_name_plural = _("pages")


class LinkTable(ReportTable):
    """The Links tab: every link in content (or clicked and gone from it),
    sorted by the database on any column."""

    class Meta(ReportTable.Meta):  # django-tables2 inherits no Meta by itself
        pass

    url = WebLinkColumn(verbose_name=_("URL"), order_by=("url", "link_id"))
    domain = DomainColumn(
        tab="links", verbose_name=_("Domain"), order_by=("domain", "url", "link_id")
    )
    clicks = tables.Column(
        verbose_name=_("Clicks"), order_by=("clicks", "url", "link_id")
    )
    pages = PagesColumn(verbose_name=_("Pages"), order_by=("pages", "url", "link_id"))
    status = HealthColumn(verbose_name=_("Status"))
    checked = MomentColumn(
        verbose_name=_("Checked"),
        accessor="checked_at",
        order_by=("checked_at", "url", "link_id"),
    )
    first_seen = MomentColumn(
        verbose_name=_("First seen"),
        order_by=("first_seen", "url", "link_id"),
        exclude_from_export=True,
    )
    last_seen = MomentColumn(
        verbose_name=_("Last seen"),
        order_by=("last_seen", "url", "link_id"),
        exclude_from_export=True,
    )

    verbose_name = _("link")
    verbose_name_plural = _("links")

    @cached_property
    def editors(self):
        """``{link id: [(page id, title)]}``: for the broken and redirected
        links on screen, the pages that hold them and the viewer may edit, so
        one click opens the editor where the link is to be fixed."""
        rows = self.page.object_list if hasattr(self, "page") else ()
        ids = [row.record["link_id"] for row in rows if row.record["status"] in TO_FIX]
        # A footer link is on every page: only the first pages of each link
        # are candidates, so a page costs the same however many hold it.
        first = Window(RowNumber(), partition_by="link_id", order_by="page_id")
        held = list(
            Placement.objects.filter(link_id__in=ids)
            .annotate(rank=first)
            .filter(rank__lte=EDITOR_CANDIDATES)
            .order_by("link_id", "page_id")
            .values_list("link_id", "page_id")
        )
        titles = page_titles(self.user, (page_id for _link, page_id in held))
        editors = {}
        for link_id, page_id in held:
            title, editable = titles.get(page_id, (None, False))
            if editable:
                editors.setdefault(link_id, []).append((page_id, title))
        return editors


class LinkPageTable(ReportTable):
    """The pages that hold one link (the Links tab's drill-down), each
    opening its editor when the viewer may edit it."""

    class Meta(ReportTable.Meta):  # django-tables2 inherits no Meta by itself
        pass

    title = PageTitleColumn(verbose_name=_("Page"))
    where = tables.Column(
        verbose_name=_("Field or block"), order_by=("where", "page_id"), default="—"
    )
    first_seen = MomentColumn(
        verbose_name=_("First seen"), order_by=("first_seen", "page_id")
    )
    last_seen = MomentColumn(
        verbose_name=_("Last seen"), order_by=("last_seen", "page_id")
    )

    verbose_name = _("page")
    verbose_name_plural = _("pages")
