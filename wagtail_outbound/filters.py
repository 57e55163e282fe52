"""The report filters, as a ``WagtailFilterSet`` in the header's filter menu:
period (a preset or a From/To range), site, event and category; the search box
beside it; and the drill-down (domain, URL, exit page or Wagtail page) carried
in the query string as hidden inputs. Each active one is a Wagtail filter pill.

The values do not filter a queryset: :meth:`ReportFilterSet.stats_filters`
turns them into one :class:`wagtail_outbound.stats.Filters`.

Every value is bounded here, with a message, before any query sees it: dates
from ``EARLIEST`` to a year after today (the project's ``TIME_ZONE``, see
``periods``), a From/To range of at most ``MAX_RANGE_YEARS``, ids within their
columns' range, texts within their columns' length. An invalid period or date
shows its error and the report falls back to the default period; other
invalid filters show their error and are ignored.
"""

import json
from datetime import date

import django_filters
from django import forms
from django.core.validators import MaxValueValidator
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_filters.fields import RangeField
from wagtail.admin.active_filters import (
    ActiveFilter,
    BaseFilterAdapter,
    ChoiceFilterAdapter,
    DateFromToRangeFilterAdapter,
    register_filter_adapter_class,
)
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms.search import SearchForm
from wagtail.models import Site

from . import links, periods, stats
from .models import DailyClicks, Health, Link, SourcePage
from .sources import page_model
from .tables import page_label, page_titles, path_label, readable_domain, url_label

DEFAULT_PERIOD = "30"
CUSTOM = "custom"
ALL_TIME = "all"
PERIODS = [
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 365 days")),
    (ALL_TIME, _("All time")),
    (CUSTOM, _("Custom range")),
]
# The bounds of a From/To range (README "Reports").
EARLIEST = date(2000, 1, 1)
MAX_RANGE_YEARS = 10
DATE_FIELDS = ("period", "dates")
LABEL_LENGTH = 64  # as stored (``beacon.MAX_LABEL``)
SEARCH_LENGTH = 255
DOMAIN_LENGTH = 253


def latest_day():
    """The last day a From/To date may name: a year after today."""
    return periods.years_after(periods.today(), 1)


def largest_id(*fields):
    """The largest value every one of ``fields`` can hold on any supported
    database (PostgreSQL's integer ranges; SQLite's are wider)."""
    ranges = BaseDatabaseOperations.integer_field_ranges
    return min(
        ranges.get(field.get_internal_type(), (0, 2**63 - 1))[1] for field in fields
    )


# Widgets and fields


class SuggestionsInput(forms.TextInput):
    """A text box that suggests values (a ``<datalist>``) and accepts any."""

    suggestions = ()

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or f'id_{name}'}-suggestions"
        attrs.update(list=list_id, autocomplete="off")
        options = format_html_join(
            "", '<option value="{}"></option>', ((s,) for s in self.suggestions)
        )
        return format_html(
            '{}<datalist id="{}">{}</datalist>',
            super().render(name, value, attrs, renderer),
            list_id,
            options,
        )


class CustomRangeWidget(DateRangePickerWidget):
    """Wagtail's From/To date picker, sending ``start`` and ``end``. Its boxes
    are enabled (and so sent) only while the period is "Custom range": the
    filter menu sends every field at once, and dates left in them would
    otherwise overrule a preset picked afterwards."""

    suffixes = ["start", "end"]

    def __init__(self, attrs=None):
        super().__init__(attrs)
        for widget in self.widgets:
            widget.attrs.update(
                {
                    "data-w-rules-target": "enable",
                    "data-w-rules": json.dumps({"period": [CUSTOM]}),
                }
            )

    def suffixed(self, name, suffix):
        # The query string's own names, which links and bookmarks use.
        return suffix

    def render(self, name, value, attrs=None, renderer=None):
        # Wagtail's rules controller, listening to every change in the page,
        # since the period's radios sit in another panel of the menu.
        return format_html(
            '<div data-controller="w-rules" '
            'data-action="change@document->w-rules#resolve">{}</div>',
            super().render(name, value, attrs, renderer),
        )


class DayRangeField(RangeField):
    """A ``slice`` of two days, either of which may be left out."""

    def __init__(self, *args, **kwargs):
        super().__init__((forms.DateField(), forms.DateField()), *args, **kwargs)


class ReportSearchForm(SearchForm):
    """Wagtail's header search box, with the report's bound on its length."""

    q = forms.CharField(
        label=_("Search URLs, domains and link text"),
        required=False,
        max_length=SEARCH_LENGTH,
    )

    def __init__(self, *args, **kwargs):
        # Short enough to show whole in the header.
        super().__init__(*args, placeholder=_("Search links"), **kwargs)


# Filters, and how their pills show them


class PeriodFilter(django_filters.ChoiceFilter):
    """A preset period, or "Custom range" (see ``dates``)."""


class DayRangeFilter(django_filters.RangeFilter):
    field_class = DayRangeField


class DrillDownFilter(django_filters.Filter):
    """A drill-down, set by the report's links and kept as a hidden input;
    :meth:`describe` names its value in its pill."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(*args, **kwargs)

    def describe(self, value):
        return str(value)


class DomainFilter(DrillDownFilter):
    field_class = forms.CharField

    def describe(self, value):
        return readable_domain(value)


class IdFilter(DrillDownFilter):
    """A drill-down to one row by its id (bounded in :class:`ReportFilterForm`)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": _("Enter a whole number."),
                "min_value": _("Ids start at 1."),
                "max_value": _("No id is this large: the largest is %(limit_value)s."),
            },
        )
        super().__init__(*args, **kwargs)


class LinkFilter(IdFilter):
    def describe(self, value):
        url = Link.objects.filter(pk=value).values_list("url", flat=True).first()
        return str(value) if url is None else url_label(url)


class SourceFilter(IdFilter):
    def describe(self, value):
        path = SourcePage.objects.filter(pk=value).values_list("path", flat=True)
        path = path.first()
        return str(value) if path is None else path_label(path)


class PageFilter(IdFilter):
    def describe(self, value):
        # Only a page the viewer may explore is named by its title.
        user = getattr(self.parent.request, "user", None)
        titles = page_titles(user, [value])
        return titles[value][0] if titles else str(page_label(value))


class PeriodFilterAdapter(ChoiceFilterAdapter):
    def get_active_filters(self):
        # A custom range shows as the pill of its dates.
        if self.value != CUSTOM:
            yield from super().get_active_filters()


class DrillDownFilterAdapter(BaseFilterAdapter):
    def get_active_filters(self):
        yield ActiveFilter(
            self.bound_field.auto_id,
            self.filter.label,
            self.filter.describe(self.value),
            self.get_url_without_filter_param(self.name),
        )


register_filter_adapter_class(PeriodFilter, PeriodFilterAdapter)
# In the viewer's locale, as Wagtail's own date ranges.
register_filter_adapter_class(DayRangeFilter, DateFromToRangeFilterAdapter)
register_filter_adapter_class(DrillDownFilter, DrillDownFilterAdapter)


# The filter set


class ReportFilterForm(forms.Form):
    """The filter set's form: the bounds that need the database or more than
    one value, and the filter menu's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        largest = {
            "link": largest_id(Link._meta.pk),
            "source": largest_id(SourcePage._meta.pk),
            "page": largest_id(
                SourcePage._meta.get_field("page_id"), page_model()._meta.pk
            ),
        }
        for name, limit in largest.items():
            field = self.fields.get(name)
            if field is None:  # a tab without this drill-down
                continue
            field.max_value = limit
            field.validators.append(MaxValueValidator(limit))

    def __iter__(self):
        # Wagtail's filter menu lists the fields a form yields: the drill-down
        # is left out, and travels as hidden inputs (``reports/report.html``).
        return iter(self.visible_fields())

    def visible_fields(self):
        return [self[name] for name in self.fields if not self[name].is_hidden]

    def hidden_fields(self):
        return [self[name] for name in self.fields if self[name].is_hidden]

    def clean_dates(self):
        dates = self.cleaned_data.get("dates")
        if dates is None:
            return None
        start, end = dates.start, dates.stop
        for day in (start, end):
            if day is not None and not EARLIEST <= day <= latest_day():
                raise forms.ValidationError(
                    _("Enter a date from %(first)s to %(last)s."),
                    code="out_of_range",
                    params={
                        "first": EARLIEST.isoformat(),
                        "last": latest_day().isoformat(),
                    },
                )
        if start and end and start > end:
            raise forms.ValidationError(
                _("The end date is before the start date."), code="reversed"
            )
        if start and end and end >= periods.years_after(start, MAX_RANGE_YEARS):
            raise forms.ValidationError(
                _("A custom range covers at most %(years)s years."),
                code="range_too_long",
                params={"years": MAX_RANGE_YEARS},
            )
        return dates


class ReportFilterSet(WagtailFilterSet):
    period = PeriodFilter(
        label=_("Period"),
        choices=PERIODS,
        empty_label=None,
        initial=DEFAULT_PERIOD,
        widget=forms.RadioSelect,
    )
    dates = DayRangeFilter(
        label=_("Dates"),
        widget=CustomRangeWidget,
        help_text=_("Used with the period “Custom range”."),
    )
    site = django_filters.TypedChoiceFilter(
        label=_("Site"), coerce=int, empty_value=None
    )
    event = django_filters.CharFilter(
        label=_("Event"),
        max_length=LABEL_LENGTH,
        widget=SuggestionsInput(attrs={"placeholder": _("Any event")}),
    )
    category = django_filters.CharFilter(
        label=_("Category"),
        max_length=LABEL_LENGTH,
        widget=SuggestionsInput(attrs={"placeholder": _("Any category")}),
    )
    domain = DomainFilter(label=_("Domain"), max_length=DOMAIN_LENGTH)
    link = LinkFilter(label=_("URL"))
    source = SourceFilter(label=_("Exit page"))
    page = PageFilter(label=_("Page"))

    class Meta:
        model = DailyClicks
        fields = []
        form = ReportFilterForm

    def __init__(self, data=None, *args, **kwargs):
        self.given = data
        # Dates, when given, win over a preset; the menu shows what applies.
        if data is not None:
            data = data.copy()
            if data.get("start") or data.get("end"):
                data["period"] = CUSTOM
            elif not data.get("period"):
                data["period"] = DEFAULT_PERIOD
        super().__init__(data, *args, **kwargs)
        # Only a multi-site install has a site to choose.
        sites = list(Site.objects.order_by("hostname", "port"))
        if len(sites) > 1:
            self.form.fields["site"].choices = [("", _("All sites"))] + [
                (site.pk, str(site)) for site in sites
            ]
        else:
            del self.filters["site"]

    def filter_queryset(self, queryset):
        # The values narrow the stats queries (``stats_filters``), not a queryset.
        return queryset

    def suggest(self, *, events=(), categories=()):
        """Offer ``events`` and ``categories`` in the filters' menus."""
        for name, values in (("event", events), ("category", categories)):
            if name in self.form.fields:
                self.form.fields[name].widget.suggestions = list(values)

    def date_range(self):
        """``(period, start, end)``; an invalid period or date gives the
        default period."""
        self.is_valid()
        data = self.form.cleaned_data
        period = data.get("period") or DEFAULT_PERIOD
        if any(name in self.errors for name in DATE_FIELDS):
            period = DEFAULT_PERIOD
        dates = data.get("dates") or slice(None, None)
        if period == CUSTOM and not (dates.start or dates.stop):
            period = DEFAULT_PERIOD
        if period == CUSTOM:
            return period, dates.start, dates.stop
        if period == ALL_TIME:
            return period, None, None
        return period, *periods.last_days(int(period))

    def stats_filters(self, search=""):
        """The valid values as one ``stats.Filters`` (``search`` comes from
        the header's search box)."""
        self.is_valid()
        data = self.form.cleaned_data
        _period, start, end = self.date_range()
        return stats.Filters(
            site=data.get("site"),
            start=start,
            end=end,
            search=search.strip(),
            event=data.get("event", ""),
            category=data.get("category", ""),
            domain=data.get("domain", "").strip().lower(),
            link=data.get("link"),
            source=data.get("source"),
            page=data.get("page"),
        )

    def query_parameters(self):
        """The valid filters as they were given, for links to other tabs and
        drill-downs: an invalid value is not carried over."""
        self.is_valid()
        dates_failed = any(name in self.errors for name in DATE_FIELDS)
        found = {}
        for name, field in self.form.fields.items():
            if name in self.errors or (dates_failed and name in DATE_FIELDS):
                continue
            for param in parameters(name, field.widget):
                value = (self.given or {}).get(param)
                if value:
                    found[param] = value
        return found


def parameters(name, widget):
    """The query-string parameters of form field ``name``."""
    suffixes = getattr(widget, "suffixes", None)
    return [widget.suffixed(name, s) for s in suffixes] if suffixes else [name]


class LinkFilterSet(ReportFilterSet):
    """The Links tab's filters: the period of the clicks counted, the site,
    status (the link checker's), clicks (never or some in the period), in
    content (the inventory, or links clicked that no page holds any more) and
    domain, in the filter menu; the search box; and the drill-down to the
    pages that hold one link (``link``). Events, categories and exit pages
    count clicks, not links: the tab has no such filters."""

    health = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            (status, Health(status).label)
            for status in (
                Health.BROKEN,
                Health.REDIRECTED,
                Health.BLOCKED,
                Health.OK,
                Health.UNKNOWN,
            )
        ],
        empty_label=_("Any status"),
        widget=forms.RadioSelect,
    )
    clicked = django_filters.ChoiceFilter(
        label=_("Clicks"),
        choices=links.Clicked.choices,
        empty_label=_("Clicked or not"),
        widget=forms.RadioSelect,
    )
    content = django_filters.ChoiceFilter(
        label=_("In content"),
        choices=[c for c in links.Content.choices if c[0] != links.Content.IN],
        # No value: the links in content, and no pill for it.
        empty_label=links.Content.IN.label,
        widget=forms.RadioSelect,
    )
    # In the menu here, not a drill-down: typed, or set by a domain's link.
    domain = DomainFilter(
        label=_("Domain"),
        max_length=DOMAIN_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("Any domain")}),
    )

    # Labels and exit pages count clicks, not links: not filters of this tab.
    event = category = source = page = None

    def link_options(self):
        """The Links report's own filters, as ``links.LinkReport`` takes them."""
        self.is_valid()
        data = self.form.cleaned_data
        return {
            "health": data.get("health") or None,
            "clicked": data.get("clicked") or None,
            "content": data.get("content") or links.Content.IN,
        }
