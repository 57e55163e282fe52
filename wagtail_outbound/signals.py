import functools

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from .models import (
    ROLLUPS,
    DailyClicks,
    Label,
    NewKeys,
    OutboundSettings,
    PendingClick,
    Placement,
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
        for model in (
            *ROLLUPS,
            DailyClicks,
            SourcePage,
            Label,
            NewKeys,
            PendingClick,
            Placement,
        ):
            model.objects.using(using).filter(site_id=instance.pk).delete()


# The link inventory follows the pages: each change re-reads the page in the
# background (the tasks framework; its immediate backend by default), once
# the change is committed so the task sees it.
def refresh_links(page_id, *, moved=False):
    from .tasks import refresh_page_links

    transaction.on_commit(
        functools.partial(refresh_page_links.enqueue, page_id, moved),
        robust=True,  # the inventory must never fail an editor's action
    )


@receiver(page_published)
@receiver(page_unpublished)
def refresh_links_of_page(sender, instance, **kwargs):
    refresh_links(instance.pk)


@receiver(post_page_move)
def refresh_links_of_moved_page(sender, instance, **kwargs):
    refresh_links(instance.pk, moved=True)


def forget_links_of_deleted_page(sender, instance, **kwargs):
    refresh_links(instance.pk)


def connect_page_deletion():
    """Deleting a page deletes its row of the base page model, once a page."""
    from .sources import page_model

    post_delete.connect(
        forget_links_of_deleted_page,
        sender=page_model(),
        dispatch_uid="wagtail_outbound_page_deleted",
    )
