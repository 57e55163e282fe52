"""The per-page "Track outbound link clicks" switch (OutboundTrackingMixin)."""

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import querydict_from_html

from tests.testapp.models import ArticlePage
from wagtail_outbound.models import OutboundTrackingMixin


@pytest.fixture
def partner(home):
    page = home.add_child(
        instance=ArticlePage(
            title="Partner",
            slug="partner",
            body='<p><a href="https://partner.example/">Partner</a></p>',
        )
    )
    page.save_revision().publish()
    return page


def test_switch_is_on_by_default():
    assert ArticlePage._meta.get_field("track_outbound_clicks").default is True
    assert issubclass(ArticlePage, OutboundTrackingMixin)


def test_switch_is_in_the_settings_tab_of_the_page_editor(admin_client, partner):
    html = admin_client.get(
        reverse("wagtailadmin_pages:edit", args=[partner.pk])
    ).content.decode()
    settings_tab = html[html.index('id="tab-settings"') :]
    assert 'name="track_outbound_clicks"' in settings_tab
    assert "Track outbound link clicks" in settings_tab
    assert "such as partner or advertising pages" in settings_tab


@pytest.mark.parametrize("use_template_tag", [False, True])
def test_page_with_the_switch_off_gets_no_tracker(client, partner, use_template_tag):
    partner.track_outbound_clicks = False
    partner.use_template_tag = use_template_tag
    partner.save_revision().publish()
    html = client.get(partner.url).content.decode()
    assert "data-outbound-collect" not in html
    assert "tracker.min.js" not in html
    # Other pages keep theirs.
    assert "data-outbound-collect" in client.get("/").content.decode()


def test_editor_turns_tracking_off_and_on_again(admin_client, client, partner):
    url = reverse("wagtailadmin_pages:edit", args=[partner.pk])

    def publish(track):
        response = admin_client.get(url)
        data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
        # An unticked checkbox is simply absent from the submitted form.
        data.pop("track_outbound_clicks", None)
        if track:
            data["track_outbound_clicks"] = "on"
        data["content-count"] = "0"  # the empty StreamField, drawn by JavaScript
        data["action-publish"] = "action-publish"
        assert admin_client.post(url, data).status_code == 302

    publish(track=False)
    assert ArticlePage.objects.get(pk=partner.pk).track_outbound_clicks is False
    assert b"data-outbound-collect" not in client.get(partner.url).content
    publish(track=True)
    assert ArticlePage.objects.get(pk=partner.pk).track_outbound_clicks is True
    assert b"data-outbound-collect" in client.get(partner.url).content
