"""Normalisation of target URLs and source pages. Pure functions, no request or ORM.

Every URL stored is plain ASCII: its host follows
:func:`~wagtail_outbound.domains.canonical_host`, and its path and query are
percent-encoded so that no quote, angle bracket, backslash, backtick, space or
non-ASCII character survives. :func:`scrub` then removes personal data.
"""

import re
import unicodedata
from urllib.parse import quote, unquote, unquote_plus, urlsplit, urlunsplit

from .domains import InvalidHost, canonical_host

DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters (and ``;name=value`` path parameters) removed from every
# stored URL, matched case-insensitively against the whole decoded name:
PRIVATE_PARAMS = re.compile(
    r"""
    # campaign and click identifiers: they identify visitors, not destinations
      utm_.* | fbclid | gclid | msclkid | mc_eid
    # credentials, API keys and signed URLs (x-amz-signature, ...)
    | (.*[_-])?(token | secret | password | passwd | pwd | credentials?
                | signature | sig | (api|access|secret|private)[_-]?key)
    | auth | authorization | key
    # sessions
    | (.*[_-])?session([_-]?id)? | sid | phpsessid | jsessionid | aspsessionid
    # one-time codes of sign-in links (OAuth, magic links)
    | code | state | nonce | otp
    """,
    re.IGNORECASE | re.VERBOSE,
)
# An e-mail address anywhere in a text: something, "@", something with a dot.
# One character each side of "@" so the search stays linear in the length.
EMAIL_RE = re.compile(r"[^@\s]@[^@\s]+?\.[^@\s]")
# What replaces a path segment that holds an e-mail address.
EMAIL_PLACEHOLDER = "[email]"
# Percent-encoding is undone this many times when looking for e-mail addresses
# (``jane%2540example.com`` is encoded twice).
_DECODE_ROUNDS = 3

_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
# Characters left as they are in paths and queries: RFC 3986 reserved and
# unreserved characters and "%" (existing escapes are kept), except "'".
_SAFE_PATH = "/%:@!$&()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
# Host and port as written after any user info: a bracketed IPv6 literal or a
# name without brackets or colons, then an optional port.
_HOST_PORT = re.compile(r"(?P<host>\[[^\[\]]*\]|[^\[\]:]*)(?::[0-9]*)?")


class InvalidURL(ValueError):
    """The value is not an absolute http(s) URL we are willing to store."""


def _split(raw, max_length, what):
    """``(parts, scheme, host)`` of an absolute http(s) URL, or InvalidURL."""
    if not isinstance(raw, str) or not raw:
        raise InvalidURL(f"{what} must be a non-empty string")
    if len(raw) > max_length:
        raise InvalidURL(f"{what} is longer than {max_length} characters")
    if _FORBIDDEN.search(raw):
        raise InvalidURL(f"{what} contains whitespace or control characters")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (validates the port)
    except ValueError as error:
        raise InvalidURL(f"{what} cannot be parsed: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidURL(f"{what} must be an absolute http(s) URL")
    # Parsed here, not by urlsplit: it reads "a[::1]b" as the host "::1", and
    # browsers end the host at a backslash that urlsplit keeps.
    host_port = _HOST_PORT.fullmatch(parts.netloc.rpartition("@")[2])
    if host_port is None or "\\" in parts.netloc:
        raise InvalidURL(f"{what} has no valid host")
    try:
        host = canonical_host(host_port["host"])
    except InvalidHost as error:
        raise InvalidURL(f"{what} has no valid host: {error}") from None
    return parts, scheme, host


def normalise_url(raw, *, max_length=2048):
    """Return ``(url, host)`` for an absolute http(s) URL.

    Scheme and host are lower-cased, IDN hosts become punycode, the default
    port, any user name or password and the fragment are dropped, path and
    query are percent-encoded to plain ASCII and scrubbed of personal data
    (:func:`scrub`).
    """
    parts, scheme, host = _split(raw, max_length, "url")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port not in (None, DEFAULT_PORTS[scheme]):
        netloc = f"{netloc}:{parts.port}"
    path, query = scrub(_quote(parts.path or "/"), _quote(parts.query, _SAFE_QUERY))
    url = urlunsplit((scheme, netloc, path, query, ""))
    if len(url) > max_length:
        raise InvalidURL(f"url is longer than {max_length} characters")
    return url, host


def _quote(text, safe=_SAFE_PATH):
    try:
        return quote(text, safe=safe)
    except UnicodeEncodeError:  # a lone surrogate
        raise InvalidURL("URLs must be valid unicode") from None


def clean_query(url, *, drop_all=False, dropped=()):
    """Scrub a normalised URL (:func:`scrub`) and drop the query parameters a
    site does not want: all of them, or the names in ``dropped``.

    Kept parameters keep their original encoding, so unchanged URLs stay equal.
    """
    parts = urlsplit(url)
    path, query = scrub(parts.path, parts.query, drop_all=drop_all, dropped=dropped)
    if (path, query) == (parts.path, parts.query):
        return url
    return urlunsplit(parts._replace(path=path, query=query))


def scrub(path, query="", *, drop_all=False, dropped=()):
    """Remove personal data from an encoded path and query; return both.

    A path segment holding an e-mail address becomes ``[email]`` and
    ``;name=value`` path parameters named in :data:`PRIVATE_PARAMS` go. Query
    parameters are dropped when their name is in :data:`PRIVATE_PARAMS` or
    ``dropped``, or when their name or value holds an e-mail address, however
    many times it was percent- or ``+``-encoded. ``drop_all`` drops the query.
    """
    segments = [_scrub_segment(segment) for segment in path.split("/")]
    path = "/".join(segments)
    if drop_all or not query:
        return path, ""
    dropped = {name.lower() for name in dropped}
    kept = []
    for piece in query.split("&"):
        name, _, value = piece.partition("=")
        decoded = _decoded(name, plus=True)
        if (
            PRIVATE_PARAMS.fullmatch(decoded)
            or decoded.lower() in dropped
            or _has_email(name)
            or _has_email(value)
        ):
            continue
        kept.append(piece)
    return path, "&".join(kept)


def _scrub_segment(segment):
    if not segment:
        return segment
    if _has_email(segment):
        return EMAIL_PLACEHOLDER
    if ";" not in segment:
        return segment
    first, *params = segment.split(";")
    kept = [
        param
        for param in params
        if not PRIVATE_PARAMS.fullmatch(_decoded(param.partition("=")[0]))
    ]
    return ";".join([first, *kept])


def _decoded(text, *, plus=False):
    """``text`` percent-decoded once (and "+" read as a space in queries), with
    the "amp;" left by an HTML-escaped "&amp;" removed."""
    text = unquote_plus(text) if plus else unquote(text)
    return text.removeprefix("amp;")


def _has_email(text):
    """True when ``text`` holds an e-mail address, as it is or percent-decoded
    up to :data:`_DECODE_ROUNDS` times. NFKC folding makes the full-width at
    sign (U+FF20) count as "@"."""
    for _round in range(_DECODE_ROUNDS + 1):
        folded = text if text.isascii() else unicodedata.normalize("NFKC", text)
        if "@" in folded and EMAIL_RE.search(folded):
            return True
        if "%" not in text:
            return False
        decoded = unquote(text)
        if decoded == text:
            return False
        text = decoded
    return False


def source_path(raw, *, max_length=2048):
    """Return ``(host, path)`` of the page a click came from; the query is dropped
    because it can carry personal data, and the path is scrubbed (:func:`scrub`)."""
    parts, _scheme, host = _split(raw, max_length, "source")
    path, _query = scrub(_quote(parts.path or "/"))
    return host, path
