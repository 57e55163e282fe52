from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from . import views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("outbound/", include("wagtail_outbound.urls")),
    path("plain/", views.plain_view, name="plain"),
    path("plain-json/", views.plain_json, name="plain-json"),
    path("", include(wagtail_urls)),
]
