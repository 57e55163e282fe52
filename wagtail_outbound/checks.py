"""System checks that tell an integrator exactly what is missing."""

from django.apps import apps
from django.core.checks import Error, Tags, register
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

URL_LINE = "path('outbound/', include('wagtail_outbound.urls')),"


@register(Tags.urls)
def check_urls_included(app_configs=None, **kwargs):
    from .views.collect import collect

    try:
        path = reverse("wagtail_outbound:collect")
    except NoReverseMatch:
        return [
            Error(
                "wagtail-outbound's collect endpoint is not in your URLconf.",
                hint=f"Add {URL_LINE} to urls.py, before Wagtail's own URLs.",
                id="wagtail_outbound.E001",
            )
        ]
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    if match is None or match.func is not collect:
        return [
            Error(
                f"wagtail-outbound's URLs are shadowed: {path} does not reach them.",
                hint=f"Move {URL_LINE} above include(wagtail_urls) in urls.py.",
                id="wagtail_outbound.E002",
            )
        ]
    return []


@register()
def check_required_apps(app_configs=None, **kwargs):
    required = {
        "wagtail.contrib.settings": "wagtailsettings",
        "django_tables2": "django_tables2",
    }
    return [
        Error(
            f"wagtail-outbound needs '{name}' in INSTALLED_APPS.",
            hint=f"Add '{name}' to INSTALLED_APPS.",
            id="wagtail_outbound.E003",
        )
        for name, label in required.items()
        if not apps.is_installed(name)
    ]
