"""The tracker's ``<script>`` tag: added to every HTML page Wagtail serves, and
nowhere it must not be."""

import re

import pytest
from csp.constants import NONCE, SELF
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse
from wagtail.models import PageViewRestriction, Site
from wagtail.test.utils.form_data import querydict_from_html

from tests.testapp.models import ArticlePage, OddResponsePage
from wagtail_outbound import injection
from wagtail_outbound.models import OutboundSettings

SCRIPT_TAG = re.compile(rb"<script\b[^>]*\bdata-outbound-collect=[^>]*></script>")


def tracker_tags(response):
    return SCRIPT_TAG.findall(response.content)


def the_tag(response):
    [tag] = tracker_tags(response)
    return tag.decode()


def add_page(parent, page):
    return parent.add_child(instance=page)


@pytest.fixture
def odd_page(home):
    def make(kind):
        return add_page(
            home, OddResponsePage(title=kind, slug=f"{kind}-page", kind=kind)
        )

    return make


def test_wagtail_page_gets_one_deferred_external_script_before_body_end(client, home):
    response = client.get(home.url)
    assert response.status_code == 200
    tag = the_tag(response)
    assert tag.startswith("<script defer ")
    assert 'src="/static/wagtail_outbound/tracker.min.js"' in tag
    assert 'data-outbound-collect="/outbound/collect/"' in tag
    assert f'data-outbound-page="{home.pk}"' in tag
    # Right before the last </body>, with no inline JavaScript anywhere.
    assert response.content.rstrip().endswith(tag.encode() + b"</body>\n</html>")
    assert re.findall(rb"<script[^>]*>([^<]+)</script>", response.content) == []


def test_tag_carries_the_sites_internal_and_excluded_domains(client, site, home):
    OutboundSettings.objects.create(
        site=site,
        internal_domains="*.shop.example",
        excluded_domains="ads.example",
        respect_privacy_signals=False,
    )
    tag = the_tag(client.get(home.url))
    assert 'data-outbound-internal="testserver www.testserver *.shop.example"' in tag
    assert 'data-outbound-exclude="ads.example"' in tag
    assert 'data-outbound-dnt="0"' in tag


def test_default_tag_has_no_dnt_override(client, home):
    assert "data-outbound-dnt" not in the_tag(client.get(home.url))


def test_plain_http_response_page_gets_the_tag(client, odd_page):
    page = odd_page("plain")
    response = client.get(page.url)
    assert response.content.startswith(b"<html><body><p>plain</p><script defer")
    assert response.content.endswith(b"</script></body></html>")
    assert len(tracker_tags(response)) == 1


@pytest.mark.parametrize("kind", ["json", "nobody"])
def test_responses_that_are_not_html_pages_are_left_alone(client, odd_page, kind):
    page = odd_page(kind)
    expected = page.serve(RequestFactory().get("/")).content
    response = client.get(page.url)
    assert response.content == expected
    assert b"data-outbound" not in response.content


def test_streaming_response_is_left_alone(client, odd_page):
    response = client.get(odd_page("streaming").url)
    assert response.streaming
    assert b"".join(response.streaming_content) == b"<html><body>x</body></html>"


def test_tag_goes_before_the_last_body_end_only():
    response = HttpResponse("<body><script>'</body>'</script>\n</BODY>")
    injection.insert_tag(response, "<script defer data-outbound-collect></script>")
    assert response.content == (
        b"<body><script>'</body>'</script>\n"
        b"<script defer data-outbound-collect></script></BODY>"
    )


def test_content_length_follows_the_new_content():
    response = HttpResponse("<body></body>")
    response["Content-Length"] = "13"
    injection.insert_tag(response, "<script data-outbound-collect></script>")
    assert response["Content-Length"] == str(len(response.content))


@pytest.mark.parametrize(
    ("content_type", "headers", "expected"),
    [
        ("text/html; charset=utf-8", {}, 1),
        ("application/xhtml+xml", {}, 1),
        ("TEXT/HTML", {}, 1),
        ("text/plain", {}, 0),
        ("application/json", {}, 0),
        ("text/html", {"Content-Encoding": "gzip"}, 0),
    ],
)
def test_only_uncompressed_html_is_changed(home, content_type, headers, expected):
    request = RequestFactory().get("/")
    response = HttpResponse("<html><body></body></html>", content_type=content_type)
    for name, value in headers.items():
        response[name] = value
    injection.add_tracker(response, request, home)
    assert len(tracker_tags(response)) == expected


def test_password_restricted_page_shows_its_form_without_the_tag(client, home):
    page = add_page(home, ArticlePage(title="Secret", slug="secret"))
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="opensesame"
    )
    response = client.get(page.url)
    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert tracker_tags(response) == []

    # Once the visitor is let in, the page itself is tracked.
    client.post(
        reverse(
            "wagtailcore_authenticate_with_password", args=[restriction.pk, page.pk]
        ),
        {"password": "opensesame", "return_url": page.url},
    )
    assert len(tracker_tags(client.get(page.url))) == 1


def test_login_restricted_page_redirects_without_the_tag(client, home):
    page = add_page(home, ArticlePage(title="Members", slug="members"))
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get(page.url)
    assert response.status_code == 302
    assert tracker_tags(response) == []


def test_login_restricted_page_is_tracked_for_a_logged_in_visitor(admin_client, home):
    page = add_page(home, ArticlePage(title="Members", slug="members"))
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.LOGIN
    )
    assert len(tracker_tags(admin_client.get(page.url))) == 1


@pytest.mark.parametrize("use_template_tag", [False, True])
def test_admin_preview_gets_no_tag(admin_client, home, use_template_tag):
    home.use_template_tag = use_template_tag
    home.save_revision().publish()
    edit_url = reverse("wagtailadmin_pages:edit", args=[home.pk])
    data = querydict_from_html(
        admin_client.get(edit_url).content.decode(), form_id="page-edit-form"
    )
    data["title"] = "Previewed title"
    data.setdefault("content-count", "0")  # StreamField inputs are built by JS
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[home.pk])
    assert admin_client.post(preview_url, data).json()["is_valid"] is True

    response = admin_client.get(preview_url)
    assert b"Previewed title" in response.content
    # The tracker's marker and script: the overlay's userbar item may be there.
    assert b"data-outbound-collect" not in response.content
    assert b"tracker.min.js" not in response.content


def test_view_draft_gets_no_tag(admin_client, home):
    response = admin_client.get(
        reverse("wagtailadmin_pages:view_draft", args=[home.pk])
    )
    assert response.status_code == 200
    # The tracker's marker and script: the overlay's userbar item may be there.
    assert b"data-outbound-collect" not in response.content
    assert b"tracker.min.js" not in response.content


def test_template_tag_works_on_a_plain_django_view(client, site):
    response = client.get("/plain/")
    tag = the_tag(response)
    assert 'data-outbound-collect="/outbound/collect/"' in tag
    assert "data-outbound-page" not in tag
    assert 'data-outbound-internal="testserver www.testserver"' in tag


def test_template_tag_and_hook_on_one_page_give_one_tag(client, home):
    home.use_template_tag = True
    home.save_revision().publish()
    response = client.get(home.url)
    tag = the_tag(response)
    assert f'data-outbound-page="{home.pk}"' in tag
    # The template tag's own position is kept, not a second copy before </body>.
    assert b"</script>\n</body>" in response.content


def test_page_text_mentioning_the_marker_still_gets_the_tag(client, home):
    home.body = "<p>Configure data-outbound-collect like this.</p>"
    home.save_revision().publish()
    assert len(tracker_tags(client.get(home.url))) == 1


def test_page_switched_off_gets_no_tag_from_hook_or_template_tag(client, home):
    home.track_outbound_clicks = False
    home.use_template_tag = True
    home.save_revision().publish()
    assert tracker_tags(client.get(home.url)) == []


def test_site_with_tracking_off_gets_no_tag(client, site, home):
    OutboundSettings.objects.create(site=site, enabled=False)
    assert tracker_tags(client.get(home.url)) == []
    assert tracker_tags(client.get("/plain/")) == []


def test_settings_change_reaches_the_next_page_view(client, site, home):
    assert len(tracker_tags(client.get(home.url))) == 1  # settings now cached
    settings = OutboundSettings.for_site(site)
    settings.enabled = False
    settings.save()
    assert tracker_tags(client.get(home.url)) == []


def test_site_hostname_change_reaches_the_next_plain_view(client, site):
    assert "testserver" in the_tag(client.get("/plain/"))  # site now cached
    site.hostname = "renamed.test"
    site.save()
    assert 'data-outbound-internal="renamed.test' in the_tag(client.get("/plain/"))


CSP = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}


@override_settings(CONTENT_SECURITY_POLICY=CSP)
@pytest.mark.parametrize("path", ["home", "/plain/"])
def test_csp_nonce_from_django_csp_is_added(client, home, settings, path):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "csp.middleware.CSPMiddleware"]
    response = client.get(home.url if path == "home" else path)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce, response["Content-Security-Policy"]
    assert f'nonce="{nonce.group(1)}"' in the_tag(response)


def test_no_nonce_attribute_without_a_csp_middleware(client, home):
    assert "nonce" not in the_tag(client.get(home.url))


def test_pages_still_work_when_the_url_line_is_missing(client, home, settings):
    settings.ROOT_URLCONF = "tests.testapp.urls_without_outbound"
    response = client.get(home.url)
    assert response.status_code == 200
    assert tracker_tags(response) == []


def test_injection_makes_no_database_query(home, django_assert_num_queries):
    request = RequestFactory().get("/")
    Site.find_for_request(request)  # done by Wagtail's serve view already
    serve = injection.serve_with_tracker(
        lambda page, request, args, kwargs: TemplateResponse(
            request, "testapp/article_page.html", {"page": page}
        )
    )
    serve(home, request, (), {}).render()  # warm-up: fills the settings cache
    request = RequestFactory().get("/")
    Site.find_for_request(request)
    with django_assert_num_queries(0):
        response = serve(home, request, (), {}).render()
    assert len(tracker_tags(response)) == 1


def test_plain_view_with_the_template_tag_makes_no_database_query(
    client, site, django_assert_num_queries
):
    client.get("/plain/")  # warm-up: fills the site and settings caches
    with django_assert_num_queries(0):
        response = client.get("/plain/")
    assert len(tracker_tags(response)) == 1
