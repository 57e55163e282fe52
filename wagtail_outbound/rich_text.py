"""The ``outbound-no-track`` rich-text feature: editors mark a link as not tracked.

In Draftail it is an inline style, stored in the database as
``<span data-outbound-no-track="true">…</span>`` inside the link. An inline
style survives every save/load round trip and nests inside ``<a>``; an extra
attribute on the link entity would need core's link feature replaced. The
front end renders the span unchanged, and the tracker skips any link that
contains or sits inside it.

Its toolbar button is a Draftail control (admin/no-track.js) rather than the
inline style's own button, which Draftail would place before Bold: controls
come after the link buttons.
"""

from django.forms import Media, Script
from django.utils.translation import gettext_lazy as _
from wagtail.admin.rich_text.converters.html_to_contentstate import (
    InlineStyleElementHandler,
)
from wagtail.admin.rich_text.editors.draftail.features import Feature
from wagtail.admin.staticfiles import versioned_static

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


TITLE = _("No tracking")


class NoTrackFeature(Feature):
    """The inline style, without a button of its own, and the control whose
    icon button toggles it."""

    def __init__(self):
        super().__init__(css={"all": ["wagtail_outbound/admin/no-track.css"]})

    def construct_options(self, options):
        # No icon and no label: Draftail keeps and draws the style but shows
        # no button for it.
        options.setdefault("inlineStyles", []).append(
            {"type": STYLE, "style": EDITOR_STYLE}
        )
        options.setdefault("controls", []).append({"type": STYLE})

    @property
    def media(self):
        # The control's JavaScript cannot read the editor's options: its
        # translated tooltip travels on its script tag.
        script = Script(
            versioned_static("wagtail_outbound/admin/no-track.js"),
            **{"data-title": str(TITLE)},
        )
        return super().media + Media(js=[script])


def register(features):
    """Register the feature and turn it on wherever default features are used.

    Call it after Wagtail's own features are registered (``order`` of the
    hook), so that it can follow "link" in the default features.
    """
    features.register_editor_plugin("draftail", FEATURE, NoTrackFeature())
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
    if FEATURE not in features.default_features:
        defaults = features.default_features
        after = defaults.index("link") + 1 if "link" in defaults else len(defaults)
        defaults.insert(after, FEATURE)
