"""Validation of the tracker's beacon: tables of good and bad payloads."""

import json

import pytest

from wagtail_outbound.beacon import (
    MAX_LABEL,
    MAX_TEXT,
    Beacon,
    BeaconError,
    clean_text,
    parse_beacon,
)

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
            {"text": "abcd"},
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
        # Invisible characters do not count towards the limits.
        (
            {"url": "https://e.com/", "text": "x" * 255 + "\u202e\u2066" * 20},
            {"text": "x" * 255},
        ),
        (
            {"url": "https://e.com/", "event": "e" * 32 + "\u200b" * 40 + "e" * 32},
            {"event": "e" * 64},
        ),
        (
            {"url": "https://e.com/", "category": "\u2067c\u2069\u200f" * 64},
            {"category": "c" * 64},
        ),
        # Hosts follow the host grammar; e-mail addresses never reach a URL.
        (
            {"url": "http://[2001:DB8::1]/u/jane%40example.com?t=jane@example.com"},
            {"url": "http://[2001:db8::1]/u/[email]", "domain": "2001:db8::1"},
        ),
        (
            {"url": "https://e.com/", "source": "https://Site.test/u/jane@x.example/"},
            {"source_host": "site.test", "source_path": "/u/[email]/"},
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
        (body(url="http://[fe80::1%<script>]/"), "zone"),
        (body(url="http://0x7f.1/"), "IPv4"),
        (body(url="http://2130706433/"), "IPv4"),
        (body(url="http://exa\u202emple.com/"), "host"),
        (body(url="http://" + "a" * 64 + ".example/"), "host"),
        (body(url="https://e.com/", source="http://[fe80::1%<x>]/"), "source"),
        (body(url="https://e.com/", source="http://1.2.3/"), "source"),
        (body(url="https://e.com/", source='http://si"te.test/'), "source"),
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


# Text scrubbing: every invisible character, by Unicode category.

INVISIBLE = {
    "NUL (Cc)": "\x00",
    "DEL (Cc)": "\x7f",
    "CSI (Cc)": "\x9b",
    "soft hyphen (Cf)": "\xad",
    "Arabic letter mark (Cf)": "\u061c",
    "Mongolian vowel separator (Cf)": "\u180e",
    "zero-width space (Cf)": "\u200b",
    "zero-width non-joiner (Cf)": "\u200c",
    "zero-width joiner (Cf)": "\u200d",
    "left-to-right mark (Cf)": "\u200e",
    "right-to-left mark (Cf)": "\u200f",
    "left-to-right embedding (Cf)": "\u202a",
    "right-to-left embedding (Cf)": "\u202b",
    "pop directional formatting (Cf)": "\u202c",
    "left-to-right override (Cf)": "\u202d",
    "right-to-left override (Cf)": "\u202e",
    "word joiner (Cf)": "\u2060",
    "left-to-right isolate (Cf)": "\u2066",
    "right-to-left isolate (Cf)": "\u2067",
    "first strong isolate (Cf)": "\u2068",
    "pop directional isolate (Cf)": "\u2069",
    "byte order mark (Cf)": "\ufeff",
    "interlinear annotation (Cf)": "\ufff9",
    "tag space (Cf)": "\U000e0020",
    "private use (Co)": "\ue000",
    "supplementary private use (Co)": "\U000f0000",
    "lone surrogate (Cs)": "\ud800",
    "unassigned (Cn)": "\u0378",
    "noncharacter (Cn)": "\uffff",
}
SPACES = {
    "tab": "\t",
    "line feed": "\n",
    "next line (Cc)": "\x85",
    "no-break space (Zs)": "\xa0",
    "ideographic space (Zs)": "\u3000",
    "line separator (Zl)": "\u2028",
    "paragraph separator (Zp)": "\u2029",
}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_characters_are_removed_from_text(char):
    assert clean_text(f"{char}Pay{char}Pal{char}", limit=MAX_TEXT) == "PayPal"
    assert clean_text(f"ad{char}{char}_click", limit=MAX_LABEL) == "ad_click"


@pytest.mark.parametrize("char", SPACES.values(), ids=SPACES.keys())
def test_whitespace_of_every_kind_becomes_one_space(char):
    assert clean_text(f"{char}Read{char}{char} the{char}", limit=MAX_TEXT) == (
        "Read the"
    )


@pytest.mark.parametrize(
    "value",
    [
        "Bücher",
        "日本語のリンク",
        "😀 emoji",
        "e\u0301",  # a combining accent is visible
        "<b>x</b> & 'quotes' \"too\"",
    ],
)
def test_visible_text_is_kept_as_it_is(value):
    assert clean_text(value, limit=MAX_TEXT) == value


def test_text_of_only_invisible_characters_is_empty():
    assert clean_text("\u202e\u200b\ufeff \u2066", limit=MAX_LABEL) == ""


def test_limits_apply_after_scrubbing():
    assert clean_text(" " + "x" * MAX_LABEL + "\u200b ", limit=MAX_LABEL) == (
        "x" * MAX_LABEL
    )
    with pytest.raises(BeaconError, match="64"):
        clean_text("x" * (MAX_LABEL + 1), limit=MAX_LABEL)
