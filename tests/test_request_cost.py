"""What one request to the collect endpoint can cost, whatever its headers hold.

crawlerdetect's patterns took 5-11 s of CPU (holding the GIL) on an 8 KB user
agent of letters; ``wagtail_outbound.bots`` bounds that work. The timings here
are generous (the machine is shared and small); the bound itself is checked
without timing, by recording what crawlerdetect is handed.
"""

import json
import statistics
import time

import pytest
from crawlerdetect import CrawlerDetect

from wagtail_outbound import bots, stats

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
# In-app browsers send the longest real user agents (about 300 characters).
INSTAGRAM = (
    "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/117.0.5938.60 "
    "Mobile Safari/537.36 Instagram 302.0.0.23.114 Android (31/12; 480dpi; "
    "1080x2176; samsung; SM-G991B; o1s; exynos2100; en_GB; 518426187)"
)
FACEBOOK_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/443.0.0.29.108;FBBV/"
    "542414178;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/"
    "phone;FBLC/en_GB;FBOP/5;FBRV/545180284]"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

# Repeated pieces that cost crawlerdetect the most (letters, digits, "-a"
# runs are quadratic), little ("/", unicode: linear) or nearly nothing.
PIECES = {
    "letters": "a",
    "capitals": "P",
    "digits": "1234567890",
    "dash-letter": "-a",
    "bot-like": "xbot_ybot-",
    "slashes": "/",
    "mozilla": "Mozilla/5.0 (",
    "unicode": "\u00e9\u20ac\U0001f600",
    "joined-by-exclusions": "a" * 60 + "Build",
    "words-at-the-limit": "a" * bots.MAX_WORD_LENGTH + "/",
    "dots": ". ",
}


def user_agent(piece, length):
    return (piece * (length // len(piece) + 1))[:length]


def beacon(client, user_agent, **headers):
    return client.post(
        "/outbound/collect/",
        data=json.dumps(
            {"url": "https://example.com/", "source": "http://testserver/"}
        ),
        content_type="text/plain",
        HTTP_ORIGIN="http://testserver",
        HTTP_USER_AGENT=user_agent,
        **headers,
    )


@pytest.fixture
def no_rate_limit(settings):
    # Many requests from one address: the rate limit would answer 429 first.
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None


@pytest.fixture
def fresh_verdicts():
    """Forget cached verdicts, so every user agent is really checked."""
    bots._detector.isCrawler(CHROME)  # compiles the patterns, once per process
    bots._verdict.cache_clear()
    bots._detector._cached_check.cache_clear()
    yield
    bots._verdict.cache_clear()


@pytest.fixture
def handed_to_crawlerdetect(monkeypatch, fresh_verdicts):
    """Every user agent crawlerdetect is asked about, in order."""
    seen = []
    original = CrawlerDetect.isCrawler

    def recorder(self, user_agent=None):
        seen.append(user_agent)
        return original(self, user_agent)

    monkeypatch.setattr(CrawlerDetect, "isCrawler", recorder)
    monkeypatch.setattr(CrawlerDetect, "is_crawler", recorder)
    return seen


def timed_beacons(client, user_agents, **headers):
    times = []
    for agent in user_agents:
        started = time.perf_counter()
        response = beacon(client, agent, **headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 204
    return times


@pytest.mark.parametrize("length", [8 * 1024, 16 * 1024, 64 * 1024])
def test_long_user_agents_cost_next_to_nothing(
    client, site, no_rate_limit, fresh_verdicts, length
):
    agents = [user_agent(piece, length) for piece in PIECES.values()]
    client.get("/")  # warm up
    times = timed_beacons(client, agents)
    median, worst = statistics.median(times) * 1000, max(times) * 1000
    print(f"\n{length // 1024} KB: median {median:.1f} ms, worst {worst:.1f} ms")
    # crawlerdetect alone took 5-11 s on such an 8 KB user agent.
    assert statistics.median(times) < 0.050
    assert max(times) < 1.0
    assert stats.total(stats.Filters()) == 0  # all of them taken for bots


def test_worst_user_agents_under_the_bound_stay_cheap(
    client, site, no_rate_limit, fresh_verdicts
):
    """At the bound the patterns do run: the crafted worst cases there."""
    length = bots.MAX_USER_AGENT_LENGTH
    agents = [
        f"{round_}{user_agent(piece, length)}"[:length]
        for round_ in range(3)
        for piece in PIECES.values()
    ]
    client.get("/")
    times = timed_beacons(client, agents)
    print(
        f"\n{length}-character user agents: median "
        f"{statistics.median(times) * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms"
    )
    assert statistics.median(times) < 0.050
    assert max(times) < 1.0


def test_a_long_proxy_header_costs_next_to_nothing(
    client, site, settings, fresh_verdicts
):
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"
    headers = [
        "6.6.6.6, " * 7000 + f"192.0.2.{i}"  # 63 KB each
        for i in range(20)
    ] + ["x" * 65536, "[" * 65536, ":" * 65536]
    times = []
    for header in headers:
        started = time.perf_counter()
        response = beacon(client, CHROME, HTTP_X_FORWARDED_FOR=header)
        times.append(time.perf_counter() - started)
        assert response.status_code in (204, 429)
    assert statistics.median(times) < 0.050


@pytest.mark.parametrize(
    "length", [0, 1, 100, 511, 512, 513, 1024, 8 * 1024, 16 * 1024, 64 * 1024]
)
def test_crawlerdetect_never_sees_more_than_the_bound(
    client, site, no_rate_limit, handed_to_crawlerdetect, length
):
    for piece in PIECES.values():
        assert beacon(client, user_agent(piece, length)).status_code == 204
    assert beacon(client, " " * length).status_code == 204
    assert all(
        0 < len(agent) <= bots.MAX_USER_AGENT_LENGTH
        for agent in handed_to_crawlerdetect
    )
    if length > bots.MAX_USER_AGENT_LENGTH:
        assert handed_to_crawlerdetect == []  # decided without the patterns


def test_user_agents_over_the_bound_are_bots_without_the_patterns(
    handed_to_crawlerdetect,
):
    too_long = CHROME + " " + "x" * (bots.MAX_USER_AGENT_LENGTH - len(CHROME))
    assert len(too_long) == bots.MAX_USER_AGENT_LENGTH + 1
    assert bots.is_bot(too_long)
    assert bots.is_bot(" " * (bots.MAX_USER_AGENT_LENGTH + 1))
    assert handed_to_crawlerdetect == []


def test_runs_of_word_characters_longer_than_any_browser_token_are_bots(
    handed_to_crawlerdetect,
):
    assert bots.is_bot(CHROME + " " + "a" * (bots.MAX_WORD_LENGTH + 1))
    # Two short runs that crawlerdetect's removal of "Build" would join.
    assert bots.is_bot("a" * 40 + "Build" + "a" * 40)
    assert not bots.is_bot(CHROME + " " + "a" * bots.MAX_WORD_LENGTH)
    assert handed_to_crawlerdetect == [CHROME + " " + "a" * bots.MAX_WORD_LENGTH]


@pytest.mark.parametrize("agent", [CHROME, INSTAGRAM, FACEBOOK_IOS])
def test_browsers_are_not_bots(fresh_verdicts, agent):
    assert len(agent) <= bots.MAX_USER_AGENT_LENGTH
    assert not bots.is_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        GOOGLEBOT,
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "curl/8.5.0",
    ],
)
def test_known_bots_are_bots(fresh_verdicts, agent):
    assert bots.is_bot(agent)


def test_browser_clicks_count_and_googlebot_clicks_do_not(client, site):
    assert beacon(client, CHROME).status_code == 204
    assert beacon(client, GOOGLEBOT).status_code == 204
    assert stats.total(stats.Filters()) == 1


@pytest.mark.parametrize("agent", ["", " ", "\t \r\n", None])
def test_a_missing_or_blank_user_agent_is_not_a_bot(handed_to_crawlerdetect, agent):
    """No bot signature to match; crawlerdetect is not asked, since it would
    read the user agent stored on its shared instance instead."""
    assert bots.is_bot(agent) is False
    assert handed_to_crawlerdetect == []


def test_a_verdict_is_checked_once_per_user_agent(handed_to_crawlerdetect):
    for _ in range(3):
        assert not bots.is_bot(CHROME)
        assert bots.is_bot(GOOGLEBOT)
    assert handed_to_crawlerdetect == [CHROME, GOOGLEBOT]
