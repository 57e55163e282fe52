"""Admin URLs of the reports, mounted under /admin/outbound/ by wagtail_hooks.

Each tab has its page and its results alone, which the header's search and
filters fetch to refresh the listing in place (Wagtail's ``results_only``).
The overlay's endpoint answers one page's counts as JSON.
"""

from django.urls import path

from .views import overlay, reports

app_name = "wagtail_outbound_reports"

urlpatterns = [
    path("", reports.DomainsView.as_view(), name="domains"),
    path(
        "results/",
        reports.DomainsView.as_view(results_only=True),
        name="domains_results",
    ),
    path("urls/", reports.UrlsView.as_view(), name="urls"),
    path(
        "urls/results/",
        reports.UrlsView.as_view(results_only=True),
        name="urls_results",
    ),
    path("pages/", reports.ExitPagesView.as_view(), name="pages"),
    path(
        "pages/results/",
        reports.ExitPagesView.as_view(results_only=True),
        name="pages_results",
    ),
    path("links/", reports.LinksView.as_view(), name="links"),
    path(
        "links/results/",
        reports.LinksView.as_view(results_only=True),
        name="links_results",
    ),
    path("overlay/<int:page_id>/", overlay.page_clicks, name="overlay"),
]
