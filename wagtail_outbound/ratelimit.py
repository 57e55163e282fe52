"""Per-client rate limit of the collect endpoint, kept in Django's cache.

**Who is a client.** The address (``REMOTE_ADDR``, or the configured proxy
header) is parsed with :mod:`ipaddress`: ports, brackets, zone identifiers and
quotes are dropped, an IPv4-mapped IPv6 address counts as its IPv4 address and
every spelling of an IPv6 address as the same one. An IPv6 client is counted
by its network (``WAGTAIL_OUTBOUND_RATE_LIMIT_IPV6_PREFIX``, /64 by default:
one home or one server usually gets a whole /64, and picking a fresh address
in it is free). Anything that is not an address counts as one shared client,
"unknown", so garbage in a header cannot mint fresh allowances. Only the end
of a proxy header is read, whatever its length.

**Sliding window.** Each client has a counter per window, created with
``cache.add`` and raised with ``cache.incr`` (atomic on Redis, Memcached and
the local-memory cache). A request is accepted while the previous window's
count, weighted by the part of it still inside the last ``period`` seconds,
plus the current window's count stays within the limit, as Cloudflare's
limiter estimates it. So a burst across a window boundary cannot reach twice
the limit, as it could with fixed windows. Refused requests count too: a client
that keeps sending over the limit stays refused until it slows down.

The counter's key is a keyed hash of the client and the window number, so it
cannot be linked to the address nor to the same client's key in another
window; it expires one window after its own. Nothing is written to the
database.

**Cache failures.** If the cache raises (unreachable, timed out), clicks are
counted unthrottled, and the cache is not asked again for
``WAGTAIL_OUTBOUND_RATE_LIMIT_CACHE_RETRY_SECONDS``: the requests meanwhile do
not wait for the cache's time-outs again. One warning line is logged per
interval, not one traceback per request. The wait of the request that meets
the failure is bounded by the cache client's own time-outs (see the README).
"""

import ipaddress
import logging
import math
import re
import threading
import time

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.crypto import salted_hmac

from . import conf

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_now = time.time  # wall clock: windows are shared by every app server
_clock = time.monotonic  # this process's circuit breaker

#: The client every unparsable address counts as.
UNKNOWN = "unknown"
#: Characters read from the end of the proxy header; a chain of 20 IPv6
#: proxies fits. Entries further left are the client's own and never used.
MAX_HEADER_CHARS = 1024
#: Longest entry parsed: a bracketed IPv6 address with a zone and a port.
MAX_ENTRY_CHARS = 100


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


def _ipv6_prefix():
    prefix = conf.get("WAGTAIL_OUTBOUND_RATE_LIMIT_IPV6_PREFIX")
    if (
        isinstance(prefix, bool)
        or not isinstance(prefix, int)
        or not 0 <= prefix <= 128
    ):
        raise ImproperlyConfigured(
            "WAGTAIL_OUTBOUND_RATE_LIMIT_IPV6_PREFIX must be an integer from 0 to 128."
        )
    return prefix


def normalise_address(value):
    """The address in one proxy-header entry or ``REMOTE_ADDR``, or None.

    Accepts ``1.2.3.4``, ``1.2.3.4:5678``, ``2001:db8::1``, ``[2001:db8::1]``,
    ``[2001:db8::1]:443``, zone identifiers (``fe80::1%eth0``), an RFC 7239
    ``for=`` parameter and quotes; returns the address's one canonical
    spelling, an IPv4-mapped IPv6 address as IPv4.
    """
    value = value.strip()
    if not value or len(value) > MAX_ENTRY_CHARS:
        return None
    if "=" in value:  # RFC 7239: for="[2001:db8::1]:80";proto=https
        value = next(
            (
                part.split("=", 1)[1]
                for part in value.split(";")
                if part.strip().lower().startswith("for=")
            ),
            "",
        ).strip()
    value = value.strip('"').strip()
    if value.startswith("["):
        value, bracket, _port = value[1:].partition("]")
        if not bracket:
            return None
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.partition(":")[0]
    value = value.partition("%")[0]  # zone identifier
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_address(request):
    """The visitor's address, read from the proxy header when one is configured.

    Every proxy appends the address it received the request from to
    ``X-Forwarded-For``; entries further left than the trusted proxies were
    written by the client and can be forged, so they are not used. Returns the
    canonical spelling of the address, or ``UNKNOWN``.
    """
    meta = request.META
    header = conf.get("WAGTAIL_OUTBOUND_CLIENT_IP_HEADER")
    if header:
        value = meta.get("HTTP_" + header.upper().replace("-", "_"), "")
        if value:
            if len(value) > MAX_HEADER_CHARS:
                # Only the right end is ever used; drop the entry cut in two.
                value = value[-MAX_HEADER_CHARS:].partition(",")[2]
            entries = [entry for entry in value.split(",") if entry.strip()]
            if not entries:
                return UNKNOWN
            proxies = max(1, int(conf.get("WAGTAIL_OUTBOUND_TRUSTED_PROXIES")))
            entry = entries[-min(proxies, len(entries))]
            return normalise_address(entry) or UNKNOWN
    return normalise_address(meta.get("REMOTE_ADDR") or "") or UNKNOWN


def client_key(address):
    """What the limit counts: the address, or its network for IPv6."""
    if ":" not in address:
        return address  # IPv4 or UNKNOWN
    network = ipaddress.IPv6Network((address, _ipv6_prefix()), strict=False)
    return str(network)


def _key(client, seconds, window):
    digest = salted_hmac(
        "wagtail_outbound.ratelimit", f"{seconds}:{window}:{client}"
    ).hexdigest()
    return f"wagtail_outbound:rate:{window}:{digest[:32]}"


class _Breaker:
    """Skips the cache for a while after it failed, and says so once."""

    def __init__(self):
        self._lock = threading.Lock()
        self.open_until = None  # clock reading until which the cache is skipped

    def is_open(self):
        open_until = self.open_until
        return open_until is not None and _clock() < open_until

    def failed(self, alias, error):
        seconds = conf.get("WAGTAIL_OUTBOUND_RATE_LIMIT_CACHE_RETRY_SECONDS")
        now = _clock()
        with self._lock:
            if self.open_until is not None and now < self.open_until:
                return  # another thread already reported this outage
            self.open_until = now + seconds
        reason = " ".join(str(error).split())[:200]
        logger.warning(
            "wagtail-outbound: rate-limit cache %r failed (%s: %s); clicks are "
            "counted unthrottled, next try in %s s",
            alias,
            type(error).__name__,
            reason,
            seconds,
        )

    def succeeded(self, alias):
        if self.open_until is not None:
            with self._lock:
                if self.open_until is None:
                    return
                self.open_until = None
            logger.info("wagtail-outbound: rate-limit cache %r is back", alias)


_breaker = _Breaker()


def _count(cache, key, timeout):
    """Add this request to a counter and return the counter's value."""
    try:
        return cache.incr(key)
    except ValueError:  # the client's first request in this window
        if cache.add(key, 1, timeout):
            return 1
        return cache.incr(key)  # another app server created it meanwhile


def _seconds_until_room(limit, seconds, elapsed, previous, current):
    """Seconds until one more request fits, if none is sent meanwhile."""
    room = limit - 1 - current  # left in this window for the next request
    if room >= 0 and previous:
        # The previous window's weight falls until it leaves enough room.
        at = seconds - room * seconds / previous
        if at < seconds:
            return at - elapsed
    # In the next window this one's count is the previous one.
    at = max(0.0, seconds - (limit - 1) * seconds / current) if current else 0.0
    return seconds - elapsed + at


def retry_after(request, now=None):
    """Count this request against its client's limit.

    Returns 0 while the client is within the limit, otherwise the number of
    seconds until a request would be accepted again (for ``Retry-After``),
    at most two periods.
    """
    rate = parse_rate(conf.get("WAGTAIL_OUTBOUND_RATE_LIMIT"))
    if rate is None or _breaker.is_open():
        return 0
    limit, seconds = rate
    now = _now() if now is None else now
    window = int(now // seconds)
    elapsed = now - window * seconds
    client = client_key(client_address(request))
    alias = conf.get("WAGTAIL_OUTBOUND_CACHE")
    try:
        cache = caches[alias]
        # Kept until the end of the next window, which reads it as "previous".
        current = _count(
            cache, _key(client, seconds, window), math.ceil(2 * seconds - elapsed) + 1
        )
        previous = 0
        if current <= limit:
            previous = cache.get(_key(client, seconds, window - 1)) or 0
    except Exception as error:
        # A cache outage must not stop the endpoint: count the click unthrottled.
        _breaker.failed(alias, error)
        return 0
    _breaker.succeeded(alias)
    # previous * (seconds - elapsed) / seconds + current <= limit, in products.
    if previous * (seconds - elapsed) + current * seconds <= limit * seconds:
        return 0
    wait = _seconds_until_room(limit, seconds, elapsed, previous, current)
    return max(1, math.ceil(wait - 1e-9))  # not a second more for rounding


def _reset_breaker(*, setting, **kwargs):
    # Another cache (or another retry interval) starts with a clean slate.
    if setting in {
        "CACHES",
        "WAGTAIL_OUTBOUND_CACHE",
        "WAGTAIL_OUTBOUND_RATE_LIMIT_CACHE_RETRY_SECONDS",
    }:
        _breaker.open_until = None


setting_changed.connect(_reset_breaker, dispatch_uid="wagtail_outbound.ratelimit")
