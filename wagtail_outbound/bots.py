"""Bot detection by user agent, with a bound on the work one request can cause.

crawlerdetect matches a user agent against one large unanchored alternation of
about 1,500 patterns. Its cost grows with the user agent's length, and with the
square of the length of a run of word characters: one of its patterns starts
with ``[a-z0-9\\-_]*``, so every position of such a run scans to the run's end
and back. Measured on a 2-core machine, a crafted 8 KB user agent holds the
GIL for 5-11 seconds, 1 KB of letters or digits 90 ms, 512 of them 30 ms.

Browsers' user agents are shorter than 512 characters (in-app browsers, the
longest, reach about 300) and made of short words, so two checks run before
the patterns, and decide without them:

- a user agent longer than ``MAX_USER_AGENT_LENGTH`` characters is a bot;
- so is one with a run of more than ``MAX_WORD_LENGTH`` letters, digits, ``-``
  or ``_`` (counted after crawlerdetect's own removal of browser tokens, which
  can join two runs).

What remains costs at most about 8 ms on the same machine (the floor is the
alternation itself, about 11 microseconds a character), and a verdict is
cached per user agent, so a visitor's browser is checked once per process.
"""

import functools
import re

from crawlerdetect import CrawlerDetect

try:  # the browser tokens crawlerdetect removes before matching
    from crawlerdetect.crawlerdetect import get_compiled_exclusions_regex
except ImportError:  # pragma: no cover - another crawlerdetect layout

    def get_compiled_exclusions_regex():
        return re.compile(r"(?!)")


#: Longer user agents are bots without further work (browsers stay below 512).
MAX_USER_AGENT_LENGTH = 512
#: Longer runs of word characters are bots (browser tokens stay below 40).
MAX_WORD_LENGTH = 64
# The character class of crawlerdetect's quadratic pattern, with its flags.
_WORD = re.compile(r"[a-z0-9\-_]+", re.IGNORECASE)

_detector = CrawlerDetect()


def is_bot(user_agent):
    """Whether a ``User-Agent`` header comes from a bot.

    A missing or blank header is not taken for a bot: it is no bot's signature,
    and the rate limit and the origin check apply to such requests as to any.
    """
    if not user_agent:
        return False
    if len(user_agent) > MAX_USER_AGENT_LENGTH:
        return True
    user_agent = user_agent.strip()
    if not user_agent:
        # Never hand crawlerdetect an empty string: it would check the user
        # agent stored on its (shared) instance instead.
        return False
    return _verdict(user_agent)


@functools.lru_cache(maxsize=4096)  # at most 4,096 x 512 characters
def _verdict(user_agent):
    tokens = get_compiled_exclusions_regex().sub("", user_agent)
    if any(len(word) > MAX_WORD_LENGTH for word in _WORD.findall(tokens)):
        return True
    return bool(_detector.isCrawler(user_agent))
