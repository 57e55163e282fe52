"""The report filters: period, site, search, event and category, plus the
drill-down (domain, URL, exit page or Wagtail page) carried in the query string.
"""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

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


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=AdminDateInput)
    end = forms.DateField(label=_("To"), required=False, widget=AdminDateInput)
    site = forms.TypedChoiceField(label=_("Site"), required=False, coerce=int)
    q = forms.CharField(label=_("Search"), required=False, max_length=255)
    event = forms.ChoiceField(label=_("Event"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    domain = forms.CharField(required=False, max_length=253, widget=forms.HiddenInput)
    link = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    source = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, data, *, sites=(), events=(), categories=()):
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
        self.fields["event"].choices = [("", _("Any event")), *_pairs(events)]
        self.fields["category"].choices = [("", _("Any category")), *_pairs(categories)]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end date is before the start date."))
        return data

    def date_range(self):
        """``(period, start, end)``; invalid fields fall back to the default."""
        self.is_valid()
        data = self.cleaned_data
        period = data.get("period") or DEFAULT_PERIOD
        today = timezone.localdate()
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


def _pairs(values):
    return [(value, value) for value in values]
