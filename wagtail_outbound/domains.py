"""Hostnames: the one grammar every stored host follows, and hostname lists with
``*.example.com`` wildcards. Pure functions, no Django ORM."""

import ipaddress
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.encoding import punycode
from django.utils.translation import gettext as _

MAX_HOST_LENGTH = 253
# Letters, digits, hyphens (not first or last) and underscores, which browsers
# accept in hostnames; 1 to 63 characters.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# A last label that browsers read as a number ("1", "0x7f") makes the host an
# IPv4 address, whatever the other labels are.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


class InvalidHost(ValueError):
    """The host is not a DNS name, a dotted-quad IPv4 or a bracketed IPv6."""


def normalise_host(host):
    """Lower-case, drop a trailing dot and convert IDN labels to punycode.

    Lenient: for comparing and searching. Hosts that are stored go through
    :func:`canonical_host`.
    """
    host = host.strip().rstrip(".").lower()
    try:
        return punycode(host) if not host.isascii() else host
    except UnicodeError:
        return ""


def canonical_host(host):
    """Return the normalised form of a URL's host, or raise ``InvalidHost``.

    ``host`` is written as in a URL: a bracketed IPv6 address (``[2001:db8::1]``,
    returned compressed and without brackets; zone identifiers are refused),
    a dotted-quad IPv4 address, or a DNS name (IDN to punycode, lower-cased,
    one trailing dot dropped, labels as :data:`_LABEL`, at most 253
    characters). Hosts whose last label is a number but that are no dotted
    quad (``0x7f.1``, ``2130706433``, ``1.2.3``) are refused: browsers read
    them as other addresses. The result is plain ASCII without quotes, angle
    brackets, ``%``, spaces or control characters.
    """
    if not isinstance(host, str) or not host:
        raise InvalidHost("empty host")
    if host.startswith("["):
        literal = host[1:-1] if host.endswith("]") else ""
        # ipaddress keeps any "%zone" suffix, characters included.
        if "%" in literal:
            raise InvalidHost("IPv6 zone identifiers are not allowed")
        try:
            return ipaddress.IPv6Address(literal).compressed
        except ValueError:
            raise InvalidHost("not an IPv6 address") from None
    host = host.lower().removesuffix(".")
    if not host.isascii():
        try:
            host = punycode(host)
        except UnicodeError:
            raise InvalidHost("not a valid internationalised name") from None
    if len(host) > MAX_HOST_LENGTH:
        raise InvalidHost(f"host is longer than {MAX_HOST_LENGTH} characters")
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise InvalidHost("not a dotted-quad IPv4 address") from None
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidHost("not a valid host name")
    if "xn--" in host and not all(map(_is_readable_label, labels)):
        raise InvalidHost("not a valid internationalised name")
    return host


def _is_readable_label(label):
    """A punycode label must decode (the admin shows hosts decoded) to visible
    characters: no bidi or other formatting, control or space characters."""
    if not label.startswith("xn--"):
        return True
    try:
        decoded = label.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    return not any(unicodedata.category(char)[0] in "CZ" for char in decoded)


def _pattern(entry):
    """A normalised list pattern: a DNS name or IPv4 address, or ``*.`` and a
    DNS name. IPv6 addresses are not supported in lists."""
    wildcard = entry.startswith("*.")
    host = canonical_host(entry[2:] if wildcard else entry)
    if ":" in host or (wildcard and _NUMERIC_LABEL.fullmatch(host.split(".")[-1])):
        raise InvalidHost("not a host name")
    return f"*.{host}" if wildcard else host


def parse_domain_list(text):
    """Parse one pattern per line: a hostname or a ``*.example.com`` wildcard.

    Blank lines and spaces around a pattern are ignored. Returns a tuple of
    normalised patterns; raises one ``ValidationError`` naming every bad line
    with its number (a line with a space or comma inside is one bad line).
    """
    patterns = []
    errors = []
    # Split on line feeds only, so that line numbers match what the editor sees.
    for number, line in enumerate((text or "").split("\n"), start=1):
        entry = line.strip()
        if not entry:
            continue
        try:
            patterns.append(_pattern(entry))
        except InvalidHost:
            errors.append(
                ValidationError(
                    _(
                        "Line %(line)s: “%(entry)s” is not a hostname or"
                        " a *.example.com wildcard."
                    ),
                    params={"line": number, "entry": entry},
                    code="invalid_domain",
                )
            )
    if errors:
        raise ValidationError(errors)
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
