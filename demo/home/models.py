"""Demo page types. Every one uses OutboundTrackingMixin, so editors get the
per-page "Track outbound link clicks" switch under the Settings tab."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from wagtail_outbound.models import OutboundTrackingMixin

from .blocks import BodyBlock


class HomePage(OutboundTrackingMixin, Page):
    intro = RichTextField(_("intro"), blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count = 1
    subpage_types = ["home.ContentPage", "home.BlogIndexPage"]


class ContentPage(OutboundTrackingMixin, Page):
    intro = RichTextField(_("intro"), blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    subpage_types = ["home.ContentPage"]


class BlogIndexPage(OutboundTrackingMixin, Page):
    intro = RichTextField(_("intro"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["home.BlogPage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["posts"] = (
            BlogPage.objects.child_of(self).live().order_by("-date", "-pk")
        )
        return context


class BlogPage(OutboundTrackingMixin, Page):
    date = models.DateField(_("post date"))
    intro = RichTextField(_("intro"), blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    parent_page_types = ["home.BlogIndexPage"]
    subpage_types = []
