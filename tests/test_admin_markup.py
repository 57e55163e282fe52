"""Markup of the admin UI that layout depends on: wrap points in URLs and
domains, and the chart's "Show the numbers" toggle."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tests.factories import click
from wagtail_outbound.templatetags.wagtail_outbound_tags import outbound_breakable


@pytest.mark.parametrize(
    ("value", "html"),
    [
        (
            "https://docs.wagtail.org/en/latest/?utm=1&b=2#top",
            "https://<wbr>docs.<wbr>wagtail.<wbr>org/<wbr>en/<wbr>latest/?<wbr>"
            "utm=<wbr>1&amp;<wbr>b=<wbr>2#<wbr>top",
        ),
        ("/blog/2026/", "/<wbr>blog/<wbr>2026/"),
        ("bücher.example", "bücher.<wbr>example"),
        ("no-separators-here", "no-separators-here"),
        ("", ""),
        (None, ""),
    ],
)
def test_breakable_wraps_after_separators_only(value, html):
    assert outbound_breakable(value) == html
    assert isinstance(outbound_breakable(value), SafeString)


def test_breakable_escapes_visitor_text_even_when_marked_safe():
    url = 'https://evil.example/"><script>alert(1)</script>?q=<b>x</b>&amp;'
    for value in (url, mark_safe(url)):
        html = outbound_breakable(value)
        assert "<script" not in html and "<b>" not in html
        # Only <wbr> is markup; removing it gives back the escaped text.
        assert re.sub(r"<wbr>", "", html) == (
            "https://evil.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
            "?q=&lt;b&gt;x&lt;/b&gt;&amp;amp;"
        )


def test_breakable_in_a_template():
    template = Template("{% load wagtail_outbound_tags %}{{ url|outbound_breakable }}")
    html = template.render(Context({"url": "https://a.example/<x>"}))
    assert html == "https://<wbr>a.<wbr>example/<wbr>&lt;x&gt;"


def test_show_the_numbers_is_a_wagtail_button(admin_client, site):
    click(site, "https://wagtail.org/")
    html = admin_client.get(reverse("wagtail_outbound_reports:domains")).content
    summary = re.search(r"<summary([^>]*)>(.*?)</summary>", html.decode(), re.S)
    assert summary, "no disclosure for the chart's numbers"
    assert (
        'class="outbound-chart__toggle button button-secondary button-small '
        'button--icon"'
    ) in summary[1]
    # Wagtail's icon, then the text.
    assert re.fullmatch(
        r'\s*<svg class="icon icon-arrow-down[ "][^>]*>.*</svg>\s*Show the numbers\s*',
        summary[2],
        re.S,
    )
