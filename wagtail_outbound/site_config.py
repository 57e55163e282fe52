"""Per-site tracking configuration, cached so page views cost no query."""

import logging
import uuid
from dataclasses import dataclass

from django.core.cache import caches

from . import conf
from .domains import matches_any, parse_domain_list, site_hosts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteConfig:
    enabled: bool = True
    internal_domains: tuple = ()
    excluded_domains: tuple = ()
    query_strings: str = "keep"
    dropped_parameters: tuple = ()
    respect_privacy_signals: bool = True
    retention_days: int = 365

    @classmethod
    def from_settings(cls, settings):
        return cls(
            enabled=settings.enabled,
            internal_domains=_patterns(settings.internal_domains),
            excluded_domains=_patterns(settings.excluded_domains),
            query_strings=settings.query_strings,
            dropped_parameters=tuple(settings.dropped_parameters.split()),
            respect_privacy_signals=settings.respect_privacy_signals,
            retention_days=settings.retention_days,
        )

    def is_internal(self, host, site_hostname):
        return host in site_hosts(site_hostname) or matches_any(
            host, self.internal_domains
        )

    def is_excluded(self, host):
        return matches_any(host, self.excluded_domains)


def _patterns(text):
    try:
        return parse_domain_list(text)
    except Exception:  # saved before validation existed: skip, never fail a request
        return ()


def _cache():
    return caches[conf.get("WAGTAIL_OUTBOUND_CACHE")]


# The cache only saves queries: when it is unreachable, pages and the endpoint
# read the database instead of failing.
def _cache_call(method, *args):
    try:
        return getattr(_cache(), method)(*args)
    except Exception:
        logger.warning("wagtail-outbound: cache %s failed", method, exc_info=True)
        return None


# Each process keeps what it read (sites, settings) in memory while the shared
# generation key is unchanged: one small cache read per request instead of
# unpickling a site and its settings. Saving a site or its settings deletes the
# key, so every process reads the database again on its next request.
_GENERATION_KEY = "wagtail_outbound:generation"
# Bounds the host map: with ALLOWED_HOSTS = ["*"] any Host header reaches us.
MAX_CACHED_HOSTS = 256


class _Memo:
    generation = None
    objects = {}
    hosts = 0


def snapshot():
    """This process's objects for the current generation, or a throwaway
    dictionary when the cache cannot tell (unreachable, or a race). Pass it
    to :func:`site_for_request` and :func:`config_for_site` to check the
    generation once for both."""
    generation = _cache_call("get", _GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        timeout = conf.get("WAGTAIL_OUTBOUND_CONFIG_CACHE_SECONDS")
        if not _cache_call("add", _GENERATION_KEY, generation, timeout):
            return {}
    if _Memo.generation != generation:
        # Replaced, never cleared: a thread still reading the old one is safe.
        _Memo.generation, _Memo.objects, _Memo.hosts = generation, {}, 0
    return _Memo.objects


def site_for_request(request, memo=None):
    """Wagtail's ``Site.find_for_request``, without its query on every request.

    Pages served by Wagtail already carry their site; the endpoint and plain
    Django views using the template tag get it from the host map, invalidated
    when a site is saved or deleted.
    """
    from wagtail.models import Site

    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    try:
        key = ("host", request._get_raw_host(), request.get_port())
    except Exception:  # a malformed Host header: let Wagtail decide
        return Site.find_for_request(request)
    if memo is None:
        memo = snapshot()
    if key in memo:
        return memo[key]
    site = Site.find_for_request(request)
    if _Memo.hosts < MAX_CACHED_HOSTS:
        _Memo.hosts += 1
        memo[key] = site
    return site


def config_for_site(site, memo=None):
    """Return the ``SiteConfig`` of a Wagtail ``Site`` (defaults when unset)."""
    if site is None:
        return SiteConfig()
    if memo is None:
        memo = snapshot()
    key = ("config", site.pk)
    if key not in memo:
        from .models import OutboundSettings

        settings = OutboundSettings.objects.filter(site_id=site.pk).first()
        memo[key] = SiteConfig.from_settings(settings) if settings else SiteConfig()
    return memo[key]


def forget():
    """Make every process read sites and settings again on its next request."""
    _cache_call("delete", _GENERATION_KEY)
