"""Admin URLs of the reports, mounted under /admin/outbound/ by wagtail_hooks.

Each tab has its page and its results alone, which the header's search and
filters fetch to refresh the listing in place (Wagtail's ``results_only``).
The overlay's endpoint answers one page's counts as JSON.
"""

from django.urls import path

from .views import overlay, reports

app_name = "wagtail_outbound_reports"

# Each tab: its URL prefix and view.
TABS = {
    "domains": ("", reports.DomainsView),
    "urls": ("urls/", reports.UrlsView),
    "pages": ("pages/", reports.ExitPagesView),
    "links": ("links/", reports.LinksView),
}

urlpatterns = [
    *[
        pattern
        for name, (prefix, view) in TABS.items()
        for pattern in (
            path(prefix, view.as_view(), name=name),
            path(
                f"{prefix}results/",
                view.as_view(results_only=True),
                name=f"{name}_results",
            ),
        )
    ],
    path("overlay/<int:page_id>/", overlay.page_clicks, name="overlay"),
]
