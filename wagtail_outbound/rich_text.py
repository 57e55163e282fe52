"""The ``outbound-no-track`` rich-text feature: editors mark a link as not tracked.

In Draftail it is an inline style, stored in the database as
``<span data-outbound-no-track="true">…</span>`` inside the link. An inline
style survives every save/load round trip and nests inside ``<a>``; an extra
attribute on the link entity would need core's link feature replaced. The
front end renders the span unchanged, and the tracker skips any link that
contains or sits inside it.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.rich_text.converters.html_to_contentstate import (
    InlineStyleElementHandler,
)
from wagtail.admin.rich_text.editors.draftail.features import InlineStyleFeature

FEATURE = "outbound-no-track"
STYLE = "OUTBOUND_NO_TRACK"
ATTRIBUTE = "data-outbound-no-track"

# How Draftail shows marked text. The values are CSS variables defined per
# theme in no-track.css, so the mark is visible in light and dark mode alike.
EDITOR_STYLE = {
    "outline": "var(--outbound-no-track-outline)",
    "outlineOffset": "1px",
    "paddingInlineEnd": "1.2em",
    "backgroundImage": "var(--outbound-no-track-icon)",
    "backgroundRepeat": "no-repeat",
    "backgroundPosition": "right 0.15em center",
    "backgroundSize": "0.9em",
}


def register(features):
    """Register the feature and turn it on wherever default features are used."""
    features.register_editor_plugin(
        "draftail",
        FEATURE,
        InlineStyleFeature(
            {
                "type": STYLE,
                "icon": "no-view",
                "label": _("No tracking"),
                "description": _("Don't track clicks on the selected link"),
                "style": EDITOR_STYLE,
            },
            css={"all": ["wagtail_outbound/admin/no-track.css"]},
        ),
    )
    features.register_converter_rule(
        "contentstate",
        FEATURE,
        {
            "from_database_format": {
                f"span[{ATTRIBUTE}]": InlineStyleElementHandler(STYLE),
            },
            "to_database_format": {
                "style_map": {STYLE: {"element": "span", "props": {ATTRIBUTE: "true"}}}
            },
        },
    )
    features.default_features.append(FEATURE)
