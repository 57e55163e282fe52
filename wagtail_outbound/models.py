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
from django.utils.translation import gettext_noop
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Page

from .domains import parse_domain_list
from .fields import SiteKey
from .panels import OutboundClicksPanel

# The roll-ups are models of this app: importing them here registers them.
from .rollups import (  # noqa: F401
    ROLLUPS,
    DomainClicks,
    LinkClicks,
    PairClicks,
    RollUp,
    SiteClicks,
    SourceClicks,
    pair_indexes,
)


def unique(name, *fields):
    """A unique constraint on ``fields``, named in this app's namespace."""
    return models.UniqueConstraint(fields=fields, name=f"wagtail_outbound_{name}")


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
    # In published content (the link inventory, ``Placement``): when a live
    # page first and last served the link. None: never seen in content.
    first_seen = models.DateTimeField(_("first seen in content"), null=True)
    last_seen = models.DateTimeField(_("last seen in content"), null=True)

    class Meta:
        verbose_name = _("outbound link")
        verbose_name_plural = _("outbound links")
        default_permissions = ()

    def __str__(self):
        return self.url


class Placement(models.Model):
    """The link inventory: an outbound link that a live page serves.

    Built from the page's rendered HTML (so template links count too), and
    kept current on publish, unpublish, move and delete. Pages are referenced
    by id, not by a foreign key, like ``SourcePage``.
    """

    site = SiteKey()
    page_id = models.PositiveIntegerField(_("page id"))
    link = models.ForeignKey(
        Link, on_delete=models.CASCADE, related_name="placements", db_index=False
    )
    # The field or block that holds the link, where it can be known
    # ("body", "body.3.link", "template").
    where = models.CharField(_("field or block"), max_length=255, blank=True)
    text = models.CharField(_("link text"), max_length=255, blank=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("link in content")
        verbose_name_plural = _("links in content")
        default_permissions = ()
        constraints = [unique("placement_unique", "page_id", "link")]
        indexes = [
            models.Index(fields=["link", "site"], name="wagtail_outbound_held_by"),
            models.Index(
                fields=["site", "page_id"], name="wagtail_outbound_page_links"
            ),
        ]

    def __str__(self):
        return f"{self.page_id} {self.link_id}"


class Health(models.TextChoices):
    """What the link checker found at a URL."""

    UNKNOWN = "unknown", _("Not checked")
    OK = "ok", _("OK")
    REDIRECTED = "redirected", _("Redirected")
    BROKEN = "broken", _("Broken")
    BLOCKED = "blocked", _("Worth a look")  # 401, 403, 429: not proven broken


class LinkCheck(models.Model):
    """The link checker's last answer for one URL (``Link``), checked once
    however many pages hold it."""

    link = models.OneToOneField(
        Link, on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Health.choices, default=Health.UNKNOWN
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True)
    # Where redirects ended, and whether every hop was permanent (301, 308).
    final_url = models.TextField(_("final address"), blank=True)
    permanent = models.BooleanField(_("permanent redirect"), default=False)
    error = models.CharField(_("error"), max_length=255, blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True)
    next_check = models.DateTimeField(_("next check"), null=True, db_index=True)

    class Meta:
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
        default_permissions = ()

    def __str__(self):
        return f"{self.link_id} {self.status}"


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
        constraints = [unique("source_unique", "site", "path_hash")]

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
        # The permission that opens the reports, under Django's "view"
        # codename. Not a default permission: Wagtail's group editor shows
        # those as a bare "Can view", this one with its full name (which it
        # translates when shown, so it is only marked here).
        default_permissions = ()
        permissions = [
            ("view_dailyclicks", gettext_noop("Can view outbound link reports"))
        ]
        constraints = [
            unique("daily_unique", "site", "day", "link", "source", "event", "category")
        ]
        indexes = [
            # Day first: reports over all sites read a range of days. The
            # indexes end with what those reads need (keys and clicks), so
            # PostgreSQL and SQLite answer from the index alone.
            models.Index(
                fields=["day", "site", "link", "source", "clicks"],
                name="wagtail_outbound_day",
            ),
            *pair_indexes("daily"),
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
        constraints = [unique("label_unique", "site", "kind", "value")]

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
        constraints = [unique("new_keys", "site", "day", "kind")]

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
    retention_days = models.PositiveIntegerField(
        _("retention (days)"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)],
        help_text=_("Click history older than this is deleted by outbound_prune."),
    )
    respect_privacy_signals = models.BooleanField(
        _("honour Do Not Track and Global Privacy Control"),
        default=True,
        help_text=_("Visitors whose browser sends either signal are not counted."),
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
    """Adds a per-page "Track outbound link clicks" switch to a page model,
    and the "Outbound clicks" panel beside it in the Settings tab.

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

    settings_panels = [
        *Page.settings_panels,
        FieldPanel("track_outbound_clicks"),
        OutboundClicksPanel(),
    ]

    class Meta:
        abstract = True
