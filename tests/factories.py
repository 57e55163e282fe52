"""Beacons and clicks for tests: one place to build and send them."""

import json

from wagtail_outbound import aggregation

COLLECT = "/outbound/collect/"
# Headless Chromium's own user agent is a bot to the filter; visitors are not.
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def beacon(url="https://example.com/a", source="http://testserver/", **fields):
    """A beacon body as the tracker sends it."""
    return json.dumps({"url": url, "source": source, **fields})


def send(client, data=None, *, count=True, **headers):
    """POST a beacon to the collect endpoint as a browser on testserver would,
    then count what is pending (``count=False`` leaves it in the inbox)."""
    headers = {"HTTP_ORIGIN": "http://testserver", "HTTP_USER_AGENT": BROWSER} | headers
    response = client.post(
        COLLECT,
        data=beacon() if data is None else data,
        content_type="text/plain",
        **headers,
    )
    if count:
        aggregation.aggregate()
    return response
