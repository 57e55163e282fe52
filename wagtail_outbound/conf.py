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
    # Name of the Django cache used for rate limits.
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
    # IPv6 clients are rate-limited by network, not by address: a home or a
    # server usually holds a whole /64 and can pick a fresh address in it at
    # will. 128 counts every IPv6 address on its own.
    "WAGTAIL_OUTBOUND_RATE_LIMIT_IPV6_PREFIX": 64,
    # After the rate-limit cache fails, beacons are accepted unthrottled
    # without asking the cache for this many seconds, then it is tried again
    # (one warning is logged per interval).
    "WAGTAIL_OUTBOUND_RATE_LIMIT_CACHE_RETRY_SECONDS": 30,
    # New keys a site's clicks may create per day; beyond, clicks count under
    # an "other" row (see wagtail_outbound.budget and docs/operations.md).
    "WAGTAIL_OUTBOUND_MAX_NEW_LINKS_PER_DAY": 1000,
    "WAGTAIL_OUTBOUND_MAX_NEW_SOURCES_PER_DAY": 1000,
    "WAGTAIL_OUTBOUND_MAX_NEW_LABELS_PER_DAY": 50,
    "WAGTAIL_OUTBOUND_MAX_NEW_COUNTERS_PER_DAY": 20000,
    # Web requests count pending clicks when the oldest is this many seconds
    # old (in a background thread of the process); the reports and ``stats``
    # count them before reading. False: only a worker counts them (the
    # ``outbound_aggregate`` command or the ``aggregate_outbound_clicks`` task).
    "WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST": True,
    "WAGTAIL_OUTBOUND_AGGREGATE_SECONDS": 2,
    # Pending clicks counted per transaction.
    "WAGTAIL_OUTBOUND_AGGREGATE_BATCH": 2000,
    # A database alias of its own for the click tables (see
    # wagtail_outbound.routers); None keeps them in the default database.
    "WAGTAIL_OUTBOUND_DATABASE": None,
    # Seconds a process keeps sites and their tracking settings before it
    # reads them again: a settings change applies everywhere within this.
    "WAGTAIL_OUTBOUND_CONFIG_SECONDS": 2,
    # The link checker (wagtail_outbound.health, docs/links.md). A link that
    # is OK or redirected is checked again after this many days; one clicked
    # in the last 30 days, or broken, blocked or unknown, after the second.
    "WAGTAIL_OUTBOUND_LINK_CHECK_INTERVAL_DAYS": 7,
    "WAGTAIL_OUTBOUND_LINK_CHECK_CLICKED_INTERVAL_DAYS": 1,
    # Seconds to connect and, separately, to wait for the response headers.
    "WAGTAIL_OUTBOUND_LINK_CHECK_TIMEOUT": 10,
    # Seconds between two requests to the same host (one at a time per host).
    "WAGTAIL_OUTBOUND_LINK_CHECK_HOST_DELAY": 1.0,
    # Hosts checked in parallel, each by one thread.
    "WAGTAIL_OUTBOUND_LINK_CHECK_WORKERS": 4,
    # The checker runs on the server: by default it never connects to a
    # loopback, private, link-local or otherwise non-public address.
    "WAGTAIL_OUTBOUND_LINK_CHECK_ALLOW_PRIVATE": False,
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
