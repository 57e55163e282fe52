"""Per-client rate limit of the collect endpoint, kept in Django's cache.

Fixed windows: each client address gets one counter per window, created with
``cache.add`` and raised with ``cache.incr``, which are atomic on Redis,
Memcached and the local-memory cache. The counter's key is a keyed hash of the
address and the window number, so it cannot be linked to the address nor to
the same client's key in the next window, and it expires with its window. The
address is never written to the database.
"""

import logging
import math
import re
import time

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

from . import conf

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_now = time.time


def parse_rate(value):
    """Return ``(count, seconds)`` for "60/m", "10/30s" or ``(count, seconds)``.

    ``None`` means no limit and is returned unchanged.
    """
    if value is None:
        return None
    if isinstance(value, str):
        match = _RATE_RE.match(value)
        if not match:
            raise ImproperlyConfigured(
                f"WAGTAIL_OUTBOUND_RATE_LIMIT: {value!r} is not like '60/m'."
            )
        count, multiple, unit = match.groups()
        count, seconds = int(count), int(multiple or 1) * PERIODS[unit]
    else:
        try:
            count, seconds = (int(part) for part in value)
        except (TypeError, ValueError):
            raise ImproperlyConfigured(
                "WAGTAIL_OUTBOUND_RATE_LIMIT must be like '60/m' or (60, 60)."
            ) from None
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(
            "WAGTAIL_OUTBOUND_RATE_LIMIT needs a positive count and period."
        )
    return count, seconds


def client_address(request):
    """The visitor's address, read from the proxy header when one is configured.

    Every proxy appends the address it received the request from to
    ``X-Forwarded-For``; entries further left than the trusted proxies were
    written by the client and can be forged, so they are not used.
    """
    header = conf.get("WAGTAIL_OUTBOUND_CLIENT_IP_HEADER")
    if header:
        entries = [
            entry.strip()
            for entry in request.headers.get(header, "").split(",")
            if entry.strip()
        ]
        if entries:
            proxies = max(1, int(conf.get("WAGTAIL_OUTBOUND_TRUSTED_PROXIES")))
            return entries[-min(proxies, len(entries))]
    return request.META.get("REMOTE_ADDR", "")


def _key(address, seconds, window):
    digest = salted_hmac(
        "wagtail_outbound.ratelimit", f"{seconds}:{window}:{address}"
    ).hexdigest()
    return f"wagtail_outbound:rate:{window}:{digest[:32]}"


def retry_after(request, now=None):
    """Count this request against its client's limit.

    Returns 0 while the client is within the limit, otherwise the number of
    seconds until its window ends (for the ``Retry-After`` header).
    """
    rate = parse_rate(conf.get("WAGTAIL_OUTBOUND_RATE_LIMIT"))
    if rate is None:
        return 0
    limit, seconds = rate
    now = _now() if now is None else now
    window = int(now // seconds)
    remaining = math.ceil((window + 1) * seconds - now)
    key = _key(client_address(request), seconds, window)
    cache = caches[conf.get("WAGTAIL_OUTBOUND_CACHE")]
    try:
        try:
            count = cache.incr(key)
        except ValueError:  # the client's first request in this window
            if cache.add(key, 1, remaining + 1):
                return 0
            count = cache.incr(key)  # another app server created it meanwhile
    except Exception:
        # A cache outage must not stop the endpoint: count the click unthrottled.
        logger.warning("wagtail-outbound rate limit cache unavailable", exc_info=True)
        return 0
    return max(1, remaining) if count > limit else 0
