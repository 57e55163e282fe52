"""Validation of the tracker's beacon: tables of good and bad payloads."""

import json

import pytest

from wagtail_outbound.beacon import Beacon, BeaconError, parse_beacon

SOURCE = "https://site.test/blog/post/?q=secret#top"


def body(**fields):
    return json.dumps({"source": SOURCE, **fields}).encode()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"url": "https://Example.com:443/a#x"},
            {"url": "https://example.com/a", "domain": "example.com", "text": ""},
        ),
        # Text is trimmed, whitespace collapsed, control characters removed.
        (
            {"url": "https://e.com/", "text": "  Read\n\tthe   docs  "},
            {"text": "Read the docs"},
        ),
        (
            {"url": "https://e.com/", "text": "a\x00b\u200bc\u202ed\ufeff"},
            {"text": "a b c d"},
        ),
        ({"url": "https://e.com/", "text": None}, {"text": ""}),
        ({"url": "https://e.com/", "text": "é" * 255}, {"text": "é" * 255}),
        ({"url": "https://e.com/", "text": "😀" * 255}, {"text": "😀" * 255}),
        # Markup is stored as text; escaping is the job of whatever displays it.
        ({"url": "https://e.com/", "text": "<b>x</b>"}, {"text": "<b>x</b>"}),
        ({"url": "https://e.com/", "page": 12}, {"page_id": 12}),
        ({"url": "https://e.com/", "page": "12"}, {"page_id": 12}),
        ({"url": "https://e.com/", "page": ""}, {"page_id": None}),
        ({"url": "https://e.com/", "page": None}, {"page_id": None}),
        ({"url": "https://e.com/", "page": 2**31 - 1}, {"page_id": 2**31 - 1}),
        (
            {
                "url": "https://shop.example/p?aff=1",
                "event": " affiliate_click ",
                "category": "conversion",
            },
            {"event": "affiliate_click", "category": "conversion"},
        ),
        ({"url": "https://e.com/", "event": None}, {"event": "", "category": ""}),
        # The source page keeps its host and path, never its query.
        (
            {"url": "https://e.com/"},
            {"source_host": "site.test", "source_path": "/blog/post/"},
        ),
    ],
)
def test_good_beacons_are_parsed(fields, expected):
    beacon = parse_beacon(body(**fields))
    assert isinstance(beacon, Beacon)
    assert {name: getattr(beacon, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "JSON object"),
        (b"not json", "JSON object"),
        (b"\xff\xfe", "UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b'"https://e.com/"', "JSON object"),
        (b"null", "JSON object"),
        (b"[" * 5000 + b"]" * 5000, "JSON object"),
        (body(), "url"),
        (body(url=""), "url"),
        (body(url=None), "url"),
        (body(url=1), "url"),
        (body(url="/relative"), "http"),
        (body(url="mailto:a@b.example"), "http"),
        (body(url="javascript:alert(1)"), "http"),
        (body(url="https://e.com/" + "a" * 2100), "longer than 2048"),
        (json.dumps({"url": "https://e.com/"}).encode(), "source"),
        (body(url="https://e.com/", source="/blog/"), "source"),
        (body(url="https://e.com/", source="mailto:x@y.example"), "source"),
        (body(url="https://e.com/", text="x" * 256), "255"),
        (body(url="https://e.com/", text=["a"]), "strings"),
        (body(url="https://e.com/", text=5), "strings"),
        (body(url="https://e.com/", event="e" * 65), "64"),
        (body(url="https://e.com/", category={"a": 1}), "strings"),
        (body(url="https://e.com/", page=0), "page"),
        (body(url="https://e.com/", page=-3), "page"),
        (body(url="https://e.com/", page=2**31), "page"),
        (body(url="https://e.com/", page=1.5), "page"),
        (body(url="https://e.com/", page=True), "page"),
        (body(url="https://e.com/", page="12a"), "page"),
        (body(url="https://e.com/", page="²"), "page"),
        (body(url="https://e.com/", page="٣"), "page"),
        (body(url="https://e.com/", page="99999999999"), "page"),
        (body(url="https://e.com/", page=[1]), "page"),
        (b'{"url": "https://e.com/", "source": "http://s.test/", "page": NaN}', "page"),
        (body(url="https://e.com/", visitor="abc"), "unknown field: visitor"),
        (b'{"url": "https://e.com/\\ud800", "source": "http://s.test/"}', "unicode"),
        (
            b'{"url": "https://e.com/", "source": "http://s.test/", "text": "\\udfff"}',
            "unicode",
        ),
    ],
)
def test_bad_beacons_are_rejected_with_a_reason(raw, message):
    with pytest.raises(BeaconError) as info:
        parse_beacon(raw)
    assert message in str(info.value)


def test_url_limit_is_passed_through():
    with pytest.raises(BeaconError, match="longer than 30"):
        parse_beacon(body(url="https://e.com/" + "a" * 20), max_url_length=30)


def test_error_messages_do_not_echo_long_input():
    with pytest.raises(BeaconError) as info:
        parse_beacon(body(url="https://e.com/", **{"x" * 1000: 1}))
    assert len(str(info.value)) < 64
