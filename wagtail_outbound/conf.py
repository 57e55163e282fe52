"""The one place where wagtail-outbound reads Django settings.

Every setting is optional; the defaults below are documented in the README.
"""

from django.conf import settings
from django.core.signals import setting_changed

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
    # Beacons accepted per client address: "60/m", "1000/h", "10/30s" or
    # (count, seconds); None turns the limit off. Use a cache shared by every
    # app server (Redis, Memcached) so the limit holds across them.
    "WAGTAIL_OUTBOUND_RATE_LIMIT": "60/m",
    # Header holding the client address set by a reverse proxy, such as
    # "X-Forwarded-For" or "X-Real-IP"; None uses REMOTE_ADDR.
    "WAGTAIL_OUTBOUND_CLIENT_IP_HEADER": None,
    # Number of proxies in front of Django that append to that header; the
    # client address is the entry this many places from the right.
    "WAGTAIL_OUTBOUND_TRUSTED_PROXIES": 1,
    # Opt-in write buffer: each server process holds up to this many clicks
    # (0: off, every click is written before the answer) ...
    "WAGTAIL_OUTBOUND_BUFFER_CLICKS": 0,
    # ... for at most this many seconds, then writes them in one go. A crash
    # loses what is held; a graceful stop writes it (see docs/benchmarks.md).
    "WAGTAIL_OUTBOUND_BUFFER_SECONDS": 2,
}


# Read once per process: the collect endpoint asks for several settings on
# every request, and a setting left at its default costs a failed lookup on
# Django's lazy settings each time. Changes made the supported way
# (override_settings, pytest-django's ``settings``) send ``setting_changed``.
_values = {}


def get(name):
    """Return the value of a wagtail-outbound setting, or its default."""
    try:
        return _values[name]
    except KeyError:
        value = _values[name] = getattr(settings, name, DEFAULTS[name])
        return value


def _forget(*, setting, **kwargs):
    _values.pop(setting, None)


setting_changed.connect(_forget, dispatch_uid="wagtail_outbound.conf")
