from django.urls import path

from .views.collect import collect

app_name = "wagtail_outbound"

urlpatterns = [
    path("collect/", collect, name="collect"),
]
