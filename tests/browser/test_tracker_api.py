"""The manual API, exactly as the seed documents it:
``window.insights.trackOutbound(url, text)``, also ``window.wagtailOutbound``."""

import pytest

from tests.browser.test_tracker_clicks import URL, follow, row

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_seed_example_is_counted_and_navigates(tracked):
    tab = tracked.open()
    tab.evaluate(
        """() => {
        // Track a programmatic redirect
        window.insights.trackOutbound('https://partner.com/offer', 'Partner Offer');
        window.location.href = 'https://partner.com/offer';
        }"""
    )
    tab.wait_for_url("https://partner.com/offer")
    tracked.settle()
    assert tracked.stored() == [row("https://partner.com/offer", "Partner Offer")]


def test_wagtail_outbound_has_the_same_function_and_text_is_optional(tracked):
    tab = tracked.open()
    assert tab.evaluate(
        "window.wagtailOutbound.trackOutbound === window.insights.trackOutbound"
    )
    assert tab.evaluate(f"window.wagtailOutbound.trackOutbound({URL!r})") is None
    tracked.settle()
    assert tracked.stored() == [row(URL, "")]


LONG = "x" * 254 + "\U0001f600\U0001f600 tail"


@pytest.mark.parametrize("via", ["api", "link"])
def test_text_is_cut_to_255_characters_without_splitting_one(tracked, via):
    # In UTF-16 the 255th character is half of an emoji: it must be kept whole.
    tab = tracked.open(f'<a id="l" href="{URL}">{LONG}</a>')
    if via == "api":
        tab.evaluate("([url, text]) => insights.trackOutbound(url, text)", [URL, LONG])
    else:
        follow(tab, "#l")
    tracked.settle()
    assert tracked.stored() == [row(URL, "x" * 254 + "\U0001f600")]


INVALID = [
    "insights.trackOutbound()",
    "insights.trackOutbound(null)",
    "insights.trackOutbound('')",
    "insights.trackOutbound('http://[bad')",
    "insights.trackOutbound('https://')",
    "insights.trackOutbound('javascript:alert(1)')",
    "insights.trackOutbound('mailto:someone@example.com')",
    "insights.trackOutbound('ftp://files.example.org/a')",
    "insights.trackOutbound('/relative/page')",
    "insights.trackOutbound(location.href)",
    "insights.trackOutbound(Symbol('url'))",
    "insights.trackOutbound({ toString() { throw new Error('no url') } })",
    "wagtailOutbound.trackOutbound(42, {})",
]


def test_invalid_or_local_urls_are_ignored_without_throwing(tracked):
    tab = tracked.open()
    outcomes = tab.evaluate(
        """(calls) => calls.map((call) => {
            try { return [call, String(eval(call))] }
            catch (error) { return [call, 'threw ' + error] }
        })""",
        INVALID,
    )
    assert outcomes == [[call, "undefined"] for call in INVALID]
    tracked.settle()
    assert tracked.beacons == []
    assert tracked.stored() == []
    # The control: a valid call on the same page is counted.
    tab.evaluate(f"insights.trackOutbound({URL!r}, 'Guide')")
    tracked.settle()
    assert tracked.stored() == [row(URL, "Guide")]


def test_existing_insights_object_is_extended_not_replaced(tracked):
    tab = tracked.open(
        "<script>window.insights = { version: 7, track: () => 'own' }</script>"
    )
    assert tab.evaluate("[insights.version, insights.track()]") == [7, "own"]
    tab.evaluate(f"insights.trackOutbound({URL!r}, 'Guide')")
    tracked.settle()
    assert tracked.stored() == [row(URL, "Guide")]
