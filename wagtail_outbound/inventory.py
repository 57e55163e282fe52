"""The link inventory: every outbound link that the live pages serve.

A page's links are read from what it really serves: the page is rendered as
Wagtail serves it to a visitor (its template, navigation and footers
included) and the ``<a href>`` and ``<area href>`` of the HTML are kept when
the tracker would count a click on them (:mod:`.page_links`). Each link is
a ``Link`` row, identified by the URL a click on it stores, and each
(page, link) pair a ``Placement`` row that says which field or block of the
page holds the link ("body.3.url"), or "template".

It is kept current in the background on publish, unpublish, move and delete
(:mod:`.signals`, :func:`refresh_page`) and built for every site by
``manage.py outbound_inventory`` (:func:`build`).

Reading it (the Links report, your own code)::

    from wagtail_outbound import inventory

    inventory.page_counts([link.pk])  # {link.pk: 3}: live pages holding it
    inventory.pages_of(link.pk)  # [(page_id, "body.2"), (page_id, "template")]

Pages are rendered as an anonymous visitor on the page's own site, through
the project's middleware (as Wagtail renders previews, but with the live page
and without preview mode). Private pages (view restrictions) are rendered as
their content, since editors want their links listed too; pages whose
tracking switch is off are listed as well: the inventory is about what pages
hold, not about what is counted.
"""

import dataclasses
import io
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.db import transaction
from django.db.models import Count
from django.http.request import validate_host
from django.urls import get_urlconf, set_urlconf
from django.utils import timezone, translation

from . import injection
from .models import Link, Placement, fingerprint
from .page_links import Rules, locations, outbound_links, where

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Reading the inventory


def _site_id(site):
    return getattr(site, "pk", site)


def _placements(site=None):
    rows = Placement.objects.all()
    if site is not None:
        rows = rows.filter(site_id=_site_id(site))
    return rows


def page_counts(link_ids=None, site=None):
    """``{link id: number of live pages that serve it}`` for ``link_ids``
    (None: every link in content), on ``site`` (a ``Site`` or its id; None:
    every site). Links that no live page serves are left out."""
    rows = _placements(site)
    if link_ids is not None:
        link_ids = list(link_ids)
        if not link_ids:
            return {}
        rows = rows.filter(link_id__in=link_ids)
    return dict(
        rows.order_by()
        .values("link_id")
        .annotate(pages=Count("page_id"))
        .values_list("link_id", "pages")
    )


def pages_of(link_id, site=None):
    """``[(page id, where)]``: the live pages that serve the link, by page id,
    and the field or block of each that holds it ("body.3", "template")."""
    return list(
        _placements(site)
        .filter(link_id=link_id)
        .order_by("page_id")
        .values_list("page_id", "where")
    )


def in_content(link_ids, site=None):
    """The ids among ``link_ids`` that at least one live page serves."""
    link_ids = list(link_ids)
    if not link_ids:
        return set()
    return set(
        _placements(site)
        .filter(link_id__in=link_ids)
        .values_list("link_id", flat=True)
        .distinct()
    )


def links_of(page_id):
    """``[(link id, where, text)]``: the outbound links the page serves."""
    return list(
        Placement.objects.filter(page_id=page_id)
        .order_by("link_id")
        .values_list("link_id", "where", "text")
    )


# ---------------------------------------------------------------------------
# Rendering a page as a visitor gets it


class RenderError(Exception):
    """The page could not be rendered (its entries are left as they were)."""


class _Handler(BaseHandler):
    """The project's middleware around ``page.serve()``, without URL routing
    (the way ``Page.make_preview_request`` renders previews)."""

    def _get_response(self, request):
        response = request.outbound_inventory_page.serve(request)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response


def _handler():
    handler = _Handler()
    handler.load_middleware()
    return handler


def _request(url):
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    port = parts.port or (443 if scheme == "https" else 80)
    host = parts.hostname or "localhost"
    default = 443 if scheme == "https" else 80
    return WSGIRequest(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": parts.path or "/",
            "SERVER_NAME": host,
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": host if port == default else f"{host}:{port}",
            "wsgi.version": (1, 0),
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": scheme,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
    )


def render(page, site, page_url, handler=None):
    """The HTML that ``page`` (a specific page) serves to a visitor at
    ``page_url``; "" when it serves none (a redirect, a 404, not HTML).
    Raises ``RenderError`` on a server error."""
    request = _request(page_url)
    allowed = settings.ALLOWED_HOSTS or [".localhost", "127.0.0.1", "[::1]"]
    if not validate_host(request.META["SERVER_NAME"], allowed):
        # Not a name this project answers to (as Wagtail's previews do): any
        # allowed one. The rules still use the site's hostname.
        fallback = allowed[0].lstrip(".") if allowed[0] != "*" else "localhost"
        request.META["HTTP_HOST"] = request.META["SERVER_NAME"] = fallback
    request.is_dummy = True  # Wagtail's flag for requests it makes itself
    request.outbound_inventory_page = page
    request._wagtail_site = site
    # Called inside an editor's request too: what the page's request sets for
    # its thread (URLconf, language) is put back afterwards.
    urlconf = get_urlconf()
    with translation.override(translation.get_language()):
        try:
            response = (handler or _handler()).get_response(request)
        finally:
            set_urlconf(urlconf)
    if response.status_code >= 500:
        raise RenderError(f"page {page.pk} answered {response.status_code}")
    if (
        response.status_code != 200
        or getattr(response, "streaming", False)
        or not injection.is_html(response)
    ):
        return ""
    return response.content.decode(response.charset or "utf-8", "replace")


@dataclasses.dataclass(frozen=True)
class Entry:
    """An outbound link a page serves, as it is stored (``Placement``)."""

    url: str
    domain: str
    text: str
    where: str


def page_links(page, site, page_url, handler=None):
    """``[Entry]``: the outbound links ``page`` (a specific page) serves at
    ``page_url`` on ``site``. Raises ``RenderError``."""
    rules = Rules.for_site(site)
    found = outbound_links(render(page, site, page_url, handler), page_url, rules)
    if not found:
        return []
    held = locations(page, page_url, rules)
    return [
        Entry(url, urlsplit(url).hostname, text, where(held.get(url)))
        for url, text in found.items()
    ]


# ---------------------------------------------------------------------------
# Storing it


def _chunks(items, size=500):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _link_ids(entries, now):
    """``{url: Link id}`` for these entries, creating the links not stored
    yet. A link without text takes the text of its anchor (clicks vote on it
    afterwards, ``Link.text_votes``)."""
    wanted = {}
    for entry in entries:
        known = wanted.get(entry.url)
        if known is None or (entry.text and not known.text):
            wanted[entry.url] = entry
    hashes = {fingerprint(url): url for url in wanted}

    def read(url_hashes):
        """``{url: (pk, text)}`` of the stored links among ``url_hashes``."""
        return {
            hashes[url_hash]: (pk, text)
            for chunk in _chunks(url_hashes)
            for pk, url_hash, text in Link.objects.filter(
                url_hash__in=chunk
            ).values_list("pk", "url_hash", "text")
        }

    rows = read(hashes)
    new = [url for url in wanted if url not in rows]
    if new:
        Link.objects.bulk_create(
            [
                Link(
                    url=url,
                    url_hash=fingerprint(url),
                    domain=wanted[url].domain,
                    text=wanted[url].text,
                    first_seen=now,
                    last_seen=now,
                )
                for url in new
            ],
            batch_size=500,
            ignore_conflicts=True,  # a click may create it meanwhile
        )
        rows.update(read([fingerprint(url) for url in new]))
    untitled = {}
    for url, (pk, text) in rows.items():
        if not text and wanted[url].text:
            untitled.setdefault(wanted[url].text, []).append(pk)
    for text, ids in untitled.items():
        Link.objects.filter(pk__in=ids, text="").update(text=text)
    ids = [pk for pk, _text in rows.values()]
    for chunk in _chunks(ids):
        Link.objects.filter(pk__in=chunk).update(last_seen=now)
        Link.objects.filter(pk__in=chunk, first_seen__isnull=True).update(
            first_seen=now
        )
    return {url: pk for url, (pk, _text) in rows.items()}


def save(pages, now=None):
    """Replace the entries of pages: ``pages`` is ``{page id: (site id,
    [Entry])}``. In one transaction: entries still there keep their
    ``first_seen``, new ones are added and the others deleted."""
    if not pages:
        return
    now = now or timezone.now()
    with transaction.atomic(using=Placement.objects.db):
        link_ids = _link_ids(
            [entry for _site, entries in pages.values() for entry in entries], now
        )
        stored = {}
        for chunk in _chunks(pages):
            for row in Placement.objects.filter(page_id__in=chunk).values_list(
                "pk", "page_id", "link_id", "site_id", "where", "text"
            ):
                stored[row[1], row[2]] = row
        create, change, kept = [], [], []
        for page_id, (site_id, entries) in pages.items():
            for entry in entries:
                link_id = link_ids[entry.url]
                row = stored.pop((page_id, link_id), None)
                if row is None:
                    create.append(
                        Placement(
                            site_id=site_id,
                            page_id=page_id,
                            link_id=link_id,
                            where=entry.where,
                            text=entry.text,
                            first_seen=now,
                            last_seen=now,
                        )
                    )
                elif row[3:] != (site_id, entry.where, entry.text):
                    change.append(
                        Placement(
                            pk=row[0],
                            site_id=site_id,
                            where=entry.where,
                            text=entry.text,
                        )
                    )
                else:
                    kept.append(row[0])
        # What is left of ``stored``: links the pages no longer serve.
        for chunk in _chunks(row[0] for row in stored.values()):
            Placement.objects.filter(pk__in=chunk).delete()
        for chunk in _chunks(kept + [placement.pk for placement in change]):
            Placement.objects.filter(pk__in=chunk).update(last_seen=now)
        Placement.objects.bulk_update(change, ["site", "where", "text"], batch_size=200)
        Placement.objects.bulk_create(create, batch_size=500, ignore_conflicts=True)


def forget(page_ids):
    """Remove the entries of pages that are no longer live or exist (the
    links keep their ``last_seen``)."""
    for chunk in _chunks(page_ids):
        Placement.objects.filter(page_id__in=chunk).delete()


# ---------------------------------------------------------------------------
# Keeping it current, building it


class _SiteRoots:
    """A stand-in request that carries Wagtail's site root paths between
    ``get_url_parts`` calls, so a whole build reads them once."""

    _wagtail_site = None


def _url_of(page, cache):
    parts = page.get_url_parts(request=cache)
    if parts is None:
        return None
    site_id, root_url, path = parts
    if site_id is None or not root_url or path is None:
        return None
    return site_id, root_url + path


def refresh_page(page_id, *, moved=False, handler=None):
    """Make the entries of one page match what it serves now: its links when
    it is live and routable, none otherwise. ``moved``: also file the entries
    of its descendants under its site, which a move may have changed.
    Returns the number of outbound links stored for it."""
    from wagtail.models import Site

    from .sources import page_model

    page = page_model().objects.filter(pk=page_id).first()
    target = page and page.live and _url_of(page, _SiteRoots())
    if not target:
        forget([page_id])
        return 0
    site_id, url = target
    site = Site.objects.get(pk=site_id)
    page = page.specific
    try:
        entries = page_links(page, site, url, handler)
    except RenderError:
        logger.warning("Link inventory: page %s could not be rendered", page_id)
        return None
    save({page.pk: (site.pk, entries)})
    if moved:
        descendants = page.get_descendants().values_list("pk", flat=True)
        for chunk in _chunks(descendants):
            Placement.objects.filter(page_id__in=chunk).exclude(site_id=site.pk).update(
                site_id=site.pk
            )
    return len(entries)


@dataclasses.dataclass
class Totals:
    pages: int = 0
    links: int = 0
    failed: int = 0


def build(site=None, *, batch_size=100, progress=None):
    """Build or rebuild the inventory of every site (or one ``Site``): every
    live page is rendered, its entries replaced, and entries of pages that
    are no longer live are removed. ``progress(done, total)`` is called as
    pages are done. Returns the ``Totals``."""
    from wagtail.models import Site

    from .sources import page_model

    Page = page_model()
    sites = {s.pk: s for s in Site.objects.all()}
    roots = [sites[site.pk]] if site is not None else list(sites.values())
    ids = set()
    for root in roots:
        ids.update(
            Page.objects.live()
            .descendant_of(root.root_page, inclusive=True)
            .values_list("pk", flat=True)
        )
    ids = sorted(ids)
    totals = Totals()
    handler = _handler()
    cache = _SiteRoots()
    served = set()
    done = 0
    if progress:
        progress(0, len(ids))
    for chunk in _chunks(ids, batch_size):
        pages = {}
        for page in Page.objects.filter(pk__in=chunk).order_by("path").specific():
            target = _url_of(page, cache)
            if target is None or (site is not None and target[0] != site.pk):
                continue
            site_id, url = target
            served.add(page.pk)
            try:
                entries = page_links(page, sites[site_id], url, handler)
            except RenderError:
                logger.warning("Link inventory: page %s could not be rendered", page.pk)
                totals.failed += 1
                continue
            pages[page.pk] = (site_id, entries)
            totals.pages += 1
            totals.links += len(entries)
        save(pages)
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    # Entries of pages that are not served any more (unpublished or deleted
    # while no signal could tell, or before the inventory existed).
    stale = Placement.objects.all()
    if site is not None:
        stale = stale.filter(site_id=site.pk)
    gone = set(stale.values_list("page_id", flat=True).distinct()) - served
    forget(sorted(gone))
    return totals
