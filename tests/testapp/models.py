from django.db import models
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.blocks import (
    CharBlock,
    ListBlock,
    RawHTMLBlock,
    RichTextBlock,
    StructBlock,
    URLBlock,
)
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

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


class LinkBlock(StructBlock):
    url = URLBlock()
    text = CharBlock(required=False)

    class Meta:
        template = "testapp/blocks/link.html"


class LinkedPage(Page):
    """Links in every place a page can hold them: StreamField blocks of each
    kind, a URL field, inline links and its template's navigation and footer
    (the link inventory's tests)."""

    website = models.URLField(blank=True)
    body = StreamField(
        [
            ("paragraph", RichTextBlock()),
            ("link", LinkBlock()),
            ("url", URLBlock()),
            ("html", RawHTMLBlock()),
            ("table", TableBlock(table_options={"renderer": "html"})),
            ("links", ListBlock(LinkBlock())),
        ],
        blank=True,
    )

    template = "testapp/linked_page.html"


class RelatedLink(Orderable):
    page = ParentalKey(LinkedPage, on_delete=models.CASCADE, related_name="related")
    url = models.URLField()
    title = models.CharField(max_length=255, blank=True)
