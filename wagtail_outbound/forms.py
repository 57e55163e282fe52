"""The report filters: period, site, search, event and category, plus the
drill-down (domain, URL, exit page or Wagtail page) carried in the query string.

Every value is bounded here, with a message, before any query sees it: dates
from ``EARLIEST`` to a year after today (the project's ``TIME_ZONE``, see
``periods``), a From/To range of at most ``MAX_RANGE_YEARS``, ids within their
columns' range, texts within their columns' length. An invalid period or date
shows its error and the report falls back to the default period; other
invalid filters show their error and are ignored.
"""

from datetime import date, timedelta

from django import forms
from django.core.validators import MaxValueValidator
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from . import periods
from .models import Link, SourcePage
from .sources import page_model

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
DATE_FIELDS = ("period", "start", "end")
LABEL_LENGTH = 64  # as stored (``beacon.MAX_LABEL``)


def years_after(day, years):
    """The same day ``years`` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_day():
    """The last day a From/To date may name: a year after today."""
    return years_after(periods.today(), 1)


def largest_id(*fields):
    """The largest value every one of ``fields`` can hold on any supported
    database (PostgreSQL's integer ranges; SQLite's are wider)."""
    ranges = BaseDatabaseOperations.integer_field_ranges
    return min(
        ranges.get(field.get_internal_type(), (0, 2**63 - 1))[1] for field in fields
    )


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


def _id_field(label):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": _("Enter a whole number."),
            "min_value": _("Ids start at 1."),
            "max_value": _("No id is this large: the largest is %(limit_value)s."),
        },
    )


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=AdminDateInput)
    end = forms.DateField(label=_("To"), required=False, widget=AdminDateInput)
    site = forms.TypedChoiceField(label=_("Site"), required=False, coerce=int)
    q = forms.CharField(label=_("Search"), required=False, max_length=255)
    event = forms.CharField(
        label=_("Event"),
        required=False,
        max_length=LABEL_LENGTH,
        widget=SuggestionsInput,
    )
    category = forms.CharField(
        label=_("Category"),
        required=False,
        max_length=LABEL_LENGTH,
        widget=SuggestionsInput,
    )
    domain = forms.CharField(
        label=_("Domain"), required=False, max_length=253, widget=forms.HiddenInput
    )
    link = _id_field(_("URL"))
    source = _id_field(_("Exit page"))
    page = _id_field(_("Page"))

    def __init__(self, data, *, sites=()):
        self.given = data
        # Dates, when given, win over a preset; the select shows what applies.
        data = data.copy()
        if data.get("start") or data.get("end"):
            data["period"] = CUSTOM
        elif not data.get("period"):
            data["period"] = DEFAULT_PERIOD
        super().__init__(data)
        self.sites = {site.pk: site for site in sites}
        if len(self.sites) > 1:
            self.fields["site"].choices = [("", _("All sites"))] + [
                (site.pk, str(site)) for site in sites
            ]
        else:
            del self.fields["site"]
        self.fields["q"].widget.attrs["placeholder"] = _("URL, domain or link text")
        self.fields["event"].widget.attrs["placeholder"] = _("Any event")
        self.fields["category"].widget.attrs["placeholder"] = _("Any category")
        largest = {
            "link": largest_id(Link._meta.pk),
            "source": largest_id(SourcePage._meta.pk),
            "page": largest_id(
                SourcePage._meta.get_field("page_id"), page_model()._meta.pk
            ),
        }
        for name, limit in largest.items():
            field = self.fields[name]
            field.max_value = limit
            field.validators.append(MaxValueValidator(limit))

    def suggest(self, *, events=(), categories=()):
        """Offer ``events`` and ``categories`` in the filters' menus."""
        self.fields["event"].widget.suggestions = list(events)
        self.fields["category"].widget.suggestions = list(categories)

    def clean_start(self):
        return self._clean_day("start")

    def clean_end(self):
        return self._clean_day("end")

    def _clean_day(self, name):
        day = self.cleaned_data.get(name)
        if day is not None and not EARLIEST <= day <= latest_day():
            raise forms.ValidationError(
                _("Enter a date from %(first)s to %(last)s."),
                code="out_of_range",
                params={
                    "first": EARLIEST.isoformat(),
                    "last": latest_day().isoformat(),
                },
            )
        return day

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        elif start and end and end >= years_after(start, MAX_RANGE_YEARS):
            self.add_error(
                "end",
                forms.ValidationError(
                    _("A custom range covers at most %(years)s years."),
                    code="range_too_long",
                    params={"years": MAX_RANGE_YEARS},
                ),
            )
        return data

    def date_range(self):
        """``(period, start, end)``; an invalid period or date gives the
        default period."""
        self.is_valid()
        data = self.cleaned_data
        period = data.get("period") or DEFAULT_PERIOD
        if any(name in self.errors for name in DATE_FIELDS):
            period = DEFAULT_PERIOD
        if period == CUSTOM and not (data.get("start") or data.get("end")):
            period = DEFAULT_PERIOD
        today = periods.today()
        if period == CUSTOM:
            return period, data.get("start"), data.get("end")
        if period == ALL_TIME:
            return period, None, None
        return period, today - timedelta(days=int(period) - 1), today

    def stats_arguments(self):
        """Keyword arguments for the ``wagtail_outbound.stats`` report queries."""
        self.is_valid()
        data = self.cleaned_data
        _period, start, end = self.date_range()
        return {
            "site": self.sites.get(data.get("site")),
            "start": start,
            "end": end,
            "search": data.get("q", "").strip(),
            "event": data.get("event", ""),
            "category": data.get("category", ""),
            "domain": data.get("domain", "").strip().lower(),
            "link": data.get("link"),
            "source": data.get("source"),
            "page": data.get("page"),
        }

    def query_parameters(self):
        """The valid filters as they were given, for links to other tabs and
        drill-downs: an invalid value is not carried over."""
        self.is_valid()
        dates_failed = any(name in self.errors for name in DATE_FIELDS)
        found = {}
        for name in self.fields:
            if name in self.errors or (dates_failed and name in DATE_FIELDS):
                continue
            value = self.given.get(name)
            if value:
                found[name] = value
        return found

    def hidden_errors(self):
        """``(label, message)`` of the drill-down values that were refused."""
        return [
            (field.label, error)
            for field in self.hidden_fields()
            for error in field.errors
        ]
