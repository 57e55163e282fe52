"""Validation of the tracker's beacon. Pure functions, no request or ORM.

The tracker posts a JSON object (sent as ``text/plain`` so no CORS preflight
is needed)::

    {"url": "https://example.com/a", "text": "Example", "source":
     "https://mysite.test/blog/", "page": 12, "event": "affiliate_click",
     "category": "conversion"}

Only ``url`` and ``source`` are required.
"""

import json
import re
import unicodedata
from dataclasses import dataclass

from .urlnorm import InvalidURL, normalise_url, source_path

MAX_TEXT = 255
MAX_LABEL = 64  # event and category
MAX_PAGE_ID = 2**31 - 1
FIELDS = {"url", "text", "source", "page", "event", "category"}
# Invisible characters, by Unicode category: control (Cc), format (Cf: bidi
# controls, zero-width characters, soft hyphen...), private use (Co), surrogate
# (Cs), unassigned (Cn), line and paragraph separators (Zl, Zp).
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
_SPACE = re.compile(r"\s+")
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_PAGE_ID = re.compile(r"[0-9]{1,10}")


class BeaconError(ValueError):
    """The beacon is malformed or invalid; the message is safe to show."""


@dataclass(frozen=True)
class Beacon:
    url: str
    domain: str
    text: str
    source_host: str
    source_path: str
    page_id: int | None
    event: str
    category: str


def clean_text(value, *, limit):
    """The one scrubber of free text (link text, event, category).

    Whitespace of any kind (tabs, line breaks, U+2028...) becomes a space,
    every other character of :data:`INVISIBLE_CATEGORIES` is removed, spaces
    are collapsed and trimmed; the result may have at most ``limit``
    characters.
    """
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise BeaconError("text fields must be strings")
    # Printable text has no character of those categories (nor any space but " ").
    if not value.isprintable():
        value = "".join(map(_visible, value))
    value = _SPACE.sub(" ", value).strip()
    if len(value) > limit:
        raise BeaconError(f"text fields are limited to {limit} characters")
    return value


def _visible(char):
    if char.isspace():
        return " "
    return "" if unicodedata.category(char) in INVISIBLE_CATEGORIES else char


def _has_lone_surrogate(value):
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_beacon(body, *, max_url_length=2048):
    """Parse and validate a beacon body (bytes); raise ``BeaconError``."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BeaconError("body must be a JSON object encoded as UTF-8") from None
    if not isinstance(data, dict):
        raise BeaconError("body must be a JSON object")
    unknown = set(data) - FIELDS
    if unknown:
        raise BeaconError("unknown field: " + sorted(unknown)[0][:32])
    # UTF-8 cannot carry a lone surrogate: only a JSON \u escape can.
    if b"\\u" in body:
        for value in data.values():
            if isinstance(value, str) and _has_lone_surrogate(value):
                raise BeaconError("strings must be valid unicode")
    try:
        url, domain = normalise_url(data.get("url"), max_length=max_url_length)
        source_host, path = source_path(data.get("source"), max_length=max_url_length)
    except InvalidURL as error:
        raise BeaconError(str(error)) from None
    page = data.get("page")
    if page in (None, ""):
        page_id = None
    elif isinstance(page, str) and _PAGE_ID.fullmatch(page):
        page_id = int(page)
    elif isinstance(page, int) and not isinstance(page, bool):
        page_id = page
    else:
        raise BeaconError("page must be a positive integer")
    if page_id is not None and not 0 < page_id <= MAX_PAGE_ID:
        raise BeaconError("page must be a positive integer")
    return Beacon(
        url=url,
        domain=domain,
        text=clean_text(data.get("text"), limit=MAX_TEXT),
        source_host=source_host,
        source_path=path,
        page_id=page_id,
        event=clean_text(data.get("event"), limit=MAX_LABEL),
        category=clean_text(data.get("category"), limit=MAX_LABEL),
    )
