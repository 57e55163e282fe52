"""Hostile input: generated requests never break the endpoint, never store an
invalid click, and what is stored never injects into the admin.

In CI (Hypothesis's "ci" profile, tests/conftest.py) Hypothesis generates
10,000 requests to the collect endpoint in total (the ``max_examples`` of the
three endpoint tests), plus the values rendered in the reports; locally (the
"dev" profile) a twelfth of every count. The pure functions behind it get
their own properties: hosts of every form are rejected or follow one grammar,
e-mail addresses however encoded never reach a stored URL, and text keeps no
invisible character. CI's seed is fixed (``derandomize``) so it is
reproducible; run with ``--hypothesis-seed=random`` to explore further.
"""

import csv
import io
import ipaddress
import json
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests import factories
from wagtail_outbound import aggregation, bots, conf
from wagtail_outbound.beacon import (
    INVISIBLE_CATEGORIES,
    MAX_LABEL,
    MAX_TEXT,
    BeaconError,
    clean_text,
    parse_beacon,
)
from wagtail_outbound.models import Link, fingerprint
from wagtail_outbound.urlnorm import (
    InvalidURL,
    clean_query,
    normalise_url,
    source_path,
)

RANDOM_EXAMPLES = 4_000
VALID_EXAMPLES = 2_500
BROKEN_EXAMPLES = 3_500
COLLECT = "/outbound/collect/"


def scaled(count):
    """``count`` under the "ci" profile, in proportion under the one loaded."""
    ci = settings.get_profile("ci").max_examples
    return max(1, count * settings.default.max_examples // ci)


def examples(count, *, scale=True):
    """Hypothesis settings: :func:`scaled` ``count`` examples (or exactly
    ``count``), no time limit."""
    return settings(
        max_examples=scaled(count) if scale else count,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


# Every kind of character, lone surrogates included.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
NO_SURROGATE = st.characters(exclude_categories=("Cs",))
METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]
CONTENT_TYPES = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "text/html",
    "application/xml",
    "",
]
HOSTS = [
    "testserver",
    "www.testserver",
    "evil.example",
    "testserver.evil.example",
    "testserver:8080",
    "bad host",
    "[::1]",
    "xn--bcher-kva.example",
    "a" * 300,
    "",
]
ORIGINS = [
    "http://testserver",
    "https://www.testserver",
    "null",
    "http://evil.example",
    "http://testserver.evil.example",
    "http://evil.example/?http://testserver",
    "http://[::1",
    "",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(ANY_CHAR, max_size=50),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(ANY_CHAR, max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


def encode(data, ascii_only):
    """JSON bytes; lone surrogates become \\ud800 escapes or raw invalid UTF-8."""
    text = json.dumps(data, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def beacons(draw):
    """A beacon the endpoint must accept and count, with any valid values."""
    host = draw(
        st.from_regex(
            r"[a-z]([a-z0-9-]{0,18}[a-z0-9])?\.(com|org|example|test)", fullmatch=True
        )
    )
    path = draw(st.text(NO_SURROGATE, max_size=60).filter(lambda p: "#" not in p))
    path = "".join(c for c in path if ord(c) > 0x20 and c not in "\x7f?")
    query = draw(st.text(NO_SURROGATE, max_size=40))
    query = "".join(c for c in query if ord(c) > 0x20 and c not in "\x7f#")
    data = {
        "url": f"{draw(st.sampled_from(['http', 'https']))}://{host}/{path}"
        + (f"?{query}" if query else ""),
        "source": "http://testserver/"
        + draw(st.from_regex(r"[\w/-]{0,40}", fullmatch=True)),
    }
    labels = st.text(NO_SURROGATE, max_size=40)
    optional = {
        "text": st.none() | st.text(NO_SURROGATE, max_size=120),
        "event": st.none() | labels,
        "category": st.none() | labels,
        "page": st.none() | st.integers(1, 2**31 - 1) | st.just("42"),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(strategy)
    return data


def totals():
    """Rows and clicks of every table the endpoint writes, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM wagtail_outbound_link),"
            " (SELECT COUNT(*) FROM wagtail_outbound_sourcepage),"
            " (SELECT COUNT(*) FROM wagtail_outbound_dailyclicks),"
            " (SELECT COALESCE(SUM(clicks), 0) FROM wagtail_outbound_dailyclicks)"
        )
        return cursor.fetchone()


def send(client, body, *, method="POST", content_type="text/plain", headers=()):
    headers = dict(headers)
    extra = {}
    if "Host" in headers:
        extra["HTTP_HOST"] = headers.pop("Host")
    for name, value in headers.items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    response = client.generic(method, COLLECT, body, content_type=content_type, **extra)
    aggregation.aggregate()  # count what the request left in the inbox
    return response


@pytest.fixture
def endpoint(site, settings):
    """The collect endpoint without a rate limit or a budget of new keys: the
    flood and the budget are tested elsewhere."""
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None
    settings.WAGTAIL_OUTBOUND_MAX_NEW_LINKS_PER_DAY = 10**6
    settings.WAGTAIL_OUTBOUND_MAX_NEW_SOURCES_PER_DAY = 10**6
    settings.WAGTAIL_OUTBOUND_MAX_NEW_LABELS_PER_DAY = 10**6
    settings.WAGTAIL_OUTBOUND_MAX_NEW_COUNTERS_PER_DAY = 10**6
    return Client()


@pytest.mark.slow
def test_random_requests_never_fail_and_only_valid_ones_store(endpoint):
    runs = []
    bodies = st.one_of(
        st.binary(max_size=5000),
        st.builds(encode, json_values, st.booleans()),
        st.builds(encode, beacons(), st.booleans()).flatmap(
            lambda body: st.integers(0, len(body)).map(lambda cut: body[:cut])
        ),
        st.builds(encode, beacons(), st.booleans()),
        st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.integers(1, 3000).map(lambda depth: b'{"url":' * depth),
    )
    header_values = st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60
    )
    headers = st.fixed_dictionaries(
        {},
        optional={
            "Host": st.sampled_from(HOSTS) | header_values,
            "Origin": st.sampled_from(ORIGINS) | header_values,
            "Referer": st.sampled_from(ORIGINS).map(lambda o: o + "/page/")
            | header_values,
            "User-Agent": st.sampled_from(["Googlebot/2.1", "Mozilla/5.0"]),
        },
    )

    @examples(RANDOM_EXAMPLES)
    @given(
        body=bodies,
        method=st.sampled_from(["POST"] * 4 + METHODS)
        | st.from_regex(r"[A-Z]{1,10}", fullmatch=True),
        content_type=st.sampled_from(CONTENT_TYPES) | header_values,
        headers=headers,
    )
    def check(body, method, content_type, headers):
        runs.append(1)
        before = totals()
        response = send(
            endpoint, body, method=method, content_type=content_type, headers=headers
        )
        after = totals()
        assert response.status_code in {204, 400, 403, 405, 413}, response.content
        assert "Set-Cookie" not in response.headers
        if response.status_code != 204:
            assert after == before
        else:
            assert after[3] - before[3] in (0, 1)
            if after[3] > before[3]:
                assert method == "POST"
                parse_beacon(body)  # only a valid beacon can have been counted

    check()
    print(f"\n{len(runs)} random requests")
    assert len(runs) >= scaled(RANDOM_EXAMPLES)


@pytest.mark.slow
def test_any_valid_beacon_stores_exactly_one_click(endpoint):
    runs = []

    @examples(VALID_EXAMPLES)
    @given(
        data=beacons(),
        ascii_only=st.booleans(),
        content_type=st.sampled_from(CONTENT_TYPES),
        origin=st.sampled_from(
            [
                {"Origin": "http://testserver"},
                {"Origin": "https://www.testserver"},
                {"Referer": "http://testserver/some/page/?q=1"},
            ]
        ),
    )
    def check(data, ascii_only, content_type, origin):
        runs.append(1)
        body = encode(data, ascii_only)
        before = totals()
        response = send(endpoint, body, content_type=content_type, headers=origin)
        after = totals()
        if len(body) > conf.get("WAGTAIL_OUTBOUND_MAX_BODY_BYTES"):
            assert response.status_code == 413
            assert after == before
            return
        assert response.status_code == 204, (response.content, data)
        assert after[3] == before[3] + 1
        beacon = parse_beacon(body)
        assert Link.objects.filter(
            url_hash=fingerprint(clean_query(beacon.url))
        ).exists()

    check()
    print(f"\n{len(runs)} valid beacons")
    assert len(runs) >= scaled(VALID_EXAMPLES)


WRONG_TYPES = st.one_of(
    st.integers(), st.floats(), st.booleans(), st.lists(st.integers(), max_size=3)
) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)

# (what breaks the beacon, strategy of a change to (data, headers, method), status)
BREAKAGES = {
    "url of a wrong type": (
        st.just("url").flatmap(
            lambda key: st.one_of(WRONG_TYPES, st.none()).map(lambda v: ({key: v}, {}))
        ),
        400,
    ),
    "source of a wrong type": (
        st.one_of(WRONG_TYPES, st.none()).map(lambda v: ({"source": v}, {})),
        400,
    ),
    "text field of a wrong type": (
        st.tuples(st.sampled_from(["text", "event", "category"]), WRONG_TYPES).map(
            lambda kv: ({kv[0]: kv[1]}, {})
        ),
        400,
    ),
    "page not a positive 32-bit integer": (
        st.one_of(
            st.integers(max_value=0),
            st.integers(min_value=2**31),
            st.floats(),
            st.booleans(),
            st.text(max_size=12).filter(
                lambda t: (
                    t and not (t.isdigit() and len(t) <= 10 and 0 < int(t) < 2**31)
                )
            ),
            st.lists(st.integers(), max_size=2),
        ).map(lambda v: ({"page": v}, {})),
        400,
    ),
    "unknown field": (
        st.text(min_size=1, max_size=20)
        .filter(
            lambda k: k not in {"url", "text", "source", "page", "event", "category"}
        )
        .map(lambda k: ({k: 1}, {})),
        400,
    ),
    "text too long": (
        st.integers(256, 600).map(lambda n: ({"text": "x" * n}, {})),
        400,
    ),
    "label too long": (
        st.tuples(st.sampled_from(["event", "category"]), st.integers(65, 300)).map(
            lambda kv: ({kv[0]: "y" * kv[1]}, {})
        ),
        400,
    ),
    "url too long": (
        st.integers(2049, 3500).map(
            lambda n: ({"url": "https://example.com/" + "a" * (n - 20)}, {})
        ),
        400,
    ),
    "lone surrogate": (
        st.tuples(
            st.sampled_from(["url", "text", "source", "event", "category"]), SURROGATE
        ).map(lambda kv: ({kv[0]: "https://example.com/" + kv[1]}, {})),
        400,
    ),
    "url not http(s)": (
        st.sampled_from(
            [
                "javascript:alert(1)",
                "JaVaScRiPt:alert(1)",
                "data:text/html,<script>alert(1)</script>",
                "vbscript:msgbox",
                "ftp://example.com/",
                "//example.com/",
                "/relative",
                "https://",
                "https://exa mple.com/",
                "https://example.com:99999/",
                "https://<script>/",
            ]
        ).map(lambda url: ({"url": url}, {})),
        400,
    ),
    "source on another site": (
        st.sampled_from(
            [
                "http://evil.example/",
                "http://other.test/",
                "http://testserver.evil.example/",
                "javascript:alert(1)",
            ]
        ).map(lambda source: ({"source": source}, {})),
        {400, 403},
    ),
    "foreign or missing origin": (
        st.sampled_from(
            [
                {"Origin": "http://evil.example"},
                {"Origin": "null"},
                {"Origin": ""},
                {"Origin": "http://testserver.evil.example"},
                {"Referer": "http://evil.example/testserver/"},
                {},
            ]
        ).map(lambda headers: ({}, {"__headers__": headers})),
        403,
    ),
    "wrong method": (
        st.sampled_from(METHODS).map(lambda method: ({}, {"__method__": method})),
        405,
    ),
    "body too large": (
        st.integers(4097, 20_000).map(lambda n: ({}, {"__pad__": n})),
        413,
    ),
    "truncated": (st.just(({}, {"__truncate__": True})), 400),
    "not an object": (
        st.one_of(
            st.lists(st.integers(), max_size=3), st.text(max_size=10), st.integers()
        ).map(lambda value: ({}, {"__replace__": value})),
        400,
    ),
}


@pytest.mark.slow
def test_broken_beacons_are_refused_and_store_nothing(endpoint):
    runs = []

    @examples(BROKEN_EXAMPLES)
    @given(
        data=beacons(),
        breakage=st.sampled_from(sorted(BREAKAGES)).flatmap(
            lambda name: st.tuples(st.just(name), BREAKAGES[name][0])
        ),
        ascii_only=st.booleans(),
        cut=st.floats(0, 0.999),
    )
    def check(data, breakage, ascii_only, cut):
        runs.append(1)
        name, (changes, how) = breakage
        data = {**data, **changes}
        headers = how.get("__headers__", {"Origin": "http://testserver"})
        body = encode(how.get("__replace__", data), ascii_only)
        if "__pad__" in how:
            body = body[:-1] + b" " * how["__pad__"] + b"}"
        if "__truncate__" in how:
            body = body[: int(len(body) * cut)]
        expected = BREAKAGES[name][1]
        expected = expected if isinstance(expected, set) else {expected}
        if len(body) > conf.get("WAGTAIL_OUTBOUND_MAX_BODY_BYTES") and name not in {
            "wrong method",
            "foreign or missing origin",
        }:
            expected = {413}
        before = totals()
        response = send(
            endpoint, body, method=how.get("__method__", "POST"), headers=headers
        )
        assert response.status_code in expected, (name, response.content, body[:200])
        assert totals() == before

    check()
    print(f"\n{len(runs)} broken beacons")
    assert len(runs) >= scaled(BROKEN_EXAMPLES)


# What is stored, shown to editors

PAYLOADS = [
    "<script>pwned()</script>",
    '"><pwned x=1>',
    "'><img src=x onerror=pwned()>",
    "javascript:pwned()",
    '=HYPERLINK("http://evil.example","pwned")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "{{ pwned }}",
    "{% pwned %}",
    "</td></tr></table><pwned>",
]

hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    st.builds(
        lambda a, payload, b: a + payload + b,
        st.text(NO_SURROGATE, max_size=10),
        st.sampled_from(PAYLOADS),
        st.text(NO_SURROGATE, max_size=10),
    ),
)


class InjectionFinder(HTMLParser):
    """Collects elements and attributes that a payload would have created."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in {"pwned", "img"} and any("pwned" in (v or "") for _, v in attrs):
            self.found.append((tag, attrs))
        if tag == "pwned":
            self.found.append((tag, attrs))
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") and "pwned" in value:
                self.found.append((tag, name, value))
            if name in {"href", "src", "action", "formaction"} and value.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                self.found.append((tag, name, value))

    def handle_data(self, data):
        if "pwned()" in data and self.lasttag == "script":
            self.found.append(("script", data))


def injections(html):
    finder = InjectionFinder()
    finder.feed(html)
    return finder.found


def report_pages(client, url):
    """Every page of a paginated report."""
    page = 1
    while True:
        response = client.get(url, {"p": page})
        assert response.status_code == 200
        html = response.content.decode()
        yield html
        if f"p={page + 1}" not in html:
            return
        page += 1


def spreadsheet_cells(client, url):
    csv_text = client.get(url, {"export": "csv"}).getvalue().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(csv_text)) for cell in row]
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(url, {"export": "xlsx"}).getvalue())
    )
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells.extend(cell for cell in row if isinstance(cell, str))
    return cells


@pytest.mark.slow
def test_stored_values_never_inject_into_reports_or_exports(
    endpoint, admin_client, home
):
    stored = []

    # Not scaled: the reports must show at least 100 stored values.
    @examples(150, scale=False)
    @given(
        text=hostile_text,
        event=hostile_text.map(lambda t: t[:64]),
        category=hostile_text.map(lambda t: t[:64]),
        path=hostile_text,
    )
    def record(text, event, category, path):
        data = {
            "url": "https://example.com/"
            + "".join(c for c in path if ord(c) > 0x20 and c not in "#\x7f"),
            "source": "http://testserver/",
            "page": home.pk,
            "text": text,
            "event": event,
            "category": category,
        }
        response = send(
            endpoint, encode(data, True), headers={"Origin": "http://testserver"}
        )
        if response.status_code == 204:
            stored.append(data)

    record()
    assert len(stored) >= 100
    reports = [
        reverse("wagtail_outbound_reports:domains"),
        reverse("wagtail_outbound_reports:urls"),
        reverse("wagtail_outbound_reports:pages"),
    ]
    rendered = [
        html
        for url in [*reports, reverse("wagtailadmin_home")]
        for html in report_pages(admin_client, url)
    ]
    # The link texts are on screen (escaped), so the check has something to find.
    assert any("&lt;script&gt;pwned()" in html for html in rendered)
    for html in rendered:
        assert injections(html) == []
    for url in reports:
        for cell in spreadsheet_cells(admin_client, url):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    # Stored URLs are re-quoted: no markup character survives into them.
    for url in Link.objects.values_list("url", flat=True):
        assert not set(url) & set('<>"` \\'), url


def test_beacon_naming_a_site_the_host_does_not_serve_is_refused(endpoint, site):
    from wagtail.models import Page, Site

    root = Page.get_first_root_node()
    other = Site.objects.create(
        hostname="other.test",
        port=80,
        root_page=root.add_child(instance=Page(title="Other", slug="other")),
    )
    before = totals()
    for host, source in [
        ("testserver", f"http://{other.hostname}/"),
        (other.hostname, "http://testserver/"),
    ]:
        body = encode({"url": "https://example.com/", "source": source}, True)
        response = send(
            endpoint, body, headers={"Host": host, "Origin": f"http://{host}"}
        )
        assert response.status_code == 403, response.content
    assert totals() == before


# Pure functions: every form of host, e-mail addresses and text


HOST_EXAMPLES = 4_000
EMAIL_EXAMPLES = 1_500
TEXT_EXAMPLES = 2_000

# What a stored URL may contain: printable ASCII without quotes, angle
# brackets, backslash, backtick or space.
SAFE_URL_CHARS = set(map(chr, range(0x21, 0x7F))) - set("\"'<>\\`")
# The host grammar, written independently of the code under test.
DNS_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
DNS_NAME = re.compile(rf"{DNS_LABEL}(?:\.{DNS_LABEL})*")
NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")

LDH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
HOSTILE_HOST_CHARS = [
    *"\"'<>`%\\ @[]:/?#*,;!",
    "\x00",
    "\t",
    "\x7f",
    "\u00a0",
    "\u061c",
    "\u200b",
    "\u200e",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u3000",
    "\u3002",  # ideographic full stop: IDNA reads it as a dot
    "\uff0e",  # full-width full stop, likewise
    "\uff1c",  # full-width "<"
    "\ufeff",
]


def _ipv4_part(number, form):
    return {"dec": str(number), "hex": hex(number), "oct": f"0{number:o}"}[form]


# Host forms, built once (inside the composite they would be rebuilt per example).
LABEL = st.one_of(
    st.text(LDH, max_size=70),  # empty and overlong labels included
    st.text(st.characters(categories=("L", "M", "N")), min_size=1, max_size=12),
    st.sampled_from(
        ["xn--bcher-kva", "xn--i-7iq", "xn--ab-88t", "xn--zz", "xn--", "0x7f"]
    ),
    st.integers(0, 999).map(str),
)
NAME = st.builds(
    lambda labels, dot: ".".join(labels) + dot,
    st.lists(LABEL, min_size=1, max_size=6),
    st.sampled_from(["", "", ".", ".."]),
)
# Close to the 253-character limit on either side.
LONG_NAME = st.lists(
    st.text(LDH[:36], min_size=55, max_size=63), min_size=4, max_size=5
).map(".".join)
IPV4 = st.ip_addresses(v=4).map(str)
ODD_IPV4 = st.one_of(
    st.integers(0, 2**32 - 1).map(str),
    st.integers(0, 2**32 - 1).map(hex),
    st.lists(st.integers(0, 999).map(str), min_size=1, max_size=6).map(".".join),
    st.lists(
        st.builds(
            _ipv4_part, st.integers(0, 255), st.sampled_from(["dec", "hex", "oct"])
        ),
        min_size=2,
        max_size=4,
    ).map(".".join),
)
IPV6 = st.builds(
    lambda address, form: f"[{getattr(address, form)}]",
    st.ip_addresses(v=6),
    st.sampled_from(["compressed", "exploded"]),
)
IPV6_ZONE = st.builds(
    lambda address, zone: f"[{address}%{zone}]",
    st.ip_addresses(v=6),
    st.text(ANY_CHAR, max_size=20) | st.just("<script>" * 37),
)
BRACKETED = st.one_of(
    st.text(ANY_CHAR, max_size=20).map(lambda text: f"[{text}]"),
    IPV4.map(lambda address: f"[{address}]"),
    st.builds(
        lambda a, b: f"{a}[::1]{b}",
        st.text(LDH, max_size=3),
        st.text(LDH, max_size=3),
    ),
)
HOST_FORMS = st.one_of(NAME, LONG_NAME, IPV4, ODD_IPV4, IPV6, IPV6_ZONE, BRACKETED)


@st.composite
def hosts(draw):
    """A host of any form, valid or not, as written in a URL."""
    host = draw(HOST_FORMS)
    if draw(st.integers(0, 3)) == 0:  # one hostile character anywhere
        at = draw(st.integers(0, len(host)))
        host = host[:at] + draw(st.sampled_from(HOSTILE_HOST_CHARS)) + host[at:]
    if draw(st.integers(0, 7)) == 0:
        host = host.upper()
    return host


def assert_in_host_grammar(domain):
    """A DNS name, a dotted quad or a compressed IPv6, at most 253 characters."""
    assert domain.isascii() and len(domain) <= 253, domain
    if ":" in domain:
        assert ipaddress.IPv6Address(domain).compressed == domain, domain
        assert "%" not in domain
    elif NUMERIC_LABEL.fullmatch(domain.rsplit(".", 1)[-1]):
        assert str(ipaddress.IPv4Address(domain)) == domain, domain
    else:
        assert DNS_NAME.fullmatch(domain), domain


@pytest.mark.slow
def test_generated_hosts_are_rejected_or_follow_the_grammar():
    stored = []

    @examples(HOST_EXAMPLES)
    # One of each form, so the checks below hold whatever the profile's size.
    @example(host="[2001:DB8::1]", scheme="http", port="", user="", path="")
    @example(host="192.0.2.1", scheme="http", port="", user="", path="")
    @example(host="bücher.example", scheme="http", port="", user="", path="")
    @example(
        host=".".join(["a" * 60] * 4) + ".example",  # 251 characters
        scheme="https",
        port="",
        user="",
        path="",
    )
    @given(
        host=hosts(),
        scheme=st.sampled_from(["http", "https", "HTTPS"]),
        port=st.sampled_from(["", "", ":80", ":443", ":8080", ":", ":99999"]),
        user=st.sampled_from(["", "", "user:pw@", "jane@example.com@"]),
        path=st.text(ANY_CHAR, max_size=30),
    )
    def check(host, scheme, port, user, path):
        raw = f"{scheme}://{user}{host}{port}/{path}"
        try:
            url, domain = normalise_url(raw)
        except InvalidURL:
            pass
        else:
            stored.append(domain)
            assert_in_host_grammar(domain)
            assert set(url) <= SAFE_URL_CHARS, url
            netloc = f"[{domain}]" if ":" in domain else domain
            assert url.startswith(f"{scheme.lower()}://{netloc}"), url
            assert normalise_url(url)[1] == domain  # stable once normalised
        try:
            source_host, path = source_path(raw)
        except InvalidURL:
            return
        assert_in_host_grammar(source_host)
        assert set(path) <= SAFE_URL_CHARS, path

    check()
    # Every form was accepted at least once: the grammar is not "reject all".
    assert any(":" in domain for domain in stored)
    assert any(re.fullmatch(r"[0-9.]+", domain) for domain in stored)
    assert any("xn--" in domain for domain in stored)
    assert any(len(domain) > 200 for domain in stored)


@pytest.mark.slow
def test_generated_beacons_store_only_grammatical_hosts_and_safe_ascii():
    @examples(HOST_EXAMPLES // 4)
    @given(url_host=hosts(), source_host=hosts(), path=st.text(ANY_CHAR, max_size=30))
    def check(url_host, source_host, path):
        body = encode(
            {
                "url": f"https://{url_host}/{path}",
                "source": f"http://{source_host}/{path}",
            },
            False,
        )
        try:
            beacon = parse_beacon(body)
        except BeaconError:
            return
        assert_in_host_grammar(beacon.domain)
        assert_in_host_grammar(beacon.source_host)
        for value in (beacon.url, beacon.source_path):
            assert set(value) <= SAFE_URL_CHARS, value

    check()


EMAIL_ENCODINGS = {
    "raw": lambda email: email,
    "percent-encoded": lambda email: quote(email, safe=""),
    "encoded twice": lambda email: quote(quote(email, safe=""), safe=""),
    "encoded three times": lambda email: quote(
        quote(quote(email, safe=""), safe=""), safe=""
    ),
    "plus-encoded": quote_plus,
    "at sign only": lambda email: email.replace("@", "%40"),
    "at sign twice": lambda email: email.replace("@", "%2540"),
    "full-width at": lambda email: quote(email.replace("@", "\uff20")),
}


def decodings(text):
    """``text`` and what it becomes decoded up to four times, either way."""
    seen = {text}
    for _ in range(4):
        seen |= {unquote(t) for t in seen} | {unquote_plus(t) for t in seen}
    return {unicodedata.normalize("NFKC", t).lower() for t in seen}


@pytest.mark.slow
@pytest.mark.parametrize("encoding", EMAIL_ENCODINGS)
def test_generated_email_addresses_never_reach_a_stored_url(encoding):
    encode_email = EMAIL_ENCODINGS[encoding]
    places = {
        "path segment": "https://e.com/keep/{}/keep?keep=1",
        "path parameter": "https://e.com/keep/a;to={}?keep=1",
        "parameter name": "https://e.com/keep?{}=1&keep=1",
        "parameter value": "https://e.com/keep?keep=1&to={}",
        "text around it": "https://e.com/keep?q=mail+{}+now&keep=1",
    }

    @examples(EMAIL_EXAMPLES // len(EMAIL_ENCODINGS))
    @given(
        local=st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9._%+-]{0,15}", fullmatch=True),
        domain=st.from_regex(
            r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,12}){0,2}\.[a-z]{2,6}", fullmatch=True
        ),
        place=st.sampled_from(sorted(places)),
    )
    def check(local, domain, place):
        email = f"{local}@{domain}"
        raw = places[place].format(encode_email(email))
        url = clean_query(normalise_url(raw)[0])
        assert "keep" in url  # the rest of the URL is kept
        for text in decodings(url):
            assert email.lower() not in text, (raw, url)
        source = source_path(raw)[1]
        for text in decodings(source):
            assert email.lower() not in text, (raw, source)

    check()


@pytest.mark.slow
def test_generated_text_keeps_no_invisible_character():
    @examples(TEXT_EXAMPLES)
    @given(
        value=st.text(ANY_CHAR, max_size=300),
        limit=st.sampled_from([MAX_TEXT, MAX_LABEL]),
    )
    def check(value, limit):
        try:
            cleaned = clean_text(value, limit=limit)
        except BeaconError as error:
            assert str(limit) in str(error)
            return
        assert len(cleaned) <= limit
        assert cleaned == cleaned.strip() and "  " not in cleaned
        for char in cleaned:
            assert unicodedata.category(char) not in INVISIBLE_CATEGORIES, hex(
                ord(char)
            )
            assert char == " " or not char.isspace(), hex(ord(char))

    check()


LONG_HEADER_EXAMPLES = 150


def test_long_headers_of_any_shape_cost_little_and_never_fail(
    endpoint, settings, monkeypatch
):
    """Headers a script can send, far longer than browsers send: the answer
    is never a 500, and the costly parsers only ever see bounded input.

    The bound is checked on what reaches the parsers, not with a clock: the
    cost of a bounded input is measured once (see ``bots``), and a clock in a
    shared process also counts other threads (the background counting) and
    the garbage collector.
    """
    from wagtail_outbound import ratelimit

    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = "1000000/m"
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"
    pieces = st.sampled_from(
        [
            "a",
            "Z",
            "9",
            "-",
            "/",
            ".",
            ",",
            ":",
            " ",
            "(",
            ";",
            "bot",
            "é",
            "😀",
            "Mozilla/5.0 (",
            "AppleWebKit/537.36 ",
            "1.2.3.4, ",
            "[::1]:80, ",
            "%",
        ]
    )
    long_value = st.tuples(pieces, st.integers(1, 9000)).map(
        lambda piece_times: (piece_times[0] * piece_times[1])[:20_000]
    )
    headers = st.fixed_dictionaries(
        {"User-Agent": long_value},
        optional={
            "Origin": long_value.map(lambda value: "http://testserver/" + value),
            "Referer": long_value,
            "X-Forwarded-For": long_value,
            "Accept-Language": long_value,
            "Cookie": long_value,
        },
    )
    user_agents, addresses = [], []
    # Patched on the class: an attribute set on the shared instance would
    # outlive the test and hide later tests' spies.
    detector = type(bots._detector)
    is_crawler = detector.isCrawler
    normalise_address = ratelimit.normalise_address
    monkeypatch.setattr(
        detector,
        "isCrawler",
        lambda self, ua=None: user_agents.append(ua) or is_crawler(self, ua),
    )
    monkeypatch.setattr(
        ratelimit,
        "normalise_address",
        lambda entry: addresses.append(entry) or normalise_address(entry),
    )
    bots._verdict.cache_clear()

    @examples(LONG_HEADER_EXAMPLES)
    @given(headers=headers, body=st.builds(encode, beacons(), st.booleans()))
    def check(headers, body):
        headers.setdefault("Origin", "http://testserver")
        response = endpoint.generic(
            "POST",
            COLLECT,
            body,
            content_type="text/plain",
            # As a WSGI server passes them: the header's bytes read as Latin-1.
            **{
                "HTTP_" + name.upper().replace("-", "_"): value.encode().decode(
                    "latin-1"
                )
                for name, value in headers.items()
            },
        )
        assert response.status_code in (204, 400, 403, 413), response.content

    check()
    # crawlerdetect's cost grows with the length and with the square of the
    # longest word run: neither may exceed the bounds measured in ``bots``.
    # (Runs are counted as crawlerdetect matches: after its browser tokens.)
    for user_agent in user_agents:
        assert len(user_agent) <= bots.MAX_USER_AGENT_LENGTH
        matched = bots.get_compiled_exclusions_regex().sub("", user_agent)
        runs = re.findall(r"[a-z0-9_-]+", matched, re.IGNORECASE)
        assert max(map(len, runs), default=0) <= bots.MAX_WORD_LENGTH, user_agent
    assert all(len(entry) <= ratelimit.MAX_HEADER_CHARS for entry in addresses)
    # The spies saw the requests at all: a short browser user agent and a
    # proxy chain reach both parsers.
    user_agents.clear()
    addresses.clear()
    response = factories.send(
        endpoint, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1"
    )
    assert response.status_code == 204
    assert user_agents and addresses
