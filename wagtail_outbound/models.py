"""Storage built for reports over millions of clicks.

A click is never stored as its own row: it increments a daily counter keyed by
site, day, link, source page, event and category. Nothing about the visitor is
kept. Source pages are referenced by id and path, not by a foreign key to
``wagtailcore.Page``, so a swapped page model (Wagtail 8) and deleted pages
are both fine.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Page

from .domains import parse_domain_list


class SiteKey(models.ForeignKey):
    """A click table's site: a foreign key without a database constraint or a
    cascade, so the click tables can live in a database of their own
    (``WAGTAIL_OUTBOUND_DATABASE``). ``signals`` deletes a site's rows."""

    def __init__(self, **kwargs):
        kwargs.update(
            to="wagtailcore.Site",
            on_delete=models.DO_NOTHING,
            related_name="+",
            db_constraint=False,
        )
        super().__init__(**kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ForeignKey", args, kwargs


def fingerprint(value):
    """Stable key for a long text column, so uniqueness works on every database."""
    return hashlib.sha256(value.encode()).hexdigest()


class Link(models.Model):
    """An external destination, identified by its normalised URL."""

    url = models.TextField(_("URL"))
    url_hash = models.CharField(max_length=64, unique=True, editable=False)
    domain = models.CharField(_("domain"), max_length=253, db_index=True)
    # The text most clicks carried (a Boyer-Moore majority vote, so no single
    # beacon can replace it): ``text_votes`` is the vote's running margin.
    text = models.CharField(_("link text"), max_length=255, blank=True)
    text_votes = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outbound link")
        verbose_name_plural = _("outbound links")
        default_permissions = ()

    def __str__(self):
        return self.url


class SourcePage(models.Model):
    """A page of a site on which outbound links were clicked."""

    site = SiteKey()
    page_id = models.PositiveIntegerField(_("page id"), null=True, db_index=True)
    path = models.TextField(_("path"))
    path_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("source page")
        verbose_name_plural = _("source pages")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["site", "path_hash"], name="wagtail_outbound_source_unique"
            )
        ]

    def __str__(self):
        return self.path


class DailyClicks(models.Model):
    """Number of clicks on one link from one source page on one day."""

    site = SiteKey()
    day = models.DateField(_("day"))
    # Indexed below with the day: the reports read a few links' or pages'
    # counters over a range of days.
    link = models.ForeignKey(
        Link, on_delete=models.CASCADE, related_name="daily", db_index=False
    )
    source = models.ForeignKey(
        SourcePage, on_delete=models.CASCADE, related_name="daily", db_index=False
    )
    event = models.CharField(_("event"), max_length=64, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)

    class Meta:
        verbose_name = _("outbound click count")
        verbose_name_plural = _("outbound click counts")
        # "view" is the permission that opens the reports.
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "link", "source", "event", "category"],
                name="wagtail_outbound_daily_unique",
            )
        ]
        indexes = [
            # Day first: reports over all sites read a range of days.
            models.Index(fields=["day", "site"], name="wagtail_outbound_day"),
            models.Index(fields=["link", "day"], name="wagtail_outbound_daily_link"),
            models.Index(
                fields=["source", "day"], name="wagtail_outbound_daily_source"
            ),
            # The report's event and category menus list the distinct values;
            # most counters have neither, so these indexes stay small.
            models.Index(
                fields=["event"],
                condition=~models.Q(event=""),
                name="wagtail_outbound_event",
            ),
            models.Index(
                fields=["category"],
                condition=~models.Q(category=""),
                name="wagtail_outbound_category",
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.link_id} {self.clicks}"


class Span(models.TextChoices):
    """Length of the period a roll-up row counts, starting on its ``day``."""

    DAY = "d", _("day")
    MONTH = "m", _("month")
    YEAR = "y", _("year")

    def first_day(self, day):
        """The first day of the period of this span that holds ``day``."""
        if self == Span.DAY:
            return day
        if self == Span.MONTH:
            return day.replace(day=1)
        return day.replace(month=1, day=1)


class RollUp(models.Model):
    """A roll-up counter: the clicks of one day, calendar month or calendar
    year (its ``day`` is then the period's first day), counted by
    ``counted_by``. A year range reads a row per key for each whole year and
    month instead of one per day.

    Always exactly the sum of the matching :class:`DailyClicks`: ``recording``
    updates every roll-up in the click's transaction, ``retention`` prunes
    them with the counters, and ``recording.rebuild_rollups()`` recomputes
    them after bulk writes.
    """

    # Field name in this model -> the DailyClicks lookup it is counted by.
    counted_by = {}
    spans = (Span.DAY, Span.MONTH, Span.YEAR)

    site = SiteKey()
    span = models.CharField(_("span"), max_length=1, choices=Span.choices)
    day = models.DateField(_("first day"))
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)

    class Meta:
        abstract = True
        default_permissions = ()

    def __str__(self):
        keys = " ".join(str(getattr(self, name)) for name in self.counted_by)
        return f"{self.span} {self.day} {keys} {self.clicks}".replace("  ", " ")


class SiteClicks(RollUp):
    """Clicks on a site per day and per month: totals and the chart."""

    class Meta(RollUp.Meta):
        verbose_name = _("outbound clicks per site")
        verbose_name_plural = _("outbound clicks per site")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "span", "day"], name="wagtail_outbound_site_span"
            )
        ]
        indexes = [
            models.Index(fields=["span", "day"], name="wagtail_outbound_site_day")
        ]


class LinkClicks(RollUp):
    """Clicks on a link per event and category, all source pages together:
    the URLs report's ranking, its event and category columns and filters."""

    counted_by = {"link_id": "link_id", "event": "event", "category": "category"}

    # Indexed below with the span and day: a report reads a few links' days.
    link = models.ForeignKey(
        Link, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    event = models.CharField(_("event"), max_length=64, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)

    class Meta(RollUp.Meta):
        verbose_name = _("outbound clicks per link")
        verbose_name_plural = _("outbound clicks per link")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "span", "day", "link", "event", "category"],
                name="wagtail_outbound_link_span",
            )
        ]
        indexes = [
            models.Index(
                fields=["span", "day", "link"], name="wagtail_outbound_link_day"
            ),
            models.Index(
                fields=["link", "span", "day"], name="wagtail_outbound_link_last"
            ),
        ]


class DomainClicks(RollUp):
    """Clicks on a domain per day and per month: the dashboard panel and the
    Domains report's ranking, without reading a row per link."""

    counted_by = {"domain": "link__domain"}

    domain = models.CharField(_("domain"), max_length=253)

    class Meta(RollUp.Meta):
        verbose_name = _("outbound clicks per domain")
        verbose_name_plural = _("outbound clicks per domain")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "span", "day", "domain"],
                name="wagtail_outbound_domain_span",
            )
        ]
        indexes = [
            models.Index(
                fields=["span", "day", "domain"], name="wagtail_outbound_domain_day"
            )
        ]


class SourceClicks(RollUp):
    """Clicks from a source page per day and per month: the Exit pages
    report's ranking."""

    counted_by = {"source_id": "source_id"}

    source = models.ForeignKey(SourcePage, on_delete=models.CASCADE, related_name="+")

    class Meta(RollUp.Meta):
        verbose_name = _("outbound clicks per source page")
        verbose_name_plural = _("outbound clicks per source page")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "span", "day", "source"],
                name="wagtail_outbound_source_span",
            )
        ]
        indexes = [
            models.Index(
                fields=["span", "day", "source"], name="wagtail_outbound_source_day"
            )
        ]


class PairClicks(RollUp):
    """Clicks on a link from a source page per month (no day rows: those are
    the daily counters). The reports count distinct source pages per URL and
    destinations per page, and find top pages and domains, from a month's
    row per pair instead of a row per pair and day."""

    counted_by = {"link_id": "link_id", "source_id": "source_id"}
    spans = (Span.MONTH, Span.YEAR)

    link = models.ForeignKey(
        Link, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    source = models.ForeignKey(
        SourcePage, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta(RollUp.Meta):
        verbose_name = _("outbound clicks per link and source page")
        verbose_name_plural = _("outbound clicks per link and source page")
        constraints = [
            # Day first: the reports read the months of a range, all sites.
            models.UniqueConstraint(
                fields=["span", "day", "site", "link", "source"],
                name="wagtail_outbound_pair_span",
            )
        ]
        indexes = [
            # Index-only reads of the pairs of the 50 rows a report shows.
            models.Index(
                fields=["link", "day", "source", "clicks"],
                name="wagtail_outbound_pair_link",
            ),
            models.Index(
                fields=["source", "day", "link", "clicks"],
                name="wagtail_outbound_pair_source",
            ),
        ]


ROLLUPS = (SiteClicks, LinkClicks, DomainClicks, SourceClicks, PairClicks)


# The overflow keys: clicks beyond a site's daily budget of new links, source
# pages or labels count under these, never under a new row (see ``budget``).
# A beacon's URL is never empty and its path starts with "/".
OTHER_URL = ""
OTHER_DOMAIN = ""
OTHER_PATH = ""
OTHER_LABEL = "(other)"


class PendingClick(models.Model):
    """A click accepted by the collect endpoint and not counted yet.

    The endpoint's one durable append: no unique constraint, no foreign key
    and no index but the primary key, so concurrent requests share no row.
    ``aggregation`` counts pending clicks in batches and deletes them in the
    same transaction. The page id is not kept: the server resolves the page
    from the path.
    """

    site_id = models.PositiveIntegerField()
    received = models.DateTimeField()
    day = models.DateField()  # in the project's TIME_ZONE (``periods``)
    url = models.TextField()
    domain = models.CharField(max_length=253)
    text = models.CharField(max_length=255, blank=True)
    path = models.TextField()
    event = models.CharField(max_length=64, blank=True)
    category = models.CharField(max_length=64, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.received} {self.url}"


class Label(models.Model):
    """An event or category label seen on a site: the report's menus list
    these, and a label not listed yet spends the site's daily budget."""

    class Kind(models.TextChoices):
        EVENT = "event", _("event")
        CATEGORY = "category", _("category")

    site = SiteKey()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=64)
    first_day = models.DateField()

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["site", "kind", "value"], name="wagtail_outbound_label_unique"
            )
        ]

    def __str__(self):
        return f"{self.kind}: {self.value}"


class NewKeys(models.Model):
    """How many new links, source pages and labels a site's clicks created on
    a day: the budget that bounds what forged clicks can add."""

    site = SiteKey()
    day = models.DateField()
    kind = models.CharField(max_length=8)
    created = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "kind"], name="wagtail_outbound_new_keys"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.kind} {self.created}"


MAX_RETENTION_DAYS = 3650


@register_setting(icon="link-external")
class OutboundSettings(BaseSiteSetting):
    """Per-site tracking settings, editable under Settings in the Wagtail admin."""

    KEEP = "keep"
    DROP_ALL = "drop_all"
    DROP_LISTED = "drop_listed"
    QUERY_CHOICES = [
        (KEEP, _("Keep query strings")),
        (DROP_ALL, _("Drop all query strings")),
        (DROP_LISTED, _("Drop the parameters listed below")),
    ]

    enabled = models.BooleanField(
        _("track outbound link clicks"),
        default=True,
        help_text=_("Turn off to stop counting outbound clicks on this site."),
    )
    internal_domains = models.TextField(
        _("internal domains"),
        blank=True,
        help_text=_(
            "Hostnames that are part of this site and never counted, one per line. "
            "'*.example.com' matches example.com and all its sub-domains. "
            "The site's own hostname and its www. twin are always internal."
        ),
    )
    excluded_domains = models.TextField(
        _("excluded domains"),
        blank=True,
        help_text=_(
            "Destinations never counted, such as ad networks, one per line, "
            "with the same wildcard syntax."
        ),
    )
    query_strings = models.CharField(
        _("query strings"), max_length=16, choices=QUERY_CHOICES, default=KEEP
    )
    dropped_parameters = models.TextField(
        _("parameters to drop"),
        blank=True,
        help_text=_(
            "Query parameters removed from stored URLs, one per line. Tracking "
            "parameters (utm_*, fbclid, gclid, msclkid, mc_eid), token, key and "
            "session parameters, and anything that looks like an e-mail address "
            "are always removed."
        ),
    )
    respect_privacy_signals = models.BooleanField(
        _("honour Do Not Track and Global Privacy Control"),
        default=True,
        help_text=_("Visitors whose browser sends either signal are not counted."),
    )
    retention_days = models.PositiveIntegerField(
        _("retention (days)"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)],
        help_text=_("Click history older than this is deleted by outbound_prune."),
    )

    class Meta:
        verbose_name = _("outbound link tracking")

    def clean(self):
        # Not field validators: a migration would import them.
        errors = {}
        for name in ("internal_domains", "excluded_domains"):
            try:
                parse_domain_list(getattr(self, name))
            except ValidationError as error:
                errors[name] = error
        if errors:
            raise ValidationError(errors)


class OutboundTrackingMixin(models.Model):
    """Adds a per-page "Track outbound link clicks" switch to a page model.

    ``class ArticlePage(OutboundTrackingMixin, Page)``, then ``makemigrations``.
    When the switch is off, the published page gets no tracker at all.
    """

    track_outbound_clicks = models.BooleanField(
        _("track outbound link clicks"),
        default=True,
        help_text=_(
            "Count clicks on links from this page to other websites. Turn off for "
            "pages whose outbound clicks should not be measured, such as partner "
            "or advertising pages."
        ),
    )

    settings_panels = [*Page.settings_panels, FieldPanel("track_outbound_clicks")]

    class Meta:
        abstract = True
