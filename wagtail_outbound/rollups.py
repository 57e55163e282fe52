"""Roll-ups: the click counters summed per day, calendar month and year
(and, for the pairs of links and pages, per dekad).

Everything about them is here: the tables and the keys each one counts by
(``counted_by``), the rows a batch of clicks adds, how a range of days is read
(from a :func:`~.periods.plan`), rebuilding them from the daily counters, and
pruning them with the counters. A report over a year reads a row per key for
each whole year and month instead of one per day; every answer stays exactly
the sum of the daily counters (``tests/test_rollups.py``).
"""

from collections import Counter

from django.db import connections, models, transaction
from django.db.models import BigIntegerField, Case, F, Max, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth, TruncYear
from django.utils.translation import gettext_lazy as _

from .fields import SiteKey
from .periods import Span


def keyed(name, *keys):
    """``(constraints, indexes)`` of a roll-up counted by ``keys``: one row
    per site, span, day and keys, and an index that ends with the keys and
    clicks, so a report reads a range of periods from the index alone."""
    return (
        [
            models.UniqueConstraint(
                fields=["site", "span", "day", *keys],
                name=f"wagtail_outbound_{name}_span",
            )
        ],
        [
            models.Index(
                fields=["span", "day", *keys, "clicks"],
                name=f"wagtail_outbound_{name}_day",
            )
        ],
    )


def pair_indexes(name):
    """Indexes of a table of clicks per link and source page (this module's
    pairs, the daily counters): the pairs of the 50 links or pages a report
    shows read from the index alone."""
    return [
        models.Index(
            fields=["link", "day", "source", "clicks"],
            name=f"wagtail_outbound_{name}_link",
        ),
        models.Index(
            fields=["source", "day", "link", "clicks"],
            name=f"wagtail_outbound_{name}_source",
        ),
    ]


class RollUp(models.Model):
    """A roll-up counter: the clicks of one day, calendar month or calendar
    year (its ``day`` is then the period's first day), counted by
    ``counted_by``. A year range reads a row per key for each whole year and
    month instead of one per day.

    Always exactly the sum of the matching daily counters: ``recording`` adds
    every batch's :func:`batch_rows` in the batch's transaction, retention
    calls :func:`prune`, and :func:`rebuild` recomputes them after bulk
    writes.
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
        constraints, indexes = keyed("site")


class LinkClicks(RollUp):
    """Clicks on a link per event and category, all source pages together:
    the URLs report's ranking, its event and category columns and filters."""

    counted_by = {"link_id": "link_id", "event": "event", "category": "category"}

    # Indexed below with the span and day: a report reads a few links' days.
    link = models.ForeignKey(
        "wagtail_outbound.Link",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    event = models.CharField(_("event"), max_length=64, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)

    class Meta(RollUp.Meta):
        verbose_name = _("outbound clicks per link")
        verbose_name_plural = _("outbound clicks per link")
        constraints, indexes = keyed("link", "link", "event", "category")
        indexes += [
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
        constraints, indexes = keyed("domain", "domain")


class SourceClicks(RollUp):
    """Clicks from a source page per day and per month: the Exit pages
    report's ranking."""

    counted_by = {"source_id": "source_id"}

    source = models.ForeignKey(
        "wagtail_outbound.SourcePage", on_delete=models.CASCADE, related_name="+"
    )

    class Meta(RollUp.Meta):
        verbose_name = _("outbound clicks per source page")
        verbose_name_plural = _("outbound clicks per source page")
        constraints, indexes = keyed("source", "source")


class PairClicks(RollUp):
    """Clicks on a link from a source page per dekad, month and year (no day
    rows: those are the daily counters). The reports count distinct source
    pages per URL and destinations per page, and find top pages and domains,
    from a period's row per pair instead of a row per pair and day. Dekads
    (thirds of a month) are stored for these alone: their detail columns
    cannot subtract days from a month as sums can, so a window ending
    mid-month would otherwise read every one of its days."""

    counted_by = {"link_id": "link_id", "source_id": "source_id"}
    spans = (Span.DEKAD, Span.MONTH, Span.YEAR)

    link = models.ForeignKey(
        "wagtail_outbound.Link",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    source = models.ForeignKey(
        "wagtail_outbound.SourcePage",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )

    class Meta(RollUp.Meta):
        verbose_name = _("outbound clicks per link and source page")
        verbose_name_plural = _("outbound clicks per link and source page")
        constraints = [
            # Day first: the reports read the periods of a range, all sites.
            models.UniqueConstraint(
                fields=["span", "day", "site", "link", "source"],
                name="wagtail_outbound_pair_span",
            )
        ]
        indexes = [
            # Every pair of a range (an export, a sort by a detail column,
            # the Domains report's details) from the index alone.
            models.Index(
                fields=["span", "day", "link", "source", "clicks"],
                name="wagtail_outbound_pair_day",
            ),
            *pair_indexes("pair"),
        ]


ROLLUPS = (SiteClicks, LinkClicks, DomainClicks, SourceClicks, PairClicks)


def batch_rows(model, counters):
    """``model``'s rows for ``{(site, day, link, source, event, category,
    domain): clicks}``, as ``(site, *counted_by, span, day, clicks)``."""
    rows = Counter()
    for key, clicks in counters.items():
        site_id, day, link_id, source_id, event, category, domain = key
        keys = {
            "link_id": link_id,
            "source_id": source_id,
            "domain": domain,
            "event": event,
            "category": category,
        }
        values = tuple(keys[name] for name in model.counted_by)
        for span in model.spans:
            rows[(site_id, *values, span, span.first_day(day))] += clicks
    return [(*key, clicks) for key, clicks in rows.items()]


def columns(model):
    """The key columns of ``model``'s rows (its unique constraint)."""
    return ["site_id", *model.counted_by, "span", "day"]


def covering(parts):
    """A filter on roll-up rows: those of any of ``parts`` (``periods.Part``)."""
    found = Q(pk__in=[])
    for part in parts:
        rows = Q(span=part.span)
        if part.first is not None:
            rows &= Q(day__gte=part.first)
        if part.last is not None:
            rows &= Q(day__lte=part.last)
        found |= rows
    return found


def clicks(parts, among_others=False):
    """The clicks of roll-up rows read by ``parts``: a plain sum, or with a
    signed plan the sum of each row's clicks times its part's sign.
    ``among_others``: the rows read include rows of other parts."""
    if not among_others and all(part.sign == 1 for part in parts):
        return Coalesce(Sum("clicks"), 0, output_field=BigIntegerField())
    return Coalesce(
        Sum(
            Case(
                *[
                    When(covering([part]), then=F("clicks") * Value(part.sign))
                    for part in parts
                ],
                default=Value(0),
                output_field=BigIntegerField(),
            )
        ),
        0,
        output_field=BigIntegerField(),
    )


def rebuild(using=None, only=None):
    """Recompute every roll-up from the daily counters.

    Call it after writing daily counters in bulk (imports, seeding, demo data)
    or after deleting counters, in one transaction::

        from wagtail_outbound import rollups
        rollups.rebuild()

    ``only`` names the roll-ups to rebuild, by model name.
    """
    from .models import DailyClicks

    using = using or DailyClicks.objects.db
    connection = connections[using]
    counters = DailyClicks.objects.using(using)
    chosen = [model for model in ROLLUPS if only is None or model.__name__ in only]
    truncate = {Span.DAY: F("day"), Span.MONTH: TruncMonth("day")}
    truncate[Span.YEAR] = TruncYear("day")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for model in chosen:
            model.objects.using(using).all().delete()
            keys = list(model.counted_by)
            lookups = {
                name: F(lookup)
                for name, lookup in model.counted_by.items()
                if name != lookup
            }
            for span, days, period in _periods(model, counters, truncate):
                rows = (
                    days.annotate(period=period, **lookups)
                    .values("site_id", *keys, "period")
                    .annotate(total=Sum("clicks"), span_value=Value(span))
                    .values_list("site_id", *keys, "span_value", "period", "total")
                    .order_by()
                )
                # Compiled for the click database, not the default one.
                sql, params = rows.query.get_compiler(using=using).as_sql()
                names = ", ".join([*columns(model), "clicks"])
                cursor.execute(
                    f"INSERT INTO {model._meta.db_table} ({names}) {sql}",
                    params,
                )


def _periods(model, counters, truncate):
    """``(span, counters, first day)`` to sum for each span of ``model``:
    every counter at once where SQL can truncate a day to its period; for
    dekads, which no database function knows, one statement per dekad."""
    for span in model.spans:
        if span in truncate:
            yield span, counters, truncate[span]
            continue
        bounds = counters.aggregate(first=Min("day"), last=Max("day"))
        if bounds["first"] is None:
            continue
        first = span.first_day(bounds["first"])
        while first <= bounds["last"]:
            following = span.following(first)
            days = counters.filter(day__gte=first, day__lt=following)
            yield span, days, Value(first, output_field=models.DateField())
            first = following


def prune(model, site_id, first_kept):
    """Keep ``model`` equal to the sum of a site's counters left once those
    before ``first_kept`` are deleted; returns the rows deleted.

    Rows of periods wholly before the cut-off go; the month and the year the
    cut-off falls in lose exactly the clicks of their pruned days, by a
    decrement that commutes with clicks being recorded at the same time.
    """
    from .models import DailyClicks

    deleted = 0
    for span in model.spans:
        first = span.first_day(first_kept)
        rows = model.objects.filter(site_id=site_id, span=span)
        deleted += _deleted(rows.filter(day__lt=first))
        if first == first_kept:
            continue
        old = DailyClicks.objects.filter(
            site_id=site_id, day__gte=first, day__lt=first_kept
        )
        keys = model.counted_by
        derived = {name: F(lookup) for name, lookup in keys.items() if name != lookup}
        pruned = (
            old.annotate(**derived).values(*keys).annotate(pruned=Sum("clicks"))
            if keys
            else [old.aggregate(pruned=Sum("clicks", default=0))]
        )
        for row in pruned:
            pruned_clicks = row.pop("pruned")
            rows.filter(day=first, **row).update(clicks=F("clicks") - pruned_clicks)
        deleted += _deleted(rows.filter(day=first, clicks__lte=0))
    return deleted


def _deleted(queryset):
    return queryset.delete()[1].get(queryset.model._meta.label, 0)
