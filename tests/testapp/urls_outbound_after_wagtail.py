"""A project URLconf with wagtail-outbound's line after Wagtail's catch-all,
which then serves its URLs as pages (system check E002)."""

from django.urls import include, path
from wagtail import urls as wagtail_urls

urlpatterns = [
    path("", include(wagtail_urls)),
    path("outbound/", include("wagtail_outbound.urls")),
]
