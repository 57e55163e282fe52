from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Site

from .models import OutboundSettings
from .site_config import forget


@receiver(post_save, sender=OutboundSettings)
@receiver(post_delete, sender=OutboundSettings)
@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def forget_cached_config(sender, instance, **kwargs):
    forget()
