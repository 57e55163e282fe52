from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import OutboundSettings
from .site_config import forget_site


@receiver(post_save, sender=OutboundSettings)
@receiver(post_delete, sender=OutboundSettings)
def forget_cached_config(sender, instance, **kwargs):
    forget_site(instance.site_id)
