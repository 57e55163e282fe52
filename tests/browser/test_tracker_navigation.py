"""The tracker never changes or delays navigation, whatever the collect
endpoint does: answering, hanging, refusing, failing or blocked."""

import pytest

from tests.browser.test_tracker_clicks import URL, follow, new_tab, row

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LINKS = (
    f'<a id="l" href="{URL}#install">Guide</a>'
    f'<a id="blank" href="{URL}" target="_blank" rel="noopener external">Guide</a>'
    f'<a id="untracked" href="{URL}#install" data-outbound-no-track>Guide</a>'
)


def test_click_leaves_href_target_rel_and_default_action_alone(tracked):
    tab = tracked.open(
        LINKS + "<script>addEventListener('click', (event) => "
        "{ window.prevented = event.defaultPrevented })</script>"
    )
    before = tab.eval_on_selector("#blank", "link => link.outerHTML")
    with tab.context.expect_page() as popup:
        tab.click("#blank")
    popup.value.wait_for_url(URL)
    assert tab.eval_on_selector("#blank", "link => link.outerHTML") == before
    assert tab.evaluate("window.prevented") is False
    # The fragment is dropped from the beacon, never from the navigation.
    follow(tab, "#l")
    assert tab.url == URL + "#install"
    tracked.settle()
    assert tracked.stored() == [row(URL, "Guide", clicks=2)]


# Timed in the page, before the tracker's listener runs and as the page starts
# to leave, so the test machine's load does not blur the measurement.
TIMED = """<script>
    addEventListener("click", () => { sessionStorage.clicked = Date.now() }, true);
    addEventListener("beforeunload", () => { sessionStorage.left = Date.now() });
</script>"""


def test_navigation_starts_at_once_while_the_endpoint_hangs(tracked):
    held = []
    tab = tracked.open(TIMED + LINKS)
    # The endpoint never answers; a tracker waiting for it would never navigate.
    tab.route(tracked.collect, lambda route: held.append(route))

    def milliseconds_to_leave(selector):
        follow(tab, selector)
        tab.go_back()
        return tab.evaluate("sessionStorage.left - sessionStorage.clicked")

    untracked = milliseconds_to_leave("#untracked")
    tracked_click = milliseconds_to_leave("#l")
    assert len(held) == 1, "the beacon was not sent"
    assert tracked_click < untracked + 100


ANSWERS = [
    pytest.param(lambda route: route.abort("blockedbyclient"), id="blocked"),
    pytest.param(lambda route: route.abort("connectionrefused"), id="unreachable"),
    pytest.param(lambda route: route.fulfill(status=500), id="server error"),
]
SENDERS = [
    pytest.param("", id="sendBeacon"),
    pytest.param("delete Navigator.prototype.sendBeacon", id="fetch fallback"),
]


@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize("sender", SENDERS)
def test_failing_endpoint_breaks_neither_navigation_nor_page(tracked, sender, answer):
    tracked.tab.add_init_script(sender)
    attempts = []
    tab = tracked.open(LINKS)
    tab.route(tracked.collect, lambda route: (attempts.append(1), answer(route)))
    new_tab(tab, "#blank")
    tracked.poll(lambda: attempts)
    # The failure has settled while the page is still open to report errors.
    tab.evaluate("new Promise((resolve) => setTimeout(resolve, 100))")
    follow(tab, "#l")
    assert len(attempts) == 2
    assert tab.url == URL + "#install"


@pytest.mark.parametrize(
    "sender",
    [
        pytest.param("delete Navigator.prototype.sendBeacon", id="no sendBeacon"),
        pytest.param("Navigator.prototype.sendBeacon = () => false", id="queue full"),
    ],
)
def test_fetch_keepalive_is_the_fallback(tracked, sender):
    tracked.tab.add_init_script(sender)
    follow(tracked.open(LINKS), "#l")
    tracked.settle()
    assert tracked.stored() == [row(URL, "Guide")]
    assert len(tracked.beacons) == 1
