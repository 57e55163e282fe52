"""Storage built for reports over millions of clicks.

A click is never stored as its own row: it increments a daily counter keyed by
site, day, link, source page, event and category. Nothing about the visitor is
kept. Source pages are referenced by id and path, not by a foreign key to
``wagtailcore.Page``, so a swapped page model (Wagtail 8) and deleted pages
are both fine.
"""

import hashlib

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Page

from .domains import parse_domain_list


def fingerprint(value):
    """Stable key for a long text column, so uniqueness works on every database."""
    return hashlib.sha256(value.encode()).hexdigest()


class Link(models.Model):
    """An external destination, identified by its normalised URL."""

    url = models.TextField(_("URL"))
    url_hash = models.CharField(max_length=64, unique=True, editable=False)
    domain = models.CharField(_("domain"), max_length=253, db_index=True)
    text = models.CharField(_("latest link text"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outbound link")
        verbose_name_plural = _("outbound links")
        default_permissions = ()

    def __str__(self):
        return self.url


class SourcePage(models.Model):
    """A page of a site on which outbound links were clicked."""

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+"
    )
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

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="daily")
    source = models.ForeignKey(
        SourcePage, on_delete=models.CASCADE, related_name="daily"
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
            models.Index(fields=["site", "day"], name="wagtail_outbound_day"),
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


class SiteClicks(models.Model):
    """Roll-up counter: clicks on a site per day and per calendar month.

    Always exactly the sum of the matching :class:`DailyClicks` (updated in the
    same transaction by ``recording``; ``recording.rebuild_rollups()`` rebuilds
    it). A month row's ``day`` is the first of the month. Pruning counters
    must prune this table too (or rebuild it).
    """

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+"
    )
    span = models.CharField(_("span"), max_length=1, choices=Span.choices)
    day = models.DateField(_("first day"))
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)

    class Meta:
        verbose_name = _("outbound clicks per site")
        verbose_name_plural = _("outbound clicks per site")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["site", "span", "day"], name="wagtail_outbound_site_span"
            )
        ]
        indexes = [
            models.Index(fields=["span", "day"], name="wagtail_outbound_site_day")
        ]

    def __str__(self):
        return f"{self.span} {self.day} {self.clicks}"


class LinkClicks(models.Model):
    """Roll-up counter: clicks on a link per day and per calendar month, all
    source pages, events and categories together.

    Always exactly the sum of the matching :class:`DailyClicks` (same rules as
    :class:`SiteClicks`). It has one row per link and month where the counters
    have one per link, page, label and day, so the Domains report and the
    dashboard read a year from it in milliseconds.
    """

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+"
    )
    span = models.CharField(_("span"), max_length=1, choices=Span.choices)
    day = models.DateField(_("first day"))
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="+")
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)

    class Meta:
        verbose_name = _("outbound clicks per link")
        verbose_name_plural = _("outbound clicks per link")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["site", "span", "day", "link"],
                name="wagtail_outbound_link_span",
            )
        ]
        indexes = [
            models.Index(
                fields=["span", "day", "link"], name="wagtail_outbound_link_day"
            )
        ]

    def __str__(self):
        return f"{self.span} {self.day} {self.link_id} {self.clicks}"


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
        validators=[parse_domain_list],
    )
    excluded_domains = models.TextField(
        _("excluded domains"),
        blank=True,
        help_text=_(
            "Destinations never counted, such as ad networks, one per line, "
            "with the same wildcard syntax."
        ),
        validators=[parse_domain_list],
    )
    query_strings = models.CharField(
        _("query strings"), max_length=16, choices=QUERY_CHOICES, default=KEEP
    )
    dropped_parameters = models.TextField(
        _("parameters to drop"),
        blank=True,
        help_text=_(
            "Query parameters removed from stored URLs, one per line. Tracking "
            "parameters (utm_*, fbclid, gclid, msclkid, mc_eid) and values that "
            "look like e-mail addresses are always removed."
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
        validators=[MinValueValidator(1)],
        help_text=_("Click history older than this is deleted by outbound_prune."),
    )

    class Meta:
        verbose_name = _("outbound link tracking")


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
