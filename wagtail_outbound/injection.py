"""Adds the tracker's ``<script>`` tag to pages. No database query per request:
the site is already cached on the request by Wagtail and its configuration is
cached by :mod:`wagtail_outbound.site_config`."""

import functools
import re

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.response import SimpleTemplateResponse
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .domains import site_hosts
from .site_config import config_for_site, site_for_request

# Present in every tag we render; in a script tag of a response, it means
# "already added" (the template tag was used). Page text may mention it freely.
MARKER = "data-outbound-collect"
_RENDERED_TAG = re.compile(rb"<script\b[^>]*\s" + MARKER.encode(), re.IGNORECASE)
HTML_TYPES = ("text/html", "application/xhtml+xml")


def tracker_tag(request, page=None):
    """Return the ``<script>`` tag for this request, or ``""`` when this page
    must not be tracked (preview, page switch off, tracking off for the site)."""
    if request is None or getattr(request, "is_preview", False):
        return ""
    if page is not None and not getattr(page, "track_outbound_clicks", True):
        return ""
    site = site_for_request(request)
    config = config_for_site(site)
    if not config.enabled:
        return ""
    internal = (*site_hosts(site.hostname), *config.internal_domains) if site else ()
    try:
        src, collect_url = _urls(get_urlconf(), get_script_prefix())
    except NoReverseMatch:  # URLs not included: check E001 says so, pages still work
        return ""
    attrs = {
        "src": src,
        MARKER: collect_url,
        "data-outbound-page": page.pk if page is not None else None,
        "data-outbound-internal": " ".join(internal) or None,
        "data-outbound-exclude": " ".join(config.excluded_domains) or None,
        "data-outbound-dnt": None if config.respect_privacy_signals else "0",
        "nonce": _csp_nonce(request),
    }
    # Every page view renders this tag: joined directly, every value escaped,
    # which costs a fraction of flatatt's format_html per attribute.
    html = "".join(
        f' {name}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not None
    )
    return mark_safe(f"<script defer{html}></script>")  # noqa: S308


@functools.lru_cache(maxsize=16)
def _urls(urlconf, prefix):
    """The script's and the endpoint's URLs: the same for every page view, and
    reversing a URL among Wagtail's hundreds of patterns costs 0.1 ms."""
    return (
        static("wagtail_outbound/tracker.min.js"),
        reverse("wagtail_outbound:collect", urlconf=urlconf),
    )


@receiver(setting_changed)
def _forget_urls(**kwargs):
    # Tests change URLconfs and storages; production settings never change.
    _urls.cache_clear()


def _csp_nonce(request):
    """The nonce django-csp (or a similar middleware) exposes as ``request.csp_nonce``.

    django-csp's lazy nonce is falsy until read, and reading it is what adds the
    nonce to the response header, so it is converted with ``str()``, not ``bool()``.
    """
    nonce = getattr(request, "csp_nonce", None)
    return str(nonce) if nonce is not None else None


def is_html(response):
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type in HTML_TYPES


def insert_tag(response, tag):
    """Insert ``tag`` right before the last ``</body>`` of a rendered response."""
    content = response.content
    if not tag or _RENDERED_TAG.search(content):
        return response
    position = content.lower().rfind(b"</body>")
    if position == -1:
        return response
    response.content = (
        content[:position] + tag.encode(response.charset) + content[position:]
    )
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response


def add_tracker(response, request, page):
    """Add the tracker to an HTML response served for ``page``."""
    if (
        getattr(response, "streaming", False)
        or not is_html(response)
        or response.has_header("Content-Encoding")  # already compressed
    ):
        return response
    tag = tracker_tag(request, page)
    if not tag:
        return response
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.add_post_render_callback(lambda rendered: insert_tag(rendered, tag))
        return response
    return insert_tag(response, tag)


def serve_with_tracker(next_serve):
    """``on_serve_page`` hook factory: wraps Wagtail's serve chain."""

    def serve(page, request, serve_args, serve_kwargs):
        response = next_serve(page, request, serve_args, serve_kwargs)
        if response is None:
            return response
        return add_tracker(response, request, page)

    return serve
