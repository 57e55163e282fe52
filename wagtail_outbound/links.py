"""The Links report: every outbound link in published content, with its
clicks in a range (zero included), the pages that hold it and its health.

The link inventory (``Placement``) drives the rows, so a link nobody clicked
still has one; the clicks are the roll-ups' (``stats.Filters.counted``), the
health the link checker's (``LinkCheck``)::

    from wagtail_outbound import links, stats
    from wagtail_outbound.models import Health

    filters = stats.Filters(start=date(2026, 1, 1), end=date(2026, 1, 31))
    report = links.links(filters, health=Health.BROKEN, clicked=links.Clicked.YES)
    for row in report.rows.order_by("-clicks")[:10]:
        print(row["url"], row["clicks"], row["pages"], row["status"])

:attr:`LinkReport.rows` is one lazy queryset: filtered, sorted (by clicks,
pages, health or any column) and sliced by the database, whatever the number
of links. Which links are clicked in the range is one pass over the roll-up
(``link IN (...)``); the clicks and pages of a row are subqueries on indexes
keyed by link, which the database evaluates for the rows it returns, or for
every matching row when it sorts by them.
"""

from functools import cached_property

from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .models import Health, Link, Placement
from .stats import fresh, search_match


class Content(models.TextChoices):
    """Which links are rows: those some page holds (the default), those
    clicked in the range that no page holds any more (they live only in old
    pages, caches and bookmarks), or either."""

    IN = "in", _("In content")
    GONE = "gone", _("Clicked, no longer in any content")
    ANY = "all", _("In content or clicked")


# Every link, whether in content or clicked or neither: one link's row.
EVERY_LINK = "every"


class Clicked(models.TextChoices):
    """Clicks in the range: none, or at least one."""

    NEVER = "no", _("Never clicked in the period")
    YES = "yes", _("Clicked in the period")


# From healthy to broken: the order of the "Status" column. A link never
# checked sits between a good answer and a doubtful one.
HEALTH_RANKS = {
    Health.OK: 0,
    Health.UNKNOWN: 1,
    Health.REDIRECTED: 2,
    Health.BLOCKED: 3,
    Health.BROKEN: 4,
}


def health_label(status):
    """What a status is called on screen and in exports."""
    try:
        return Health(status or Health.UNKNOWN).label
    except ValueError:  # a status this version does not know
        return status


class LinkReport:
    """The Links report for ``filters`` (a ``stats.Filters``: site, range,
    search, domain, link; event, category, source and page narrow the clicks
    counted), narrowed to links of health ``health`` (a ``Health`` value;
    None: any), ``clicked`` (:class:`Clicked`; None: either) and ``content``
    (:class:`Content`).

    :attr:`rows` has every column; there are no detail columns to add.
    """

    detail_columns = ()

    def __init__(self, filters, *, health=None, clicked=None, content=Content.IN):
        self.filters = filters
        self.health = health or None
        self.clicked = clicked or None
        self.content = content or Content.IN

    @cached_property
    def counted(self):
        """``link_id, clicks`` of the links clicked in range (clicks above
        zero), from the roll-up. Search, domain and link narrow the rows
        instead, which saves the roll-up a join."""
        return self.filters.replace(search="", domain="", link=None).counted("link_id")

    def clicked_ids(self):
        """The ids of the links clicked in range, as a subquery."""
        return self.counted.values("link_id")

    def placements(self):
        """The inventory rows counted: those of the site filtered on."""
        rows = Placement.objects.all()
        if self.filters.site_id is not None:
            rows = rows.filter(site_id=self.filters.site_id)
        return rows

    def links(self):
        """The ``Link`` rows of the report, not yet annotated."""
        links = Link.objects.all()
        filters = self.filters
        if filters.search:
            links = links.filter(search_match(filters.search))
        if filters.domain:
            links = links.filter(domain=filters.domain)
        if filters.link is not None:
            links = links.filter(pk=filters.link)
        in_content = Exists(self.placements().filter(link=OuterRef("pk")))
        clicked = Q(pk__in=self.clicked_ids())
        if self.content == Content.GONE:
            links = links.filter(clicked & ~in_content)
        elif self.content == Content.ANY:
            links = links.filter(in_content | clicked)
        elif self.content != EVERY_LINK:
            links = links.filter(in_content)
        if self.clicked == Clicked.YES and self.content != Content.GONE:
            links = links.filter(clicked)
        elif self.clicked == Clicked.NEVER:
            links = links.exclude(clicked)
        if self.health == Health.UNKNOWN:
            links = links.filter(
                Q(health__isnull=True) | Q(health__status=Health.UNKNOWN)
            )
        elif self.health:
            links = links.filter(health__status=self.health)
        return links

    @cached_property
    def rows(self):
        """Rows of ``link_id, url, domain, text, first_seen, last_seen`` (in
        content), ``clicks`` (in range), ``pages`` (holding it), ``status``,
        ``http_status``, ``final_url``, ``permanent``, ``checked_at`` (the
        last check; ``status`` is ``"unknown"`` before the first) and
        ``health_rank`` (:data:`HEALTH_RANKS`): a lazy queryset, most clicked
        first (ties by URL)."""
        clicks = self.counted.filter(link_id=OuterRef("pk")).values("clicks")[:1]
        pages = (
            self.placements()
            .filter(link=OuterRef("pk"))
            .order_by()
            .values("link")
            .annotate(pages=Count("*"))
            .values("pages")
        )
        status = Coalesce(F("health__status"), Value(Health.UNKNOWN))
        return (
            self.links()
            .values(
                "url",
                "domain",
                "text",
                "first_seen",
                "last_seen",
                link_id=F("pk"),
                http_status=F("health__http_status"),
                final_url=F("health__final_url"),
                permanent=F("health__permanent"),
                checked_at=F("health__checked_at"),
            )
            .annotate(
                status=status,
                health_rank=Case(
                    *[
                        When(health__status=value, then=Value(rank))
                        for value, rank in HEALTH_RANKS.items()
                    ],
                    default=Value(HEALTH_RANKS[Health.UNKNOWN]),
                    output_field=IntegerField(),
                ),
                clicks=Coalesce(Subquery(clicks), 0),
                pages=Coalesce(Subquery(pages), 0),
            )
            .order_by("-clicks", "url", "link_id")
        )

    def details(self, rows, every=False):
        """The rows as they are: every column is in :attr:`rows` (the admin's
        report views call this on every report)."""
        return rows

    def top(self, count=None):
        """The first ``count`` rows (all: None), as a list."""
        return list(self.rows if count is None else self.rows[:count])


class PlacementReport:
    """The pages that hold one link (``filters.link``; in ``filters.site``
    if given): rows of ``page_id, where, site_ref, first_seen, last_seen``,
    a lazy queryset in page id order. Titles are the admin's to add, for the
    pages the viewer may see (``tables.page_titles``), from the CMS database,
    which need not be this one."""

    detail_columns = ()

    def __init__(self, filters):
        self.filters = filters

    @cached_property
    def link(self):
        """The link's row as :attr:`LinkReport.rows` has it (clicks in the
        range, pages, health), or None when there is no such link."""
        report = LinkReport(self.filters, content=EVERY_LINK)
        return report.rows.first()

    @cached_property
    def rows(self):
        rows = Placement.objects.filter(link_id=self.filters.link)
        if self.filters.site_id is not None:
            rows = rows.filter(site_id=self.filters.site_id)
        return rows.values(
            "page_id", "where", "first_seen", "last_seen", site_ref=F("site_id")
        ).order_by("page_id")

    def details(self, rows, every=False):
        return rows

    def top(self, count=None):
        return list(self.rows if count is None else self.rows[:count])


@fresh
def links(filters, **options):
    """The Links report (:class:`LinkReport`)."""
    return LinkReport(filters, **options)


@fresh
def placements(filters):
    """The pages that hold the link ``filters.link`` (:class:`PlacementReport`)."""
    return PlacementReport(filters)
