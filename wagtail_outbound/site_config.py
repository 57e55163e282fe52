"""Per-site tracking configuration, cached so page views cost no query."""

import logging
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


def _key(site_id):
    return f"wagtail_outbound:config:{site_id}"


_SITES_KEY = "wagtail_outbound:sites"
# Bounds the host map: with ALLOWED_HOSTS = ["*"] any Host header reaches us.
MAX_CACHED_HOSTS = 256


def site_for_request(request):
    """Wagtail's ``Site.find_for_request``, without its query on every request.

    Pages served by Wagtail already carry their site; plain Django views using
    the template tag get it from a cached host map, invalidated when a site is
    saved or deleted.
    """
    from wagtail.models import Site

    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    try:
        key = f"{request._get_raw_host()}|{request.get_port()}"
    except Exception:  # a malformed Host header: let Wagtail decide
        return Site.find_for_request(request)
    hosts = _cache_call("get", _SITES_KEY) or {}
    if key in hosts:
        return hosts[key]
    site = Site.find_for_request(request)
    if len(hosts) < MAX_CACHED_HOSTS:
        _cache_call(
            "set",
            _SITES_KEY,
            {**hosts, key: site},
            conf.get("WAGTAIL_OUTBOUND_CONFIG_CACHE_SECONDS"),
        )
    return site


def forget_sites():
    _cache_call("delete", _SITES_KEY)


def config_for_site(site):
    """Return the ``SiteConfig`` of a Wagtail ``Site`` (defaults when unset)."""
    if site is None:
        return SiteConfig()
    config = _cache_call("get", _key(site.pk))
    if config is None:
        from .models import OutboundSettings

        settings = OutboundSettings.objects.filter(site_id=site.pk).first()
        config = SiteConfig.from_settings(settings) if settings else SiteConfig()
        _cache_call(
            "set",
            _key(site.pk),
            config,
            conf.get("WAGTAIL_OUTBOUND_CONFIG_CACHE_SECONDS"),
        )
    return config


def forget_site(site_id):
    """Drop the cached configuration so the next page view sees a change."""
    _cache_call("delete", _key(site_id))
