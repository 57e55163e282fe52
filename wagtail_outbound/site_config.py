"""Per-site tracking configuration, kept in memory so page views cost no query."""

import time
from dataclasses import dataclass

from . import conf
from .domains import matches_any, parse_domain_list, site_hosts
from .urlnorm import clean_query


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

    def stored_url(self, url):
        """``url`` (normalised) with the query parameters this site drops:
        what a click on it stores, and what the link inventory records."""
        return clean_query(
            url,
            drop_all=self.query_strings == "drop_all",
            dropped=self.dropped_parameters
            if self.query_strings == "drop_listed"
            else (),
        )


def _patterns(text):
    try:
        return parse_domain_list(text)
    except Exception:  # saved before validation existed: skip, never fail a request
        return ()


# Each process keeps the sites and settings it read in memory for
# ``WAGTAIL_OUTBOUND_CONFIG_SECONDS`` (2 by default), then reads them again:
# a few queries per process every two seconds instead of one per request, and
# a settings change applies in every process within that time, whatever the
# cache backend (a per-process cache cannot tell other processes of a save).
# Bounds the host map: with ALLOWED_HOSTS = ["*"] any Host header reaches us.
MAX_CACHED_HOSTS = 256


class _Memo:
    until = 0.0
    objects = {}
    hosts = 0


def snapshot():
    """This process's sites and settings, read again once they are
    ``WAGTAIL_OUTBOUND_CONFIG_SECONDS`` old. Pass it to
    :func:`site_for_request` and :func:`config_for_site`."""
    now = time.monotonic()
    if now >= _Memo.until:
        # Replaced, never cleared: a thread still reading the old one is safe.
        _Memo.objects, _Memo.hosts = {}, 0
        _Memo.until = now + conf.get("WAGTAIL_OUTBOUND_CONFIG_SECONDS")
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
    """Read sites and settings again on this process's next request (other
    processes do within ``WAGTAIL_OUTBOUND_CONFIG_SECONDS``)."""
    _Memo.until = 0.0
