"""Do Not Track and Global Privacy Control: a browser that sends either is not
counted, whether the tracker sees the signal or only the server does."""

import pytest

from tests.browser.test_tracker_clicks import URL, follow, new_tab, row
from wagtail_outbound.models import OutboundSettings

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LINKS = (
    f'<a id="l" href="{URL}">Guide</a>'
    f'<a id="blank" href="{URL}" target="_blank">Guide</a>'
)
SIGNAL = "Object.defineProperty(Navigator.prototype, '{}', {{get: () => {}}})"
GPC = SIGNAL.format("globalPrivacyControl", "true")
DNT = SIGNAL.format("doNotTrack", "'1'")


# Each test's control, without a signal, is counted: the test can fail.


@pytest.mark.parametrize("signal", [GPC, DNT, None], ids=["GPC", "DNT", "control"])
def test_signal_seen_by_the_tracker_sends_nothing(tracked, signal):
    if signal:
        tracked.tab.add_init_script(signal)
    tab = tracked.open(LINKS)
    tab.evaluate(f"insights.trackOutbound({URL!r}, 'Guide')")
    follow(tab, "#l")
    tracked.settle()
    assert len(tracked.beacons) == (0 if signal else 2)
    assert tracked.stored() == ([] if signal else [row(URL, "Guide", clicks=2)])


@pytest.mark.parametrize(
    "header", ["DNT", "Sec-GPC", None], ids=["DNT", "Sec-GPC", "control"]
)
def test_signal_seen_by_the_server_is_not_counted(tracked, header):
    if header:
        tracked.tab.set_extra_http_headers({header: "1"})
    tab = tracked.open(LINKS)
    with tab.expect_response(tracked.collect) as response:
        new_tab(tab, "#blank")
    assert response.value.status == 204
    assert len(tracked.beacons) == 1
    # The server answers 204 either way: wait for a sentinel sent after it.
    tracked.settle(every_beacon=False)
    assert tracked.stored() == ([] if header else [row(URL, "Guide")])


def test_site_may_choose_to_count_despite_the_signals(tracked):
    OutboundSettings.objects.update_or_create(
        site=tracked.site, defaults={"respect_privacy_signals": False}
    )
    tracked.tab.add_init_script(GPC)
    tracked.tab.set_extra_http_headers({"Sec-GPC": "1"})
    follow(tracked.open(LINKS), "#l")
    tracked.settle()
    assert tracked.stored() == [row(URL, "Guide")]
