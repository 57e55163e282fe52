"""What the tracker counts, clicked for real in Chromium and read back from
the database: every counted and every ignored case of the capture pipeline.

Each gesture also waits for the navigation it must cause (this tab leaving the
page, or a new tab opening), so every counted case proves the click still
navigates. Double-click rule: the second click of a double click (``detail`` 2)
is the same visit and is not counted again; two separate clicks count twice.
"""

import re
from pathlib import Path

import pytest

from tests.browser.conftest import SENTINEL
from wagtail_outbound.models import DailyClicks, OutboundSettings

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

URL = "https://docs.example.org/guide"
TRACKER_MIN = (
    Path(__file__).parents[2]
    / "wagtail_outbound/static/wagtail_outbound/tracker.min.js"
)
# A 40x40 transparent GIF, so that image links and image maps have a size.
GIF = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEAAAAALAAAAAABAAEAAAIBAAA="
SIZED = 'style="display:inline-block;width:60px;height:20px"'


def row(url, text, event="", category="", clicks=1):
    return (url, text, event, category, clicks)


def follow(tab, selector, **options):
    """Click, then wait for this tab to navigate away."""
    start = tab.url
    tab.click(selector, **options)
    tab.wait_for_url(lambda url: url != start)


def new_tab(tab, selector, **options):
    """Click, then wait for the link to open in a new tab or window."""
    with tab.context.expect_page():
        tab.click(selector, **options)


def ctrl_click(tab, selector):
    new_tab(tab, selector, modifiers=["Control"])


def shift_click(tab, selector):
    new_tab(tab, selector, modifiers=["Shift"])


def middle_click(tab, selector):
    # A real middle button press: Chromium fires auxclick, never click.
    box = tab.locator(selector).bounding_box()
    with tab.context.expect_page():
        tab.mouse.click(
            box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, button="middle"
        )


def press_enter(tab, selector):
    start = tab.url
    tab.focus(selector)
    tab.keyboard.press("Enter")
    tab.wait_for_url(lambda url: url != start)


def right_click(tab, selector):
    tab.click(selector, button="right")


def click_in_place(tab, selector):
    """Click a link that does not navigate (mailto:, tel:, javascript:)."""
    tab.click(selector)


def link(attributes="", text="Guide", href=URL):
    return f'<a id="l" href="{href}"{attributes}>{text}</a>'


GUIDE = row(URL, "Guide")
INNER = f'<img src="{GIF}" width="40" height="40" alt=""> <span id="in">Read</span>'
ADD_LATER = f"""<script>addEventListener("load", () => document.body.insertAdjacentHTML(
    "beforeend", '<a id="late" href="{URL}">Late</a>'))</script>"""
SHADOW = f"""<div><template shadowrootmode="open">
    <p><a id="s" href="{URL}">Shadow</a></p></template></div>"""
STOP_ON_DOCUMENT = """<script>document.addEventListener(
    "click", (event) => event.stopImmediatePropagation(), true)</script>"""
SVG = '<svg width="120" height="30" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
SVG_TEXT = '<text x="0" y="20">{}</text>'
AREA = f"""<img src="{GIF}" width="40" height="40" usemap="#map" alt="">
    <map name="map">
    <area shape="rect" coords="0,0,40,40" href="{URL}" alt="Region"></map>"""
AFFILIATE = "https://affiliate.com/product?ref=yoursite"

COUNTED = [
    pytest.param(link(), follow, "#l", GUIDE, id="plain click"),
    pytest.param(link(), ctrl_click, "#l", GUIDE, id="ctrl click"),
    pytest.param(link(), shift_click, "#l", GUIDE, id="shift click"),
    pytest.param(link(), middle_click, "#l", GUIDE, id="middle click"),
    pytest.param(link(), press_enter, "#l", GUIDE, id="keyboard enter"),
    pytest.param(link(' target="_blank"'), new_tab, "#l", GUIDE, id="target blank"),
    pytest.param(
        link(text=INNER + " the guide"),
        follow,
        "#in",
        row(URL, "Read the guide"),
        id="element inside the link",
    ),
    pytest.param(ADD_LATER, follow, "#late", row(URL, "Late"), id="added after load"),
    pytest.param(SHADOW, follow, "#s", row(URL, "Shadow"), id="open shadow root"),
    pytest.param(
        link(' onclick="event.stopPropagation()"'),
        follow,
        "#l",
        GUIDE,
        id="stopPropagation on the link",
    ),
    pytest.param(
        STOP_ON_DOCUMENT + link(),
        follow,
        "#l",
        GUIDE,
        id="stopPropagation in capture on document",
    ),
    pytest.param(
        SVG.format(f'<a id="l" href="{URL}">{SVG_TEXT.format("SVG guide")}</a>'),
        follow,
        "#l",
        row(URL, "SVG guide"),
        id="svg href",
    ),
    pytest.param(
        SVG.format(f'<a id="l" xlink:href="{URL}">{SVG_TEXT.format("Old SVG")}</a>'),
        follow,
        "#l",
        row(URL, "Old SVG"),
        id="svg xlink:href",
    ),
    pytest.param(AREA, follow, "img[usemap]", row(URL, "Region"), id="area, its alt"),
    pytest.param(
        link(text="\n   Read\n  the   guide  "),
        follow,
        "#l",
        row(URL, "Read the guide"),
        id="whitespace collapsed",
    ),
    pytest.param(
        link(f' aria-label="Guide label" {SIZED}', text=""),
        follow,
        "#l",
        row(URL, "Guide label"),
        id="aria-label without text",
    ),
    pytest.param(
        link(f' title="Guide title" {SIZED}', text=""),
        follow,
        "#l",
        row(URL, "Guide title"),
        id="title without text",
    ),
    pytest.param(
        link(text=f'<img src="{GIF}" width="40" height="40" alt="Guide logo">'),
        follow,
        "#l",
        row(URL, "Guide logo"),
        id="image alt without text",
    ),
    pytest.param(
        link(href=URL + "?page=2#install"),
        follow,
        "#l",
        row(URL + "?page=2", "Guide"),
        id="fragment removed",
    ),
    pytest.param(
        # The seed's affiliate example.
        f"""<a id="l" href="{AFFILIATE}"
           data-insights-event="affiliate_click"
           data-insights-category="conversion">
            Buy Now
        </a>""",
        follow,
        "#l",
        row(AFFILIATE, "Buy Now", "affiliate_click", "conversion"),
        id="event and category",
    ),
]


@pytest.mark.parametrize("links, gesture, selector, expected", COUNTED)
def test_click_is_counted_once(tracked, links, gesture, selector, expected):
    gesture(tracked.open(links), selector)
    tracked.settle()
    assert tracked.stored() == [expected]
    assert [beacon["url"] for beacon in tracked.beacons] == [expected[0]]


def test_beacon_carries_source_page_and_page_id(tracked):
    follow(tracked.open(f'<a id="l" href="{URL}">Guide</a>'), "#l")
    tracked.settle()
    assert tracked.beacons == [
        {
            "url": URL,
            "text": "Guide",
            "source": tracked.url,
            "page": str(tracked.home.pk),
            "event": "",
            "category": "",
        }
    ]
    clicks = DailyClicks.objects.exclude(link__url=SENTINEL)
    assert list(clicks.values_list("source__path", "source__page_id")) == [
        ("/", tracked.home.pk)
    ]


INSIDE_SHADOW = f"""<div data-outbound-no-track><template shadowrootmode="open">
    <a id="l" href="{URL}">Guide</a></template></div>"""


def ignored(links, gesture, control=None, *, id):
    """A click the tracker must ignore, and its control: the same click once
    the reason is removed (by default, a plain link out), which it counts."""
    return pytest.param(links, gesture, control or link(), id=id)


def opted_out(links, id):
    """A link opted out by markup; its control is the same markup without
    the opt-out attribute."""
    return ignored(links, follow, re.sub(r" data-\w+-no-track", "", links), id=id)


NOT_COUNTED = [
    ignored(link(), right_click, id="right click"),
    ignored(link(href="{live}/?internal"), follow, id="absolute, this host"),
    ignored(link(href="?relative"), follow, id="relative"),
    ignored(link(href="http://www.localhost:{port}/"), follow, id="www twin"),
    ignored(link(href="http://localhost:9/"), follow, id="same host, other port"),
    ignored(link(href="mailto:test@example.com"), click_in_place, id="mailto"),
    ignored(link(href="tel:+1234567890"), click_in_place, id="tel"),
    ignored(link(href="javascript:void(0)"), click_in_place, id="javascript"),
    ignored(
        '<a id="l" role="link">No href</a>',
        click_in_place,
        f'<a id="l" role="link" href="{URL}">No href</a>',
        id="no href",
    ),
    opted_out(link(" data-insights-no-track"), id="data-insights-no-track on link"),
    opted_out(link(" data-outbound-no-track"), id="data-outbound-no-track on link"),
    opted_out(
        f"<div data-insights-no-track><p>{link()}</p></div>",
        id="data-insights-no-track on an ancestor",
    ),
    opted_out(
        f"<div data-outbound-no-track><p>{link()}</p></div>",
        id="data-outbound-no-track on an ancestor",
    ),
    opted_out(
        link(text="<span data-insights-no-track>Guide</span>"),
        id="data-insights-no-track inside the link",
    ),
    opted_out(
        link(text="The <span data-outbound-no-track>guide</span>"),
        id="data-outbound-no-track inside the link",
    ),
    opted_out(INSIDE_SHADOW, id="no-track on the shadow host"),
]


@pytest.mark.parametrize("links, gesture, control", NOT_COUNTED)
def test_click_is_not_counted(tracked, live_server, links, gesture, control):
    """The control, a left click on the same page once the reason is removed,
    is counted: the test can fail. Then the ignored click sends and stores
    nothing, though a sentinel sent after it was stored."""
    port = live_server.url.rsplit(":", 1)[1]
    # Another port on this hostname: answered locally so the click can land.
    tracked.tab.route(
        "http://localhost:9/", lambda route: route.fulfill(body="elsewhere")
    )

    def serve(html):
        return tracked.open(
            html.replace("{live}", live_server.url).replace("{port}", port)
        )

    # The control first: after a click on tel:, headless Chromium's tab was
    # seen not to follow the next link.
    follow(serve(control), "#l")
    tracked.settle()
    assert [beacon["url"] for beacon in tracked.beacons] == [URL]
    counted = tracked.stored()
    assert [(url, clicks) for url, *_, clicks in counted] == [(URL, 1)]

    gesture(serve(links), "#l")
    tracked.settle()
    assert [beacon["url"] for beacon in tracked.beacons] == [URL]
    assert tracked.stored() == counted


def test_page_hostname_is_internal_under_any_site_name(tracked, live_server):
    """The site answers as the default site under another name: links to the
    page's own hostname, on any port, are still internal (and a link out is
    counted on that page)."""
    tracked.site.hostname = "www.example-site.test"
    tracked.site.save()
    links = (
        link(href=live_server.url + "/?internal")
        + '<a id="port" href="http://localhost:9/">Other port</a>'
        + f'<a id="out" href="{URL}">Guide</a>'
    )
    tab = tracked.open(links)
    assert "localhost" not in tab.get_attribute(
        "script[src*=tracker]", "data-outbound-internal"
    )
    tab.route("http://localhost:9/", lambda route: route.fulfill(body="elsewhere"))
    follow(tab, "#l")
    follow(tab, "#port")
    tracked.settle()
    assert tracked.beacons == []
    assert tracked.stored() == []
    follow(tracked.open(links), "#out")
    tracked.settle()
    assert tracked.stored() == [GUIDE]


@pytest.mark.parametrize(
    "field, patterns",
    [("internal_domains", "*.example.org"), ("excluded_domains", "docs.example.org")],
)
def test_internal_and_excluded_domains_are_not_counted(tracked, field, patterns):
    OutboundSettings.objects.update_or_create(
        site=tracked.site, defaults={field: patterns}
    )
    links = (
        f'<a id="l" href="{URL}">Guide</a><a id="k" href="https://kept.test/">Kept</a>'
    )
    tab = tracked.open(links)
    follow(tab, "#l")
    tab.go_back()
    follow(tab, "#k")
    tracked.settle()
    assert [beacon["url"] for beacon in tracked.beacons] == ["https://kept.test/"]
    assert tracked.stored() == [row("https://kept.test/", "Kept")]
    # Without the setting, the same click is counted.
    OutboundSettings.objects.update_or_create(site=tracked.site, defaults={field: ""})
    follow(tracked.open(links), "#l")
    tracked.settle()
    assert tracked.stored() == [GUIDE, row("https://kept.test/", "Kept")]


def test_double_click_counts_once_and_two_clicks_count_twice(tracked):
    tab = tracked.open(f'<a id="l" href="{URL}" target="_blank">Guide</a>')
    with tab.context.expect_page():
        tab.dblclick("#l")
    tracked.settle()
    assert tracked.stored() == [row(URL, "Guide")]
    new_tab(tab, "#l")
    new_tab(tab, "#l")
    tracked.settle()
    assert tracked.stored() == [row(URL, "Guide", clicks=3)]
    assert len(tracked.beacons) == 3


@pytest.mark.parametrize(
    "extra, fields, tags",
    [
        pytest.param(
            # The readable source, added after the hook's minified copy. (Its
            # data attribute is set by script: with the hook's marker in the
            # HTML, the hook would not add its own tag.)
            """<script>addEventListener("DOMContentLoaded", () => {
                const copy = document.createElement("script");
                copy.src = "/static/wagtail_outbound/tracker.js";
                copy.dataset.outboundCollect = "/outbound/collect/";
                document.body.append(copy);
            })</script>""",
            {},
            2,
            id="two script tags",
        ),
        pytest.param("", {"use_template_tag": True}, 1, id="hook and template tag"),
    ],
)
def test_tracker_included_twice_counts_once(tracked, extra, fields, tags):
    tab = tracked.open(
        f'<a id="l" href="{URL}" target="_blank">Guide</a>{extra}', **fields
    )
    assert tab.locator("script[data-outbound-collect]").count() == tags
    new_tab(tab, "#l")
    tracked.settle()
    assert tracked.stored() == [row(URL, "Guide")]
    assert len(tracked.beacons) == 1


def test_relative_link_resolves_against_base_href(tracked):
    """A page whose <base href> points at a CDN: a relative link leads there
    (counted), and the beacon still goes to this site, not to the CDN."""
    tracked.tab.route(
        "http://cdn.example.net/static/**",
        lambda route: route.fulfill(path=TRACKER_MIN, content_type="text/javascript"),
    )
    tab = tracked.open(
        '<base href="http://cdn.example.net/"><a id="l" href="docs/guide#top">Guide</a>'
    )
    follow(tab, "#l")
    assert tab.url == "http://cdn.example.net/docs/guide#top"
    tracked.settle()
    assert tracked.stored() == [row("http://cdn.example.net/docs/guide", "Guide")]
