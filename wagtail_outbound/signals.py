from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Site

from .models import (
    ROLLUPS,
    DailyClicks,
    Label,
    NewKeys,
    OutboundSettings,
    PendingClick,
    SourcePage,
)
from .site_config import forget


@receiver(post_save, sender=OutboundSettings)
@receiver(post_delete, sender=OutboundSettings)
@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def forget_cached_config(sender, instance, **kwargs):
    forget()


@receiver(post_delete, sender=Site)
def delete_clicks_of_deleted_site(sender, instance, **kwargs):
    """The click tables point at sites without a database constraint (they may
    live in a database of their own), so a deleted site's rows go here."""
    using = DailyClicks.objects.db
    with transaction.atomic(using=using):
        for model in (*ROLLUPS, DailyClicks, SourcePage, Label, NewKeys, PendingClick):
            model.objects.using(using).filter(site_id=instance.pk).delete()
