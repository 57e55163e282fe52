"""A project URLconf that forgot wagtail-outbound's line (system check E001)."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from . import views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("plain/", views.plain_view, name="plain"),
    path("", include(wagtail_urls)),
]
