"""Hostname lists with ``*.example.com`` wildcards. Pure functions, no Django ORM."""

import re

from django.core.exceptions import ValidationError
from django.utils.encoding import punycode
from django.utils.translation import gettext as _

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")


def normalise_host(host):
    """Lower-case, drop a trailing dot and convert IDN labels to punycode."""
    host = host.strip().rstrip(".").lower()
    try:
        return punycode(host) if not host.isascii() else host
    except UnicodeError:
        return ""


def parse_domain_list(text):
    """Parse one pattern per line (commas and spaces also separate).

    Returns a tuple of normalised patterns; raises ``ValidationError`` naming
    the first entry that is not a hostname or ``*.`` wildcard.
    """
    patterns = []
    for entry in re.split(r"[\s,]+", text or ""):
        if not entry:
            continue
        wildcard = entry.startswith("*.")
        host = normalise_host(entry[2:] if wildcard else entry)
        if not _HOST_RE.match(host):
            raise ValidationError(
                _("“%(entry)s” is not a hostname or a *.example.com wildcard."),
                params={"entry": entry},
                code="invalid_domain",
            )
        patterns.append(f"*.{host}" if wildcard else host)
    return tuple(patterns)


def host_matches(host, pattern):
    """True when ``host`` is ``pattern``, or a sub-domain of a ``*.`` pattern.

    ``*.example.com`` matches ``example.com`` and ``a.b.example.com`` but never
    ``example.com.evil.test`` or ``notexample.com``.
    """
    if pattern.startswith("*."):
        base = pattern[2:]
        return host == base or host.endswith("." + base)
    return host == pattern


def matches_any(host, patterns):
    return any(host_matches(host, pattern) for pattern in patterns)


def site_hosts(hostname):
    """The site's own hostname and its ``www.`` twin, which are always internal."""
    hostname = normalise_host(hostname)
    bare = hostname.removeprefix("www.")
    return (bare, f"www.{bare}")
