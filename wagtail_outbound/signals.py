from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Site

from .models import OutboundSettings
from .site_config import forget_site, forget_sites


@receiver(post_save, sender=OutboundSettings)
@receiver(post_delete, sender=OutboundSettings)
def forget_cached_config(sender, instance, **kwargs):
    forget_site(instance.site_id)


@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def forget_cached_sites(sender, instance, **kwargs):
    forget_sites()
