"""Deleting click history older than each site's retention setting.

Used by the ``outbound_prune`` management command and the
``prune_outbound_history`` task. Every table of counters (any model of this
app with a ``site`` and a ``day``) is pruned with the same cut-off, so totals
and roll-ups keep agreeing; links and source pages that no row refers to any
more are deleted as well.

A retention longer than the calendar can count back from today (a value
stored before the settings form bounded it) keeps everything of that site and
logs a warning; it never stops the other sites from being pruned.
"""

import datetime
import logging

from django.apps import apps
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from . import periods, rollups

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 365
# A link this new may belong to a click being recorded at this very moment.
ORPHAN_GRACE = datetime.timedelta(days=1)


def counter_models():
    """Every model of this app that holds counters per site and day."""
    found = []
    for model in apps.get_app_config("wagtail_outbound").get_models():
        fields = {f.name: f for f in model._meta.get_fields()}
        if isinstance(fields.get("site"), models.ForeignKey) and isinstance(
            fields.get("day"), models.DateField
        ):
            found.append(model)
    return found


def retention_by_site():
    """``{site_id: retention_days}`` for every site; 365 days when unset."""
    from wagtail.models import Site

    from .models import OutboundSettings

    configured = dict(OutboundSettings.objects.values_list("site_id", "retention_days"))
    return {
        site_id: configured.get(site_id) or DEFAULT_RETENTION_DAYS
        for site_id in Site.objects.values_list("pk", flat=True)
    }


def first_kept_day(today, retention_days):
    """Keeping 365 days keeps today and the 365 days before it.

    A retention reaching back before 1 January of year 1 (the first day
    Python can represent) keeps everything: ``datetime.date.min``."""
    if retention_days >= (today - datetime.date.min).days:
        return datetime.date.min
    return today - datetime.timedelta(days=retention_days)


# Rows that describe the row they point to and never keep it.
DEPENDENTS = {"wagtail_outbound.LinkCheck"}


def unreferenced(model):
    """Rows of ``model`` that no row of any other model points to (including
    relations declared with ``related_name="+"``), except facts about the row
    itself (``DEPENDENTS``: a link's health), which go with it."""
    queryset = model.objects.all()
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete):
            continue
        if not (relation.one_to_many or relation.one_to_one):
            continue
        if relation.related_model._meta.label in DEPENDENTS:
            continue
        referring = relation.related_model.objects.filter(
            **{relation.field.name: OuterRef("pk")}
        )
        queryset = queryset.filter(~Exists(referring))
    return queryset


def _deleted(queryset):
    return queryset.delete()[1].get(queryset.model._meta.label, 0)


def prune(*, today=None, dry_run=False):
    """Delete counters older than each site's retention, then orphaned rows.

    Returns ``{model label: rows deleted}``. Idempotent: a second run deletes
    nothing. With ``dry_run`` the same work is done in a transaction that is
    rolled back, so the counts are exactly what a real run would delete.
    """
    from .models import Link, SourcePage

    today = today or periods.today()
    counts = {}
    with transaction.atomic(using=SourcePage.objects.db):  # the click database
        retention = retention_by_site()
        for site_id, days in list(retention.items()):
            if first_kept_day(today, days) == datetime.date.min:
                logger.warning(
                    "Site %s keeps %s days of outbound click history, more than "
                    "the calendar holds: nothing of it is pruned. Set a retention "
                    "of at most 3650 days in its Outbound link tracking settings.",
                    site_id,
                    days,
                )
                del retention[site_id]
        tables = counter_models()
        # Roll-ups first: they are corrected from the counters about to go.
        tables.sort(key=lambda model: model not in rollups.ROLLUPS)
        for model in tables:
            counts[model._meta.label] = 0
            for site_id, days in retention.items():
                first_kept = first_kept_day(today, days)
                counts[model._meta.label] += (
                    rollups.prune(model, site_id, first_kept)
                    if model in rollups.ROLLUPS
                    else _deleted(
                        model.objects.filter(site_id=site_id, day__lt=first_kept)
                    )
                )
        counts[SourcePage._meta.label] = _deleted(unreferenced(SourcePage))
        counts[Link._meta.label] = _deleted(
            unreferenced(Link).filter(created_at__lt=timezone.now() - ORPHAN_GRACE)
        )
        if dry_run:
            transaction.set_rollback(True, using=SourcePage.objects.db)
    return counts
