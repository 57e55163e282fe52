from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailOutboundAppConfig(AppConfig):
    name = "wagtail_outbound"
    label = "wagtail_outbound"
    verbose_name = _("Outbound links")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers checks and receivers)

        signals.connect_page_deletion()
