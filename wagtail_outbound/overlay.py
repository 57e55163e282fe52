"""Clicks where editors look: a page's outbound clicks drawn on its own links,
in Wagtail's preview panel and on the live page.

Both come with Wagtail's userbar (``{% wagtailuserbar %}`` in the page's
template): for a user who may see the reports and explore the page,
:class:`OverlayItem` adds an "Outbound clicks" toggle to the userbar and loads
``overlay/overlay.js``. The script sends the page's link addresses to the
admin endpoint (``views/overlay.py``); :func:`page_clicks` matches them to
stored clicks here, by the URL a click on each would store, so the browser
and the server never need to agree on normalisation. Why the userbar: it is
the one hook that reaches both the preview (which ``on_serve_page`` never
sees) and the live page, on Wagtail 7.0 and 8 alike, and it is only rendered
for users of the admin.
"""

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.admin.userbar import BaseItem
from wagtail.permission_policies.pages import PagePermissionPolicy

from . import inventory, periods, stats
from .menu import page_report_url
from .models import OTHER_URL, Link, fingerprint
from .page_links import Rules
from .permissions import user_can_view_reports
from .tables import is_web_url

# The periods an editor can pick, in days; the first view shows the default.
PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30
# Link addresses one request may ask about (the script sends more in several
# requests, each URL short enough for any server and proxy).
MAX_URLS = 100
# Clicked links listed for a page, most clicked first.
MAX_LINKS = 500
# How long the live page's links, read when the inventory has none, are kept.
LIVE_LINKS_SECONDS = 24 * 3600
PERIOD_LABELS = {
    7: gettext_lazy("Last 7 days"),
    30: gettext_lazy("Last 30 days"),
    90: gettext_lazy("Last 90 days"),
}


def may_see_page(user, page):
    """Whether ``user`` may see ``page``'s outbound clicks: the report
    permission, and the page among those Wagtail lets them explore."""
    return (
        user_can_view_reports(user)
        and PagePermissionPolicy()
        .explorable_instances(user)
        .filter(pk=page.pk)
        .exists()
    )


def page_filters(page, site, days):
    """The clicks from ``page`` on ``site`` in the last ``days`` days."""
    start, end = periods.last_days(days)
    return stats.Filters(site=site, start=start, end=end, page=page.pk)


# ---------------------------------------------------------------------------
# The userbar item


class OverlayItem(BaseItem):
    """The userbar's "Outbound clicks" toggle, and the overlay's script.

    The script is in the item's own markup: Wagtail 7.0's userbar renders no
    item media, and a script the userbar moves into its shadow root runs
    there on both versions. Its settings are the button's data attributes.
    """

    template = template_name = "wagtail_outbound/userbar/overlay_item.html"

    def __init__(self, page):
        super().__init__()
        self.page = page

    def get_context_data(self, parent_context):
        # Wagtail 7.0 passes the request, Wagtail 8 the template's context.
        if isinstance(parent_context, HttpRequest):
            request = parent_context
        else:
            request = parent_context.get("request")
        profile = getattr(request.user, "wagtail_userprofile", None)
        return {
            "self": self,
            "request": request,
            "endpoint": reverse(
                "wagtail_outbound_reports:overlay", args=[self.page.pk]
            ),
            "script": static("wagtail_outbound/overlay/overlay.js"),
            "stylesheet": static("wagtail_outbound/overlay/overlay.css"),
            # Previews show the counts at once; the live page on demand.
            "preview": bool(getattr(request, "is_preview", False)),
            "theme": getattr(profile, "theme", "system"),
        }


def add_userbar_item(request, items, page=None):
    """``construct_wagtail_userbar``: the item, for permitted users only, on
    a saved page of a site (the userbar is only rendered for admin users)."""
    if (
        request is None
        or page is None
        or not getattr(page, "pk", None)
        or not may_see_page(request.user, page)
    ):
        return
    items.append(OverlayItem(page))


# ---------------------------------------------------------------------------
# The counts


def matcher(site, request_host=None):
    """A function giving the URL a click on a link stores, or None when no
    click on it is counted: the link inventory's rules (``page_links.Rules``,
    the collect endpoint's), and the host the request was made on is
    internal too, as the endpoint's own host is."""
    rules = Rules.for_site(site)

    def stored_url(href):
        identity = rules.identity(href)
        if identity is None:
            return None
        url, domain = identity
        if domain == request_host or not rules.is_outbound(domain):
            return None
        return url

    return stored_url


def clicked_links(filters, urls=(), limit=None):
    """``(rows, total)``: the links clicked from the page in the period, most
    clicked first (``{link_id, url, text, clicks}``, at most ``limit``, and
    those of ``urls`` beyond them), and the page's outbound clicks in the
    period."""
    limit = limit or MAX_LINKS
    ranked = stats.urls(filters).rows
    rows = list(ranked[:limit])
    if len(rows) == limit and urls:
        listed = {row["link_id"] for row in rows}
        wanted = Link.objects.filter(url_hash__in=map(fingerprint, urls))
        rows += [
            row
            for row in ranked.filter(link_id__in=wanted.values("pk"))
            if row["link_id"] not in listed
        ]
    links = Link.objects.filter(pk__in=[row["link_id"] for row in rows]).values(
        "pk", "url", "text"
    )
    links = {link["pk"]: link for link in links}
    for row in rows:
        row["url"] = links[row["link_id"]]["url"]
        row["text"] = links[row["link_id"]]["text"]
    return rows, stats.total(filters)


def live_urls(page, site):
    """The stored URLs of the outbound links the live ``page`` serves: the
    link inventory's, or read from the page when the inventory holds none
    for it (kept per published revision). Empty when the page is not live."""
    from django.core.cache import cache

    if not page.live or not page.full_url:
        return frozenset()
    held = [link_id for link_id, _where, _text in inventory.links_of(page.pk)]
    if held:
        return frozenset(Link.objects.filter(pk__in=held).values_list("url", flat=True))
    key = f"wagtail_outbound:live_links:{page.pk}:{page.live_revision_id}"
    urls = cache.get(key)
    if urls is None:
        try:
            entries = inventory.page_links(page.specific, site, page.full_url)
        except inventory.RenderError:
            return frozenset()
        urls = frozenset(entry.url for entry in entries)
        cache.set(key, urls, LIVE_LINKS_SECONDS)
    return urls


def _percent(clicks, total):
    if not total or not clicks:
        return "0%"
    share = 100 * clicks / total
    return "<1%" if share < 1 else f"{round(share)}%"


def _label(clicks, percent, days):
    return ngettext(
        "%(clicks)s click in the last %(days)s days, %(percent)s of this "
        "page's outbound clicks",
        "%(clicks)s clicks in the last %(days)s days, %(percent)s of this "
        "page's outbound clicks",
        clicks,
    ) % {"clicks": clicks, "days": days, "percent": percent}


def page_clicks(page, site, days, hrefs=(), *, draft=False, request_host=None):
    """What the overlay shows for ``page`` over the last ``days`` days.

    ``hrefs`` are the absolute addresses of the links on the page as the
    browser shows it; each one a click would be counted on is answered in
    ``matches`` with its clicks, share and label (0 when never clicked).
    ``links`` are all the links clicked from the page in the period: the
    script lists those that no address matched as no longer on the page.
    With ``draft`` (the preview of a draft), a link the live page does not
    serve is marked ``new``.
    """
    match = matcher(site, request_host)
    urls = {href: match(href) for href in hrefs}
    urls = {href: url for href, url in urls.items() if url is not None}
    filters = page_filters(page, site, days)
    rows, total = clicked_links(filters, urls=set(urls.values()))
    by_url = {row["url"]: row for row in rows if row["url"] != OTHER_URL}
    live = live_urls(page, site) if draft else frozenset()
    matches = {}
    for href, url in urls.items():
        row = by_url.get(url)
        clicks = row["clicks"] if row else 0
        percent = _percent(clicks, total)
        matches[href] = {
            "link": row["link_id"] if row else None,
            "clicks": clicks,
            "percent": percent,
            "new": draft and url not in live,
            "label": _label(clicks, percent, days),
        }
    links = []
    for row in rows:
        # Clicks over the daily budget of new links (``budget``) count in the
        # total; no link of the page is theirs, so none is listed.
        if row["url"] == OTHER_URL:
            continue
        percent = _percent(row["clicks"], total)
        links.append(
            {
                "link": row["link_id"],
                "url": row["url"],
                # Only web addresses become links in the summary.
                "href": row["url"] if is_web_url(row["url"]) else None,
                "text": row["text"],
                "clicks": row["clicks"],
                "percent": percent,
                "label": _label(row["clicks"], percent, days),
            }
        )
    return {
        "page": page.pk,
        "days": days,
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "total": total,
        "matches": matches,
        "links": links,
        "text": _texts(page, days, total, draft),
    }


def _texts(page, days, total, draft):
    """The overlay's words, in the user's admin language."""
    return {
        "title": _("Outbound clicks"),
        "period": _("Period"),
        "periods": [[value, str(PERIOD_LABELS[value])] for value in PERIODS],
        "total": ngettext(
            "%(total)s outbound click from this page in the last %(days)s days",
            "%(total)s outbound clicks from this page in the last %(days)s days",
            total,
        )
        % {"total": total, "days": days},
        "gone": _("Clicked, not in this draft")
        if draft
        else _("Clicked, no longer on this page"),
        "new": _("New"),
        "new_label": _("New link: not on the live page"),
        "untracked": _("Not tracked"),
        "report": _("Open the Exit pages report"),
        "report_url": page_report_url(page),
    }
