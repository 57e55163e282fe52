"""A project whose base page model replaces Wagtail's (WAGTAIL_PAGE_MODEL)."""

from django.db import models
from wagtail.fields import RichTextField
from wagtail.models import AbstractPage

from wagtail_outbound.models import OutboundTrackingMixin


class BasePage(AbstractPage):
    """The project's own page model, used by Wagtail instead of ``Page``."""

    summary = models.CharField(max_length=255, blank=True)


class ArticlePage(OutboundTrackingMixin, BasePage):
    body = RichTextField(blank=True)

    template = "swapped/article_page.html"
