"""Which page served a click: decided by the server, never by the beacon.

A beacon names the path it came from; anyone can forge that path and any page
id. For each path of a batch the server finds the Wagtail page of the site
that serves it: the page whose URL path is the site root's plus this path, or
the nearest routable ancestor (``RoutablePageMixin`` serves its sub-paths).
A click is not counted when that page is not live, is private (a view
restriction on it or an ancestor) or has its tracking switch off, whatever the
beacon says. A path that no page serves (a plain Django view using the
template tag, or a made-up path) counts with no page.
"""

import dataclasses

from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import PageViewRestriction, Site

# Deeper paths are not matched to pages (each level is one candidate).
MAX_DEPTH = 32


def page_model():
    try:
        import swapper  # Wagtail 8: the page model is swappable.
    except ImportError:
        from wagtail.models import Page

        return Page
    return swapper.load_model("wagtailcore", "Page")


@dataclasses.dataclass(frozen=True)
class Verdict:
    page_id: int | None
    counted: bool


NO_PAGE = Verdict(None, True)


def resolve(clicks):
    """``{(site id, path): Verdict}`` for every click's site and path."""
    verdicts = {}
    untrusted = set()
    for click in clicks:
        key = (click.site_id, click.path)
        if click.trusted:
            verdicts[key] = Verdict(click.page_id, True)
        else:
            untrusted.add(key)
    roots = dict(
        Site.objects.filter(pk__in={site_id for site_id, _path in untrusted})
        .values_list("pk", "root_page__url_path")
        .order_by()
    )
    candidates = {}
    for site_id, path in untrusted:
        root = roots.get(site_id)
        if root is None or not path.startswith("/"):
            verdicts[site_id, path] = NO_PAGE
            continue
        candidates[site_id, path] = _url_paths(root, path)
    pages = _pages({url for urls in candidates.values() for url in urls})
    for key, urls in candidates.items():
        verdicts[key] = _verdict(urls, pages)
    return verdicts


def _url_paths(root, path):
    """The page URL paths that may serve ``path`` under a site root, the
    exact one first, then its ancestors up to the root."""
    parts = [part for part in path.split("/") if part][:MAX_DEPTH]
    exact = root + "".join(f"{part}/" for part in parts)
    urls = [exact]
    for depth in range(len(parts) - 1, -1, -1):
        urls.append(root + "".join(f"{part}/" for part in parts[:depth]))
    if path.rstrip("/").count("/") > MAX_DEPTH:
        urls = urls[1:]  # too deep to be served exactly
    return urls


def _pages(url_paths):
    """``{url_path: page}`` with what a verdict needs."""
    if not url_paths:
        return {}
    # Specific pages: the tracking switch is a field of the page's own model.
    pages = list(page_model().objects.filter(url_path__in=url_paths).specific())
    restricted = _restricted_paths(pages)
    found = {}
    for page in pages:
        page.outbound_private = any(page.path.startswith(p) for p in restricted)
        found[page.url_path] = page
    return found


def _restricted_paths(pages):
    """Tree paths of the pages among ``pages`` and their ancestors that have
    a view restriction."""
    steps = page_model().steplen
    ancestors = {
        page.path[:length]
        for page in pages
        for length in range(steps, len(page.path) + 1, steps)
    }
    return set(
        PageViewRestriction.objects.filter(page__path__in=ancestors).values_list(
            "page__path", flat=True
        )
    )


def _verdict(urls, pages):
    exact = pages.get(urls[0])
    if exact is not None:
        return _page_verdict(exact)
    for url in urls[1:]:
        page = pages.get(url)
        if page is None:
            continue
        if isinstance(page, RoutablePageMixin):  # it serves its sub-paths
            return _page_verdict(page)
        return NO_PAGE
    return NO_PAGE


def _page_verdict(page):
    counted = (
        page.live
        and not page.outbound_private
        and getattr(page, "track_outbound_clicks", True)
    )
    return Verdict(page.pk, bool(counted))
