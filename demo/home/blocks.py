from django.utils.translation import gettext_lazy as _
from wagtail import blocks


class LinkButtonBlock(blocks.StructBlock):
    """A call-to-action link whose tracking an editor controls: the seed's
    affiliate pattern (event and category) and its no-track attribute."""

    url = blocks.URLBlock(label=_("URL"))
    text = blocks.CharBlock(label=_("text"), max_length=255)
    event = blocks.CharBlock(
        label=_("event"),
        required=False,
        max_length=64,
        help_text=_("Stored with each click, e.g. affiliate_click."),
    )
    category = blocks.CharBlock(
        label=_("category"),
        required=False,
        max_length=64,
        help_text=_("Stored with each click, e.g. conversion."),
    )
    track = blocks.BooleanBlock(label=_("count clicks"), required=False, default=True)

    class Meta:
        icon = "link-external"
        template = "home/blocks/link_button.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label=_("heading"), form_classname="title")
    paragraph = blocks.RichTextBlock(label=_("paragraph"))
    link_button = LinkButtonBlock(label=_("link button"))
