"""A project URLconf mounting wagtail-outbound under another prefix."""

from django.urls import include, path
from wagtail import urls as wagtail_urls

urlpatterns = [
    path("stats/clicks/", include("wagtail_outbound.urls")),
    path("", include(wagtail_urls)),
]
