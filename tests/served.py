"""What a visitor's browser would count on a page, found without the inventory's
code: Beautiful Soup (a Wagtail dependency) reads the HTML, and the collect
endpoint's own beacon parser stores each URL. The oracle of the inventory's
"matches what the pages serve" tests (tests/test_inventory.py, the demo's)."""

import json
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from wagtail_outbound.beacon import BeaconError, parse_beacon
from wagtail_outbound.site_config import config_for_site
from wagtail_outbound.urlnorm import clean_query

NO_TRACK = "[data-insights-no-track], [data-outbound-no-track]"


def served_links(html, page_url, site):
    """``{url: text}``: the links of ``html`` that the tracker would report,
    stored as the collect endpoint stores a click on them."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup.select("noscript, template"):
        hidden.decompose()
    base = soup.find("base", href=True)
    base_url = urljoin(page_url, base["href"]) if base else page_url
    config = config_for_site(site)
    page_host = urlsplit(page_url).hostname
    found = {}
    for link in soup.select("a[href], area[href]"):
        if link.select_one(NO_TRACK) or any(
            element.has_attr("data-insights-no-track")
            or element.has_attr("data-outbound-no-track")
            for element in [link, *link.parents]
            if hasattr(element, "has_attr")
        ):
            continue
        url = urljoin(base_url, "".join(link["href"].split("\t")).strip())
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        body = json.dumps({"url": url.split("#")[0], "source": page_url})
        try:
            beacon = parse_beacon(body.encode())
        except BeaconError:
            continue
        if (
            beacon.domain == page_host
            or config.is_internal(beacon.domain, site.hostname)
            or config.is_excluded(beacon.domain)
        ):
            continue
        stored = clean_query(
            beacon.url,
            drop_all=config.query_strings == "drop_all",
            dropped=config.dropped_parameters
            if config.query_strings == "drop_listed"
            else (),
        )
        text = " ".join(link.get_text().split())
        if not found.get(stored):
            found[stored] = text[:255]
    return found
