"""The "No tracking" rich-text control (feature ``outbound-no-track``)."""

import json
import re

import pytest
from django.urls import reverse
from wagtail.admin.rich_text import DraftailRichTextArea
from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter
from wagtail.models import Page
from wagtail.rich_text import expand_db_html, features
from wagtail.test.utils.form_data import (
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)

from tests.testapp.models import ArticlePage
from wagtail_outbound.rich_text import FEATURE, STYLE

AD_URL = "https://ads.example.net/offer"
MARKED = f'<a href="{AD_URL}"><span data-outbound-no-track="true">Ad</span></a>'
MARKED_HTML = f"<p>Buy now: {MARKED}</p>"
PLAIN_HTML = f'<p>Buy now: <a href="{AD_URL}">Ad</a></p>'


def without_block_keys(html):
    return re.sub(r' data-block-key="[^"]*"', "", html)


def editor_state(html, feature_list=None):
    """What Draftail receives for ``html`` (the editor's JSON)."""
    return json.loads(DraftailRichTextArea(features=feature_list).format_value(html))


def no_track_ranges(state):
    return [
        (block["text"], style["offset"], style["length"])
        for block in state["blocks"]
        for style in block["inlineStyleRanges"]
        if style["style"] == STYLE
    ]


def stream_text(value):
    return [("text", value)]


@pytest.fixture
def article(home):
    """A published article with a marked link in its body and in a StreamField."""
    page = home.add_child(
        instance=ArticlePage(
            title="Offers",
            slug="offers",
            body=MARKED_HTML,
            content=stream_text(MARKED_HTML),
        )
    )
    page.save_revision().publish()
    return page


def test_feature_is_on_wherever_default_features_are_used():
    assert FEATURE in features.get_default_features()
    widget = DraftailRichTextArea()
    styles = [style["type"] for style in widget.options["inlineStyles"]]
    assert STYLE in styles
    assert "wagtail_outbound/admin/no-track.css" in str(widget.media)


def test_toolbar_control_says_what_it_does():
    widget = DraftailRichTextArea()
    (style,) = [s for s in widget.options["inlineStyles"] if s["type"] == STYLE]
    # No icon or label: the style gets no button among Bold and Italic...
    assert "icon" not in style and "label" not in style
    # ...its control draws one, after the link buttons (admin/no-track.js).
    assert {"type": STYLE} in widget.options["controls"]
    media = str(widget.media)
    assert "wagtail_outbound/admin/no-track.js" in media
    assert 'data-title="No tracking"' in media  # the button's tooltip
    # Draftail draws marked text with the theme-aware variables of no-track.css.
    assert style["style"]["outline"] == "var(--outbound-no-track-outline)"
    assert style["style"]["backgroundImage"] == "var(--outbound-no-track-icon)"


def test_feature_follows_link_in_the_default_features():
    defaults = features.get_default_features()
    assert defaults.index(FEATURE) == defaults.index("link") + 1
    assert defaults.count(FEATURE) == 1


def test_editor_format_to_database_to_front_end_and_back():
    converter = ContentstateConverter(features.get_default_features())
    state = {
        "blocks": [
            {
                "key": "a1b2c",
                "type": "unstyled",
                "depth": 0,
                "text": "Buy now: Ad",
                "inlineStyleRanges": [{"offset": 9, "length": 2, "style": STYLE}],
                "entityRanges": [{"offset": 9, "length": 2, "key": 0}],
            }
        ],
        "entityMap": {
            "0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": AD_URL}}
        },
    }

    stored = converter.to_database_format(json.dumps(state))
    assert without_block_keys(stored) == MARKED_HTML
    assert without_block_keys(expand_db_html(stored)) == MARKED_HTML

    reloaded = json.loads(converter.from_database_format(stored))
    assert no_track_ranges(reloaded) == [("Buy now: Ad", 9, 2)]
    assert reloaded["entityMap"]["0"]["data"]["url"] == AD_URL


def test_removing_the_mark_stores_a_plain_link():
    state = editor_state(MARKED_HTML)
    for block in state["blocks"]:
        block["inlineStyleRanges"] = []
    stored = DraftailRichTextArea().value_from_datadict(
        {"body": json.dumps(state)}, {}, "body"
    )
    assert without_block_keys(stored) == PLAIN_HTML


def test_mark_around_more_than_the_link_keeps_the_link_intact():
    html = (
        '<p><span data-outbound-no-track="true">'
        f'See <a href="{AD_URL}">Ad</a></span></p>'
    )
    stored = DraftailRichTextArea().value_from_datadict(
        {"body": json.dumps(editor_state(html))}, {}, "body"
    )
    assert without_block_keys(stored) == (
        '<p><span data-outbound-no-track="true">See </span>'
        f'<a href="{AD_URL}"><span data-outbound-no-track="true">Ad</span></a></p>'
    )


def test_field_with_an_explicit_feature_list_without_it_strips_the_mark():
    state = editor_state(MARKED_HTML, feature_list=["link"])
    assert no_track_ranges(state) == []
    stored = DraftailRichTextArea(features=["link"]).value_from_datadict(
        {"body": json.dumps(state)}, {}, "body"
    )
    assert without_block_keys(stored) == PLAIN_HTML


def test_front_end_renders_the_mark_unchanged_in_rich_text_field_and_stream_field(
    client, article
):
    html = client.get(article.url).content.decode()
    body = html.split('<div class="body">')[1].split("</div>")[0]
    content = html.split('<div class="content">')[1].split("</div>")[0]
    assert without_block_keys(body) == MARKED_HTML
    assert MARKED in content
    # The page is still tracked: only the marked link is skipped, by the tracker.
    assert "data-outbound-collect" in html


def test_editor_shows_the_mark_when_the_page_is_opened(admin_client, article):
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[article.pk]))
    text = html.content.decode()
    # Once for the RichTextField, once for the StreamField's RichTextBlock.
    assert text.count(STYLE) >= 2


def edit_form_data(admin_client, page):
    """The edit form exactly as the editor would submit it, unchanged."""
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    data = data.dict()
    # The StreamField is drawn by JavaScript, so its inputs are not in the HTML.
    stream_value = page.content[0].value.source
    data.update(
        nested_form_data({"content": streamfield(stream_text(rich_text(stream_value)))})
    )
    return data


@pytest.mark.parametrize("publish", [False, True], ids=["save draft", "publish"])
def test_mark_survives_saving_in_the_editor(admin_client, article, publish):
    data = edit_form_data(admin_client, article)
    data["title"] = "Offers, edited"
    if publish:
        data["action-publish"] = "action-publish"
    url = reverse("wagtailadmin_pages:edit", args=[article.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]

    saved = ArticlePage.objects.get(pk=article.pk).get_latest_revision_as_object()
    assert saved.title == "Offers, edited"
    assert without_block_keys(saved.body) == MARKED_HTML
    assert MARKED in without_block_keys(saved.content[0].value.source)
    live = ArticlePage.objects.get(pk=article.pk)
    assert (live.title == "Offers, edited") is publish
    assert without_block_keys(live.body) == MARKED_HTML
    assert admin_client.get(url).content.decode().count(STYLE) >= 2


def test_mark_survives_revisions_and_revert(admin_client, article):
    marked_revision = article.latest_revision
    article.body = PLAIN_HTML
    article.content = stream_text(PLAIN_HTML)
    article.save_revision().publish()
    assert "data-outbound-no-track" not in ArticlePage.objects.get(pk=article.pk).body

    old = marked_revision.as_object()
    assert without_block_keys(old.body) == MARKED_HTML
    assert MARKED in old.content[0].value.source
    # "Revert" in the admin opens the editor on the old revision.
    revert_url = reverse(
        "wagtailadmin_pages:revisions_revert", args=[article.pk, marked_revision.pk]
    )
    assert admin_client.get(revert_url).content.decode().count(STYLE) >= 2

    marked_revision.publish()
    live = ArticlePage.objects.get(pk=article.pk)
    assert without_block_keys(live.body) == MARKED_HTML
    assert MARKED in live.content[0].value.source


def test_mark_survives_copying_the_page(article):
    copy = article.copy(update_attrs={"slug": "offers-copy", "title": "Copy"})
    copy = Page.objects.get(pk=copy.pk).specific
    assert without_block_keys(copy.body) == MARKED_HTML
    assert MARKED in copy.content[0].value.source
    assert MARKED in without_block_keys(
        copy.get_latest_revision_as_object().content[0].value.source
    )
