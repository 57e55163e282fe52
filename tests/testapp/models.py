from django.db import models
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from wagtail.admin.panels import FieldPanel
from wagtail.blocks import RichTextBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from wagtail_outbound.models import OutboundTrackingMixin


class ArticlePage(OutboundTrackingMixin, Page):
    """A page rendered from a template with rich text, like most Wagtail sites."""

    body = RichTextField(blank=True)
    content = StreamField([("text", RichTextBlock())], blank=True)
    links = models.TextField(blank=True, help_text="Raw HTML of extra links.")
    use_template_tag = models.BooleanField(default=False)

    template = "testapp/article_page.html"

    content_panels = [*Page.content_panels, FieldPanel("body"), FieldPanel("content")]


class OddResponsePage(Page):
    """Serves the response kinds the hook must leave alone."""

    kind = models.CharField(max_length=20, default="json")

    def serve(self, request, *args, **kwargs):
        if self.kind == "json":
            return JsonResponse({"html": "</body>"})
        if self.kind == "streaming":
            return StreamingHttpResponse(iter([b"<html><body>x", b"</body></html>"]))
        if self.kind == "nobody":
            return HttpResponse("<p>fragment without a body end</p>")
        # A plain (not template) HTML response.
        return HttpResponse("<html><body><p>plain</p></body></html>")
