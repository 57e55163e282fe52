"""The link inventory: the outbound links every live page serves (``inventory``)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Page, Site
from wagtail.test.utils.form_data import querydict_from_html, rich_text

from tests import served
from tests.factories import beacon, send
from tests.testapp.models import ArticlePage, LinkedPage, RelatedLink
from wagtail_outbound import inventory, page_links
from wagtail_outbound.models import Link, OutboundSettings, Placement
from wagtail_outbound.site_config import SiteConfig

# What the LinkedPage below serves, as a click on each link stores it, and the
# field or block that holds it.
EXPECTED = {
    "https://docs.example.com/guide": "body.0",  # rich text, utm_* dropped
    "https://shop.example.com/item": "body.1.url",  # a struct block's URLBlock
    "https://example.org/plain": "body.2",  # a URLBlock
    "https://raw.example.net/x": "body.3",  # raw HTML
    "https://table.example.com/": "body.4.data.0.0",  # a table cell
    "https://list.example.com/one": "body.5.0.url",  # a list of link blocks
    "https://www.example.com/": "website",  # a URL field
    "https://related.example.com/": "related.0.url",  # an inline child
    "https://status.example.net/": "template",  # navigation
    "https://github.com/example/project": "template",  # footer
}

BODY = [
    {
        "type": "paragraph",
        "value": (
            '<p><a href="https://docs.example.com/guide?utm_source=news">Guide</a>'
            ' and <a href="/about/">our own page</a></p>'
        ),
    },
    {
        "type": "link",
        "value": {"url": "https://shop.example.com/item", "text": "Buy it"},
    },
    {"type": "url", "value": "https://example.org/plain"},
    {
        "type": "html",
        "value": (
            '<a href="https://raw.example.net/x">Raw</a>'
            '<a href="https://ads.example.org/no" data-insights-no-track>No</a>'
            '<a href="ftp://files.example.com/">Not http</a>'
        ),
    },
    {
        "type": "table",
        "value": {
            "data": [['<a href="https://table.example.com/">Cell</a>', "text"]],
            "first_row_is_table_header": False,
            "first_col_is_header": False,
        },
    },
    {
        "type": "links",
        "value": [{"url": "https://list.example.com/one", "text": "One"}],
    },
]


def make_linked_page(parent, slug="linked", body=BODY, **fields):
    page = parent.add_child(
        instance=LinkedPage(
            title="Linked",
            slug=slug,
            website="https://www.example.com/",
            body=json.dumps(body),
            **fields,
        )
    )
    RelatedLink.objects.create(
        page=page, url="https://related.example.com/", title="Related"
    )
    return page


def stored(page):
    """``{url: where}`` of the page's entries."""
    return dict(
        Placement.objects.filter(page_id=page.pk).values_list("link__url", "where")
    )


def publish(page, django_capture_on_commit_callbacks):
    """Publish a revision as an editor does; the inventory's task runs once
    the change is committed (the immediate backend runs it there)."""
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()


def served_links(client, page):
    """``{url: text}``: the outbound links a visitor gets on the page."""
    response = client.get(page.url)
    assert response.status_code == 200
    request = response.wsgi_request
    return served.served_links(
        response.content.decode(),
        request.build_absolute_uri(),
        Site.find_for_request(request),
    )


@pytest.fixture
def linked(home):
    return make_linked_page(home)


def test_every_kind_of_link_is_recorded_with_the_field_or_block_that_holds_it(
    linked,
):
    inventory.refresh_page(linked.pk)
    assert stored(linked) == EXPECTED


def test_the_inventory_matches_what_every_live_page_serves(client, site, linked):
    """Every live page rendered as a visitor gets it: its external links are
    exactly the page's entries."""
    hidden = make_linked_page(site.root_page, slug="draft")
    hidden.unpublish()
    call_command("outbound_inventory", "--no-progress", stdout=None)
    pages = Page.objects.live().descendant_of(site.root_page, inclusive=True)
    assert pages.count() == 2
    for page in pages.specific():
        texts = dict(
            Placement.objects.filter(page_id=page.pk).values_list("link__url", "text")
        )
        assert served_links(client, page) == texts, page
    assert set(stored(linked)) == set(EXPECTED)
    assert stored(hidden) == {}


def test_link_text_is_the_anchors_text(linked):
    inventory.refresh_page(linked.pk)
    texts = dict(
        Placement.objects.filter(page_id=linked.pk).values_list("link__url", "text")
    )
    assert texts["https://shop.example.com/item"] == "Buy it"
    assert texts["https://github.com/example/project"] == "Source code"
    # Links created by the inventory take that text until clicks vote.
    assert Link.objects.get(url="https://shop.example.com/item").text == "Buy it"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<a href="https://x.example/">  Read\n  the   docs </a>', "Read the docs"),
        ('<a href="https://x.example/" aria-label="Label"></a>', "Label"),
        ('<a href="https://x.example/" title="Title"> </a>', "Title"),
        ('<a href="https://x.example/"><img src="i.png" alt="Logo"></a>', "Logo"),
        ('<map><area href="https://x.example/" alt="Region"></map>', "Region"),
        ('<svg><a xlink:href="https://x.example/"><text>SVG</text></a></svg>', "SVG"),
        ('<a href="https://x.example/">' + "é" * 300 + "</a>", "é" * 255),
        ('<a href="https://x.example/">a\u200bb</a>', "ab"),
    ],
)
def test_link_text_is_what_the_tracker_sends(markup, expected):
    rules = page_links.Rules(
        site_hostname="testserver",
        config=SiteConfig(),
        max_length=2048,
    )
    found = page_links.outbound_links(markup, "https://testserver/", rules)
    assert found == {"https://x.example/": expected}


def test_internal_excluded_and_opted_out_links_are_not_recorded(site, home):
    OutboundSettings.objects.update_or_create(
        site=site,
        defaults={
            "internal_domains": "*.partner.example",
            "excluded_domains": "ads.example.com",
        },
    )
    home.links = (
        '<a href="https://shop.partner.example/x">internal domain</a>'
        '<a href="https://partner.example/">internal domain itself</a>'
        '<a href="https://ads.example.com/x">excluded</a>'
        '<a href="https://testserver/x">this site</a>'
        '<a href="http://www.testserver/x">its www twin</a>'
        '<a href="//www.testserver/y">scheme-relative, its www twin</a>'
        '<a href="/relative">relative</a>'
        '<a href="javascript:void(0)">script</a>'
        '<a href="https://kept.example.org/">kept</a>'
        '<div data-outbound-no-track><p><a href="https://a.example.org/">ancestor'
        "</a></p></div>"
        '<a href="https://b.example.org/"><span data-outbound-no-track="true">'
        "inside</span></a>"
        '<a href="https://c.example.org/" data-insights-no-track>on the link</a>'
        '<noscript><a href="https://d.example.org/">no script</a></noscript>'
    )
    home.body = ""
    home.save()
    inventory.refresh_page(home.pk)
    assert set(stored(home)) == {"https://kept.example.org/"}


def test_the_opt_out_ends_with_its_element(home):
    home.body = ""
    home.links = (
        '<div data-outbound-no-track><a href="https://a.example.org/">a</a></div>'
        '<a href="https://b.example.org/">b</a>'
    )
    home.save()
    inventory.refresh_page(home.pk)
    assert set(stored(home)) == {"https://b.example.org/"}


def test_base_href_is_honoured_like_the_tracker_does(home):
    home.body = ""
    home.links = '<base href="https://elsewhere.example.org/docs/"><a href="a">a</a>'
    home.save()
    inventory.refresh_page(home.pk)
    assert set(stored(home)) == {"https://elsewhere.example.org/docs/a"}


def test_site_query_string_rules_apply(site, home):
    OutboundSettings.objects.update_or_create(
        site=site, defaults={"query_strings": "drop_all"}
    )
    home.body = '<p><a href="https://example.org/p?id=3&amp;x=1#top">P</a></p>'
    home.save()
    inventory.refresh_page(home.pk)
    assert stored(home) == {"https://example.org/p": "body"}


def test_a_link_has_the_identity_a_click_on_it_stores(client, home):
    href = "HTTPS://Example.COM:443/docs/?utm_source=x&page=2#part"
    home.body = f'<p><a href="{href}">Docs</a></p>'
    home.save()
    inventory.refresh_page(home.pk)
    placed = Placement.objects.get(page_id=home.pk)
    # The tracker sends the href as the browser resolved it, without the hash.
    send(client, beacon("https://example.com/docs/?utm_source=x&page=2", text="Docs"))
    clicked = Link.objects.get(daily__isnull=False)
    assert clicked.pk == placed.link_id
    assert clicked.url == "https://example.com/docs/?page=2"


def test_publishing_adds_and_republishing_replaces(
    home, django_capture_on_commit_callbacks
):
    page = make_linked_page(home, live=False)
    assert stored(page) == {}
    publish(page, django_capture_on_commit_callbacks)
    assert stored(page) == EXPECTED
    kept = Placement.objects.get(
        page_id=page.pk, link__url="https://github.com/example/project"
    )

    page.refresh_from_db()
    page.body = json.dumps([{"type": "url", "value": "https://new.example.com/"}])
    page.website = ""
    publish(page, django_capture_on_commit_callbacks)
    assert stored(page) == {
        "https://new.example.com/": "body.0",
        "https://related.example.com/": "related.0.url",
        "https://status.example.net/": "template",
        "https://github.com/example/project": "template",
    }
    again = Placement.objects.get(pk=kept.pk)
    assert again.first_seen == kept.first_seen
    assert again.last_seen > kept.last_seen


def test_an_editor_publishing_in_the_admin_updates_the_inventory(
    admin_client, home, django_capture_on_commit_callbacks
):
    url = reverse("wagtailadmin_pages:edit", args=[home.pk])
    data = querydict_from_html(
        admin_client.get(url).content.decode(), form_id="page-edit-form"
    )
    data["body"] = rich_text('<p><a href="https://edited.example.com/">New</a></p>')
    data["content-count"] = "0"  # the empty StreamField, drawn by JavaScript
    data["action-publish"] = "action-publish"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302
    assert stored(home) == {"https://edited.example.com/": "body"}


def test_unpublishing_and_deleting_remove_the_entries_but_not_the_links(
    home, django_capture_on_commit_callbacks
):
    first = make_linked_page(home, slug="first")
    second = make_linked_page(home, slug="second")
    for page in (first, second):
        publish(page, django_capture_on_commit_callbacks)
    link = Link.objects.get(url="https://shop.example.com/item")
    assert inventory.page_counts([link.pk]) == {link.pk: 2}

    with django_capture_on_commit_callbacks(execute=True):
        first.unpublish()
    assert stored(first) == {}
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=second.pk).delete()
    assert stored(second) == {}
    assert not Placement.objects.exists()
    assert inventory.page_counts([link.pk]) == {}
    link.refresh_from_db()
    assert link.last_seen is not None


def test_a_move_keeps_the_entries_and_files_them_under_the_new_site(
    site, home, django_capture_on_commit_callbacks
):
    section = home.add_child(instance=ArticlePage(title="Section", slug="section"))
    page = make_linked_page(section)
    child = make_linked_page(page, slug="child")
    other_root = Page.get_first_root_node().add_child(
        instance=ArticlePage(title="Other", slug="other")
    )
    other = Site.objects.create(hostname="other.test", port=80, root_page=other_root)
    inventory.build()
    assert stored(page) == EXPECTED

    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=page.pk).move(other_root, pos="last-child")
    # Re-read on its new site, where testserver is another website.
    assert stored(page) == EXPECTED | {"https://www.testserver/about/": "template"}
    assert set(
        Placement.objects.filter(page_id__in=[page.pk, child.pk]).values_list(
            "site_id", flat=True
        )
    ) == {other.pk}


def test_the_command_builds_every_site_and_removes_pages_no_longer_served(
    site, home, capsys
):
    page = make_linked_page(home)
    other_root = Page.get_first_root_node().add_child(
        instance=ArticlePage(
            title="Other",
            slug="other",
            body='<p><a href="https://docs.example.com/">Docs</a></p>',
        )
    )
    other = Site.objects.create(hostname="other.test", port=80, root_page=other_root)
    # An entry of a page that is gone, left by a missed signal.
    Placement.objects.create(
        site=site,
        page_id=999999,
        link=Link.objects.create(url="https://x.example/", url_hash="x", domain="x"),
        first_seen="2026-01-01T00:00Z",
        last_seen="2026-01-01T00:00Z",
    )

    call_command("outbound_inventory")

    output = capsys.readouterr()
    assert "Inventory: 12 outbound links on 3 live pages" in output.out
    assert "3/3 pages" in output.err
    assert set(stored(page)) == set(EXPECTED)
    assert stored(home) == {"https://www.wagtail.org/": "body"}
    assert stored(other_root) == {"https://docs.example.com/": "body"}
    assert Placement.objects.get(page_id=other_root.pk).site_id == other.pk
    assert not Placement.objects.filter(page_id=999999).exists()


def test_the_command_builds_one_site(site, home):
    other_root = Page.get_first_root_node().add_child(
        instance=ArticlePage(
            title="Other",
            slug="other",
            body='<p><a href="https://docs.example.com/">Docs</a></p>',
        )
    )
    Site.objects.create(hostname="other.test", port=8080, root_page=other_root)
    call_command("outbound_inventory", "--site", "other.test:8080", "--no-progress")
    assert stored(other_root) == {"https://docs.example.com/": "body"}
    assert stored(home) == {}


def test_the_read_api(site, home, linked):
    inventory.build()
    shop = Link.objects.get(url="https://shop.example.com/item")
    github = Link.objects.get(url="https://github.com/example/project")
    wagtail = Link.objects.get(url="https://www.wagtail.org/")
    assert inventory.page_counts([shop.pk, github.pk]) == {shop.pk: 1, github.pk: 1}
    assert inventory.page_counts(site=site)[wagtail.pk] == 1
    assert inventory.page_counts([shop.pk], site=site.pk + 1) == {}
    assert inventory.pages_of(shop.pk) == [(linked.pk, "body.1.url")]
    assert inventory.pages_of(wagtail.pk, site=site) == [(home.pk, "body")]
    assert inventory.in_content([shop.pk, 123456]) == {shop.pk}


def test_a_page_that_fails_to_render_keeps_its_entries(home, monkeypatch):
    inventory.refresh_page(home.pk)
    assert stored(home) == {"https://www.wagtail.org/": "body"}

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr(ArticlePage, "serve", broken)
    assert inventory.refresh_page(home.pk) is None
    assert stored(home) == {"https://www.wagtail.org/": "body"}


def test_a_link_in_several_blocks_names_each(home):
    body = [
        {"type": "url", "value": "https://example.org/same"},
        {"type": "link", "value": {"url": "https://example.org/same", "text": "x"}},
    ]
    page = make_linked_page(home, body=body)
    inventory.refresh_page(page.pk)
    assert stored(page)["https://example.org/same"] == "body.0, body.1.url"


@pytest.mark.slow
def test_the_demo_sites_inventory_matches_what_its_pages_serve(tmp_path):
    """The demo site, seeded as `make demo` seeds it, in a process of its own
    (its settings, a fresh SQLite database): every live page's links as a
    visitor gets them are exactly its entries, texts included."""
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "demo.settings",
        "PYTHONPATH": os.pathsep.join([str(root / "demo"), str(root)]),
    }
    result = subprocess.run(
        [sys.executable, str(root / "tests" / "demo_site.py")],
        cwd=root / "demo",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["mismatches"] == []
    assert report["pages"] >= 9
    where = report["where"]
    # Footer links of base.html on every page; the seed's opt-out never.
    assert (
        where["https://github.com/wagtail-outbound/wagtail-outbound"]
        == ["template"] * report["pages"]
    )
    assert not any(url.startswith("https://ads.example.net") for url in where)
    assert where["https://www.djangoproject.com/"] == ["body.2.url"]  # a button
    assert where["https://www.python.org/"] == ["intro"]  # rich text
