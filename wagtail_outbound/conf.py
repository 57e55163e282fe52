"""The one place where wagtail-outbound reads Django settings.

Every setting is optional; the defaults below are documented in the README.
"""

from django.conf import settings

DEFAULTS = {
    # Largest beacon body accepted by the collect endpoint, in bytes.
    "WAGTAIL_OUTBOUND_MAX_BODY_BYTES": 4096,
    # Longest target URL accepted, in characters.
    "WAGTAIL_OUTBOUND_MAX_URL_LENGTH": 2048,
    # Ignore clicks from bots, detected by user agent (never stored).
    "WAGTAIL_OUTBOUND_IGNORE_BOTS": True,
    # Seconds the per-site configuration is cached (it is also invalidated on save).
    "WAGTAIL_OUTBOUND_CONFIG_CACHE_SECONDS": 300,
    # Name of the Django cache used for site configuration and rate limits.
    "WAGTAIL_OUTBOUND_CACHE": "default",
}


def get(name):
    """Return the value of a wagtail-outbound setting, or its default."""
    return getattr(settings, name, DEFAULTS[name])
