"""Admin URLs of the reports, mounted under /admin/outbound/ by wagtail_hooks."""

from django.urls import path

from .views import reports

app_name = "wagtail_outbound_reports"

urlpatterns = [
    path("", reports.DomainsView.as_view(), name="domains"),
    path("urls/", reports.UrlsView.as_view(), name="urls"),
    path("pages/", reports.ExitPagesView.as_view(), name="pages"),
]
