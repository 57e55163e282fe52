"""The public endpoint that the tracker posts clicks to.

Answers 204 when a click was stored or deliberately ignored, 400 for an
invalid beacon (or one the database refuses), 403 for a foreign origin or
site, 405 for anything but POST, 413 for a body above the limit, 429 when the
client is over the rate limit and 503 when the database is unavailable.
A click is one row appended to the inbox (``inbox``); which page served it,
and whether that page may be tracked, is decided when it is counted
(``aggregation``). Never sets a cookie and never stores anything about the
visitor.
"""

import dataclasses
import functools
import logging
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, DataError, IntegrityError
from django.http import HttpResponse, JsonResponse
from django.http.request import split_domain_port
from django.views.decorators.csrf import csrf_exempt

from .. import aggregation, conf, inbox, ratelimit, site_config
from ..beacon import BeaconError, parse_beacon
from ..bots import is_bot
from ..domains import normalise_host, site_hosts

logger = logging.getLogger(__name__)


def _error(status, message):
    response = JsonResponse({"error": message}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _no_content():
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


def _request_host(request):
    try:
        return normalise_host(split_domain_port(request.get_host())[0])
    except DisallowedHost:
        return None


# Headers are read from ``request.META``: ``request.headers`` would build a
# dictionary of every header on each request.
def _origin_host(request):
    """Host of the page that sent the beacon: Origin, or Referer without it."""
    origin = request.META.get("HTTP_ORIGIN") or request.META.get("HTTP_REFERER")
    if not origin or origin == "null":
        return None
    try:
        return normalise_host(urlsplit(origin).hostname or "")
    except ValueError:
        return None


def _read_body(request, limit):
    """Read at most ``limit`` bytes; None when the body is larger."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    try:
        body = request.read(limit + 1)
    except OSError:  # the client went away mid-body (UnreadablePostError)
        return b""
    return None if len(body) > limit else body


def _is_ignored(request, config):
    meta = request.META
    if conf.get("WAGTAIL_OUTBOUND_IGNORE_BOTS") and is_bot(
        meta.get("HTTP_USER_AGENT", "")
    ):
        return True
    if config.respect_privacy_signals and (
        meta.get("HTTP_DNT") == "1" or meta.get("HTTP_SEC_GPC") == "1"
    ):
        return True
    return not config.enabled


def _database_errors_answer_503(view):
    """A database that is down, refusing connections or locked anywhere on the
    way (site lookup, settings, the write) answers 503 at once, never 500."""

    @functools.wraps(view)
    def wrapper(request):
        try:
            return view(request)
        except (DataError, IntegrityError):
            # About the data, not an outage (validation should make it rare).
            logger.warning("wagtail-outbound: the database refused a click")
            return _error(400, "invalid click")
        except DatabaseError:
            logger.exception("wagtail-outbound could not reach the database")
            response = _error(503, "temporarily unavailable")
            response["Retry-After"] = "30"
            return response

    return wrapper


@csrf_exempt
@_database_errors_answer_503
def collect(request):
    if request.method != "POST":
        response = _error(405, "method not allowed")
        response["Allow"] = "POST"
        return response
    # Counted before any other work, so a flood costs two cache round trips each.
    wait = ratelimit.retry_after(request)
    if wait:
        response = _error(429, "too many requests")
        response["Retry-After"] = str(wait)
        return response
    body = _read_body(request, conf.get("WAGTAIL_OUTBOUND_MAX_BODY_BYTES"))
    if body is None:
        return _error(413, "body too large")

    host = _request_host(request)
    # One look at the shared generation key for both the site and its settings.
    memo = site_config.snapshot() if host else None
    site = site_config.site_for_request(request, memo) if host else None
    if site is None:
        return _error(403, "unknown site")
    allowed_hosts = {host, *site_hosts(site.hostname)}
    if _origin_host(request) not in allowed_hosts:
        return _error(403, "origin not allowed")

    try:
        beacon = parse_beacon(
            body, max_url_length=conf.get("WAGTAIL_OUTBOUND_MAX_URL_LENGTH")
        )
    except BeaconError as error:
        return _error(400, str(error))
    if beacon.source_host not in allowed_hosts:
        return _error(403, "source page is not on this site")

    config = site_config.config_for_site(site, memo)
    if (
        _is_ignored(request, config)
        or config.is_internal(beacon.domain, site.hostname)
        or beacon.domain == host
        or config.is_excluded(beacon.domain)
    ):
        return _no_content()

    url = config.stored_url(beacon.url)
    if url != beacon.url:
        beacon = dataclasses.replace(beacon, url=url)
    inbox.append(site.pk, beacon)
    aggregation.after_append()
    return _no_content()
