"""Layout of the reports and the dashboard panel in headless Chromium: long
URLs and domains in narrow tables, the panel's empty state, the chart's
"Show the numbers" toggle."""

import pytest
from django.urls import reverse

from tests.browser.test_reports_browser import log_in
from tests.factories import click

LONG_DOMAIN = "documentation-reference.longsubdomainnamehere.example-company.org"
LONG_URL = (
    f"https://{LONG_DOMAIN}/en/latest/reference/contributing/settings.html"
    "?utm_source=newsletter&page=2"
)
# Where a line may end inside a URL or domain: after a separator, or after a
# hyphen (the browser's own break point). Never between two letters.
BREAK_AFTER = "/.?&=#-"

# The character pairs around each line break inside ``el``'s text, measured
# one character at a time across its text nodes (<wbr> splits them).
LINE_BREAKS = """el => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const chars = [];
    for (let node; (node = walker.nextNode()); ) {
        for (let i = 0; i < node.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rect = range.getClientRects()[0];
            if (rect) chars.push([node.data[i], rect.top]);
        }
    }
    const breaks = [];
    for (let i = 1; i < chars.length; i++) {
        if (chars[i][1] > chars[i - 1][1] + 2) {
            breaks.push(chars[i - 1][0] + chars[i][0]);
        }
    }
    return breaks;
}"""


def assert_breaks_only_after_separators(locator):
    breaks = locator.evaluate(LINE_BREAKS)
    inside_words = [pair for pair in breaks if pair[0] not in BREAK_AFTER]
    assert not inside_words, f"line breaks inside words: {breaks}"
    return breaks


def text_box(locator):
    """The box of the element's text, not of its padding."""
    return locator.evaluate(
        """el => {
            const range = document.createRange();
            range.selectNodeContents(el);
            const r = range.getBoundingClientRect();
            return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
        }"""
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dashboard_panel_empty_state_and_long_domains(
    page, live_server, site, django_user_model
):
    log_in(page, live_server, django_user_model)
    panel = page.locator("section", has=page.locator("#outbound-top-domains-heading"))
    for width in (1280, 600):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + reverse("wagtailadmin_home"))
        # The empty state is inset from the panel's border like the rows of a
        # panel with data, not stuck to it.
        box = panel.bounding_box()
        empty = panel.get_by_text("No outbound clicks in the last 30 days.")
        link = panel.get_by_role("link", name="Open the outbound links report")
        empty, link = text_box(empty), text_box(link)
        for text in (empty, link):
            assert text["left"] - box["x"] >= 16, width
            assert box["x"] + box["width"] - text["right"] >= 16, width
        assert box["y"] + box["height"] - link["bottom"] >= 16, width

    click(site, f"https://{LONG_DOMAIN}/")
    page.set_viewport_size({"width": 420, "height": 900})
    page.goto(live_server.url + reverse("wagtailadmin_home"))
    link = panel.locator("td.title a")
    assert link.inner_text() == LONG_DOMAIN
    breaks = assert_breaks_only_after_separators(link)
    assert breaks, "the domain should wrap at this width"
    # It still fits in the panel.
    assert link.bounding_box()["x"] + link.bounding_box()["width"] <= (
        panel.bounding_box()["x"] + panel.bounding_box()["width"]
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_report_table_urls_and_the_numbers_toggle(
    page, live_server, site, django_user_model
):
    click(site, LONG_URL, text="Settings")
    log_in(page, live_server, django_user_model)
    page.set_viewport_size({"width": 640, "height": 900})
    page.goto(live_server.url + reverse("wagtail_outbound_reports:urls"))
    link = page.locator(f'main table a[href="{LONG_URL}"]')
    assert link.inner_text() == LONG_URL
    assert_breaks_only_after_separators(link)

    # "Show the numbers" looks like Wagtail's secondary buttons...
    toggle = page.locator("summary", has_text="Show the numbers")
    style = """el => {
        const s = getComputedStyle(el);
        return [s.backgroundColor, s.color, s.borderTopColor, s.borderTopWidth,
                s.borderRadius, s.height, s.fontSize];
    }"""
    reference = page.evaluate(
        """() => {
            const button = document.createElement("button");
            button.className = "button button-secondary button-small";
            button.textContent = "x";
            document.querySelector(".outbound-chart").append(button);
            return (STYLE)(button);
        }""".replace("STYLE", style)
    )
    assert toggle.evaluate(style) == reference
    assert toggle.evaluate("el => getComputedStyle(el).cursor") == "pointer"
    # Its icon is sized like a button's and nothing overflows (the button
    # hides overflow: an unsized icon pushed the text out of sight).
    assert toggle.evaluate(
        """el => el.scrollWidth <= el.clientWidth
            && el.querySelector("svg.icon").getBoundingClientRect().height
                <= el.clientHeight"""
    )
    # ...and opens and closes from the keyboard.
    numbers = page.locator(".outbound-chart__data table")
    assert not numbers.is_visible()
    toggle.focus()
    assert toggle.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert numbers.is_visible()
    page.keyboard.press("Space")
    assert not numbers.is_visible()
