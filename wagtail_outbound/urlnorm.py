"""Normalisation of target URLs. Pure functions, no request or ORM."""

import ipaddress
import re
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from .domains import normalise_host

DEFAULT_PORTS = {"http": 80, "https": 443}
# Always removed: they identify campaigns or visitors, not destinations.
TRACKING_PARAMS = re.compile(r"^(utm_.*|fbclid|gclid|msclkid|mc_eid)$", re.IGNORECASE)
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
# Underscores are allowed because browsers accept them in hostnames.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
MAX_HOST_LENGTH = 253


class InvalidURL(ValueError):
    """The value is not an absolute http(s) URL we are willing to store."""


def normalise_url(raw, *, max_length=2048):
    """Return ``(url, host)`` for an absolute http(s) URL.

    Scheme and host are lower-cased, IDN hosts become punycode, the default
    port, any user name or password and the fragment are dropped.
    """
    if not isinstance(raw, str) or not raw:
        raise InvalidURL("url must be a non-empty string")
    if len(raw) > max_length:
        raise InvalidURL(f"url is longer than {max_length} characters")
    if _FORBIDDEN.search(raw):
        raise InvalidURL("url contains whitespace or control characters")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as error:
        raise InvalidURL(f"url cannot be parsed: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidURL("url must use http or https")
    host, netloc = _host(parts.hostname or "")
    if port not in (None, DEFAULT_PORTS[scheme]):
        netloc = f"{netloc}:{port}"
    # Re-quote so stored URLs never carry raw non-ASCII or markup characters.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    url = urlunsplit((scheme, netloc, path, query, ""))
    if len(url) > max_length:
        raise InvalidURL(f"url is longer than {max_length} characters")
    return url, host


def _host(hostname):
    """Return ``(host, netloc host)``; IPv6 addresses are bracketed in the URL."""
    if ":" in hostname:
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise InvalidURL("url has no valid host") from None
        return address.compressed, f"[{address.compressed}]"
    host = normalise_host(hostname)
    if (
        not host
        or len(host) > MAX_HOST_LENGTH
        or not all(_LABEL.fullmatch(label) for label in host.split("."))
    ):
        raise InvalidURL("url has no valid host")
    return host, host


def clean_query(url, *, drop_all=False, dropped=()):
    """Remove tracking parameters, e-mail addresses and unwanted parameters.

    Kept parameters keep their original encoding, so unchanged URLs stay equal.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    if drop_all:
        return urlunsplit(parts._replace(query=""))
    dropped = {name.lower() for name in dropped}
    kept = []
    for piece in parts.query.split("&"):
        name, _, value = piece.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        if (
            TRACKING_PARAMS.match(name)
            or name.lower() in dropped
            or EMAIL_RE.search(value)
        ):
            continue
        kept.append(piece)
    return urlunsplit(parts._replace(query="&".join(kept)))


def source_path(raw, *, max_length=2048):
    """Return ``(host, path)`` of the page a click came from; the query is dropped
    because it can carry personal data."""
    if not isinstance(raw, str) or not raw or len(raw) > max_length:
        raise InvalidURL(f"source must be a URL of at most {max_length} characters")
    if _FORBIDDEN.search(raw):
        raise InvalidURL("source contains whitespace or control characters")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (validates the port)
    except ValueError as error:
        raise InvalidURL(f"source cannot be parsed: {error}") from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURL("source must be an absolute http(s) URL")
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    return normalise_host(parts.hostname), path
