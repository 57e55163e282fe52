"""What links a page holds: its rendered HTML read as the tracker reads it, and
the fields and blocks that hold each link. Used by :mod:`.inventory`.

The HTML is read with the standard library's parser. A link is kept when a
click on it would be counted: an ``http`` or ``https`` address (resolved
against the page and its ``<base href>``) on another host than the site's,
its ``www.`` twin, its internal and its excluded domains, and not opted out
(``data-outbound-no-track`` or ``data-insights-no-track`` on the link, an
ancestor or inside it). Each is named by the URL a click on it stores.
"""

import dataclasses
import html
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from . import conf, site_config
from .beacon import clean_text
from .domains import normalise_host
from .rich_text import ATTRIBUTE as NO_TRACK_ATTRIBUTE
from .urlnorm import InvalidURL, normalise_url

# Where a link is when no field or block of the page holds it.
TEMPLATE = "template"
MAX_WHERE = 255
MAX_TEXT = 255
# The attributes that opt a link out of tracking, as the tracker reads them.
NO_TRACK = ("data-insights-no-track", NO_TRACK_ATTRIBUTE)


# ---------------------------------------------------------------------------
# Finding the links of an HTML page

# Elements with no end tag: never on the stack of open elements.
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Their content is not part of the document a visitor's browser shows (with
# scripts on, which the tracker needs): links there cannot be clicked.
_INERT = frozenset({"noscript", "template"})
# What browsers strip from an address before reading it.
_URL_WHITESPACE = re.compile(r"[\t\n\r]")


@dataclasses.dataclass
class Anchor:
    """One ``<a href>`` or ``<area href>`` as the tracker would see it."""

    href: str
    opted_out: bool
    text: list = dataclasses.field(default_factory=list)
    label: str = ""  # aria-label, then title, then an image's alt
    image_alt: str = ""

    def visible_text(self):
        """What the tracker sends as the link's text."""
        return "".join(self.text).strip() or self.label or self.image_alt


class LinkParser(HTMLParser):
    """Collects the anchors of a document, the no-track opt-outs on them, on
    an ancestor or inside them, and the ``<base href>``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors = []
        self.base = None
        self._open = []  # (tag, opted out) of the open elements
        self._anchor = None
        self._inert = 0

    @staticmethod
    def _opts_out(attrs):
        return any(name in NO_TRACK for name, _value in attrs)

    def handle_starttag(self, tag, attrs):
        opts_out = self._opts_out(attrs)
        if tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        if tag in _INERT:
            self._inert += 1
        if tag == "a" and self._anchor is not None:
            self._close_anchor()  # browsers close an open link first
        if self._anchor is not None:
            if opts_out:  # an element inside the link opts it out
                self._anchor.opted_out = True
            if tag == "img" and not self._anchor.image_alt:
                self._anchor.image_alt = dict(attrs).get("alt") or ""
        if tag in ("a", "area") and not self._inert:
            values = dict(attrs)
            href = values.get("href") or values.get("xlink:href")
            if href:
                anchor = Anchor(
                    href=href,
                    opted_out=opts_out or any(flag for _tag, flag in self._open),
                    label=values.get("aria-label")
                    or values.get("title")
                    or (values.get("alt") if tag == "area" else "")
                    or "",
                )
                if tag == "area":
                    self.anchors.append(anchor)
                else:
                    self._anchor = anchor
        if tag not in _VOID:
            self._open.append((tag, opts_out))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "a" and self._anchor is not None:
            self._close_anchor()
        if tag in _INERT and self._inert:
            self._inert -= 1
        # Close up to the matching open element; a stray end tag is ignored.
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        if self._anchor is not None:
            self._anchor.text.append(data)

    def _close_anchor(self):
        self.anchors.append(self._anchor)
        self._anchor = None

    def close(self):
        super().close()
        if self._anchor is not None:
            self._close_anchor()


def parse(html_text):
    """``(anchors, base href)`` of an HTML document."""
    parser = LinkParser()
    parser.feed(html_text)
    parser.close()
    return parser.anchors, parser.base


def clean_link_text(value):
    """A link's text as the tracker and the endpoint keep it (the endpoint's
    scrubber, ``beacon.clean_text``), cut to 255 characters as the tracker
    cuts it."""
    value = value or ""
    return clean_text(value, limit=len(value))[:MAX_TEXT].strip()


@dataclasses.dataclass(frozen=True)
class Rules:
    """Which links of a site's pages are outbound, and how their URLs are
    stored: the collect endpoint's rules (``views/collect.py``)."""

    site_hostname: str
    config: site_config.SiteConfig
    max_length: int

    @classmethod
    def for_site(cls, site):
        return cls(
            site_hostname=normalise_host(site.hostname),
            config=site_config.config_for_site(site),
            max_length=conf.get("WAGTAIL_OUTBOUND_MAX_URL_LENGTH"),
        )

    def identity(self, url):
        """``(url, domain)`` as a click on ``url`` stores it, or None when
        the endpoint would not store it."""
        try:
            url, domain = normalise_url(url, max_length=self.max_length)
        except InvalidURL:
            return None
        return self.config.stored_url(url), domain

    def is_outbound(self, domain):
        return not (
            domain == self.site_hostname
            or self.config.is_internal(domain, self.site_hostname)
            or self.config.is_excluded(domain)
        )


def resolve(href, base):
    """The absolute address of ``href`` on a page at ``base``, as a browser
    reads it, or None when it is not http(s)."""
    href = _URL_WHITESPACE.sub("", href).strip()
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    return url if url[:5].lower() in ("http:", "https") else None


def outbound_links(html_text, page_url, rules):
    """``{url: text}``: the outbound links of a rendered page, by the URL a
    click on them stores, each with the text of its first anchor that has
    one. Links opted out of tracking, internal and excluded links are left
    out, as the tracker leaves them out."""
    anchors, base = parse(html_text)
    if base:
        base = resolve(base, page_url) or page_url
    found = {}
    for anchor in anchors:
        if anchor.opted_out:
            continue
        url = resolve(anchor.href, base or page_url)
        identity = url and rules.identity(url)
        if not identity or not rules.is_outbound(identity[1]):
            continue
        text = clean_link_text(anchor.visible_text())
        if not found.get(identity[0]):
            found[identity[0]] = text
    return found


# ---------------------------------------------------------------------------
# Which field or block holds a link

# Addresses written out in a text (rich text, raw HTML, a URL field...).
_URL_IN_TEXT = re.compile(r"""(?:https?:)?//[^\s"'<>`]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def _addresses(text, page_url):
    """The absolute http(s) addresses a text holds: written out, or as the
    ``href`` of its HTML."""
    found = set()
    for match in _URL_IN_TEXT.findall(text):
        match = html.unescape(match)
        for candidate in {match, match.rstrip(_TRAILING)}:
            url = resolve(candidate, page_url)
            if url:
                found.add(url)
    if "<" in text:
        anchors, _base = parse(text)
        for anchor in anchors:
            url = resolve(anchor.href, page_url)
            if url:
                found.add(url)
    return found


def _walk(value, path, visit):
    """Call ``visit(path, text)`` for every text of a StreamField's raw data:
    "body.3" is the fourth block of ``body``, "body.3.url" its ``url``."""
    if isinstance(value, str):
        if value:
            visit(path, value)
    elif isinstance(value, dict):
        for key, child in value.items():
            _walk(child, f"{path}.{key}", visit)
    elif isinstance(value, (list, tuple)):
        for index, child in enumerate(value):
            # A block of a stream or an item of a list: {"type", "value", "id"}.
            if isinstance(child, dict) and "value" in child and "type" in child:
                child = child["value"]
            _walk(child, f"{path}.{index}", visit)


def _field_texts(obj, prefix, visit, skip=frozenset()):
    from wagtail.fields import StreamField

    for field in obj._meta.concrete_fields:
        if field.attname in skip or field.is_relation:
            continue
        value = getattr(obj, field.attname, None)
        path = f"{prefix}{field.name}"
        if isinstance(field, StreamField):
            raw = getattr(value, "raw_data", None)
            _walk(list(raw) if raw is not None else [], path, visit)
        elif isinstance(value, str):
            if value:
                visit(path, value)
        elif isinstance(value, (dict, list)):  # JSONField
            _walk(value, path, visit)


def locations(page, page_url, rules):
    """``{url: [where, ...]}``: the fields and blocks of ``page`` (a specific
    page) that hold each outbound link, by the URL a click on it stores. Its
    own fields (rich text, StreamField blocks of any kind, URL and text
    fields, JSON) and those of its inline children ("links.0.url")."""
    from modelcluster.fields import ParentalKey

    from .sources import page_model

    held = {}

    def visit(path, text):
        for url in _addresses(text, page_url):
            identity = rules.identity(url)
            if identity and rules.is_outbound(identity[1]):
                places = held.setdefault(identity[0], [])
                if path not in places:
                    places.append(path)

    base = page_model()
    base_fields = frozenset(f.attname for f in base._meta.concrete_fields)
    _field_texts(page, "", visit, skip=base_fields)
    for relation in page._meta.related_objects:
        # Inline children of this page type; not those every page has
        # (editors' comments point at the base page model).
        if (
            not isinstance(relation.field, ParentalKey)
            or relation.field.remote_field.model is base
        ):
            continue
        accessor = relation.get_accessor_name()
        for index, child in enumerate(getattr(page, accessor).all()):
            _field_texts(child, f"{accessor}.{index}.", visit)
    return held


def where(places):
    """The ``Placement.where`` of a link held by ``places``, "template" when
    no field holds it."""
    text = ", ".join(places) if places else TEMPLATE
    if len(text) > MAX_WHERE:
        text = text[: MAX_WHERE - 1].rsplit(", ", 1)[0] + "…"
    return text
