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


# The apps wagtail-outbound needs beside it, and what for.
REQUIRED_APPS = {
    "wagtail.contrib.settings": "its per-site settings",
    "django_tables2": "its reports",
}


@register()
def check_required_apps(app_configs=None, **kwargs):
    # Most Wagtail projects already list wagtail.contrib.settings: a second
    # entry would stop Django before any check runs, so the hint says "once".
    return [
        Error(
            f"wagtail-outbound needs '{name}' in INSTALLED_APPS for {purpose}.",
            hint=(
                f"Add '{name}' to INSTALLED_APPS if it is not present. List it "
                'once: an app listed twice stops Django with "Application labels '
                "aren't unique\"."
            ),
            id="wagtail_outbound.E003",
        )
        for name, purpose in REQUIRED_APPS.items()
        if not apps.is_installed(name)
    ]
