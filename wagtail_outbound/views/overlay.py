"""The overlay's endpoint: one page's outbound clicks, as JSON, for the counts
drawn on its links (``overlay.py``, ``static/wagtail_outbound/overlay/``).

    GET /admin/outbound/overlay/<page id>/?days=30&url=https://...&url=...

Wagtail's admin URLs already require a logged-in admin user. Every call also
checks the report permission, that the page belongs to a site and that the
user may explore it in the admin (pages of a site outside the user's part of
the tree are refused). Answers 400 for bad parameters, 403 and 404 as JSON,
never 500 for anything a client sends.
"""

from django.http import JsonResponse
from django.http.request import split_domain_port
from django.views.decorators.http import require_GET

from .. import overlay
from ..domains import normalise_host
from ..permissions import user_can_view_reports
from ..sources import page_model


# Wagtail's admin views are never cached: the answers carry its no-store.
def _error(status, message):
    return JsonResponse({"error": message}, status=status)


def _days(value):
    try:
        days = int(value)
    except (TypeError, ValueError):
        return None
    return days if days in overlay.PERIODS else None


@require_GET
def page_clicks(request, page_id):
    if not user_can_view_reports(request.user):
        return _error(403, "permission denied")
    days = _days(request.GET.get("days", overlay.DEFAULT_DAYS))
    if days is None:
        return _error(
            400, "days must be one of " + ", ".join(map(str, overlay.PERIODS))
        )
    hrefs = request.GET.getlist("url")
    if len(hrefs) > overlay.MAX_URLS:
        return _error(400, f"at most {overlay.MAX_URLS} url parameters")
    # Django finds nothing, without an error, for ids out of the column's range.
    page = page_model().objects.filter(pk=page_id).first()
    site = page.get_site() if page is not None else None
    if site is None:
        return _error(404, "no such page on any site")
    if not overlay.may_see_page(request.user, page):
        return _error(403, "permission denied")
    return JsonResponse(
        overlay.page_clicks(
            page,
            site,
            days,
            hrefs,
            draft=request.GET.get("draft") == "1",
            request_host=normalise_host(split_domain_port(request.get_host())[0]),
        )
    )
