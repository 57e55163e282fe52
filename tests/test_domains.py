"""Hostname lists with ``*.example.com`` wildcards."""

import pytest
from django.core.exceptions import ValidationError

from wagtail_outbound.domains import (
    MAX_HOST_LENGTH,
    InvalidHost,
    canonical_host,
    host_matches,
    matches_any,
    normalise_host,
    parse_domain_list,
    site_hosts,
)

LABEL_63 = "a" * 63
# Four labels of 63 and one of 61: 253 characters with the dots.
HOST_253 = ".".join([LABEL_63] * 3 + ["b" * 61])


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        (" example.com ", "example.com"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("ä" * 70 + ".example", ""),  # a label too long for IDNA
    ],
)
def test_hosts_are_normalised(host, expected):
    assert normalise_host(host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        # DNS names: lower-cased, one trailing dot dropped, underscores allowed.
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("my_host.example", "my_host.example"),
        ("_dmarc.example", "_dmarc.example"),
        ("a-b.example", "a-b.example"),
        ("localhost", "localhost"),
        ("1.2.3.example", "1.2.3.example"),
        ("0x7f.example", "0x7f.example"),
        ("a.b.c.1e", "a.b.c.1e"),
        (f"{LABEL_63}.example", f"{LABEL_63}.example"),
        (HOST_253, HOST_253),
        (HOST_253 + ".", HOST_253),
        # IDN: punycode through IDNA, after lower-casing and width folding.
        ("Bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("xn--i-7iq.ws", "xn--i-7iq.ws"),
        ("\uff45xample.com", "example.com"),
        # IDNA maps zero-width spaces and soft hyphens to nothing, as browsers do.
        ("exa\u200bmple.com", "example.com"),
        ("exa\xadmple.com", "example.com"),
        # IPv4: dotted quads only.
        ("192.0.2.1", "192.0.2.1"),
        ("192.0.2.1.", "192.0.2.1"),
        ("255.255.255.255", "255.255.255.255"),
        ("\uff11\uff12\uff17\uff0e0\uff0e0\uff0e1", "127.0.0.1"),
        # IPv6: in brackets, compressed.
        ("[2001:DB8:0:0:0:0:0:1]", "2001:db8::1"),
        ("[::1]", "::1"),
        ("[::ffff:192.0.2.1]", "::ffff:c000:201"),
    ],
)
def test_hosts_are_canonicalised_to_one_grammar(host, expected):
    assert canonical_host(host) == expected


@pytest.mark.parametrize(
    "host",
    [
        "",
        None,
        ".",
        "..",
        "a..example",
        "example.com..",
        ".example.com",
        "-bad.example",
        "bad-.example",
        "a" * 64 + ".example",
        HOST_253 + "c",
        "ä" * 70 + ".example",
        # Numeric last label but no dotted quad: browsers read other addresses.
        "0x7f.1",
        "0x7f000001",
        "2130706433",
        "1.2.3",
        "1.2.3.4.5",
        "127.0.0.01",
        "256.0.0.1",
        "example.0x10",
        "example.123",
        "0x",
        # IPv6: brackets required, no zone identifier, nothing else in brackets.
        "::1",
        "2001:db8::1",
        "[fe80::1%eth0]",
        "[fe80::1%25eth0]",
        "[fe80::1%<script>]",
        "[fe80::1%]",
        "[1.2.3.4]",
        "[v1.fe]",
        "[example.com]",
        "[::1",
        "::1]",
        "[]",
        # Markup, quotes, percent, spaces, controls and bidi characters.
        'exa"mple.com',
        "exa'mple.com",
        "exa<mple>.com",
        "exa`mple.com",
        "exa%41mple.com",
        "exa\\mple.com",
        "exa mple.com",
        "exa\tmple.com",
        "exa\x00mple.com",
        "exa\u202emple.com",
        "exa\u2066mple.com",
        "example.com:8080",
        "user@example.com",
        "*.example.com",
        # Punycode that decodes to a bidi isolate, or does not decode at all.
        "xn--ab-88t.example",
        "xn--zz.example",
        "xn--.example",
    ],
)
def test_hosts_outside_the_grammar_are_rejected(host):
    with pytest.raises(InvalidHost):
        canonical_host(host)


def test_host_length_limit_is_that_of_dns():
    assert MAX_HOST_LENGTH == 253
    assert len(HOST_253) == 253


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        (None, ()),
        ("example.com", ("example.com",)),
        ("Example.com\n*.Partner.example", ("example.com", "*.partner.example")),
        ("\n\n  example.com  \n", ("example.com",)),
        ("a.example\r\n\r\nb.example\r\n", ("a.example", "b.example")),
        ("\t*.a.example \n", ("*.a.example",)),
        ("*.bücher.example", ("*.xn--bcher-kva.example",)),
        ("my_host.example", ("my_host.example",)),
        ("192.0.2.1", ("192.0.2.1",)),
    ],
)
def test_domain_lists_are_parsed(text, expected):
    assert parse_domain_list(text) == expected


def bad_lines(text):
    """``[(line, entry)]`` named by the error for ``text``."""
    with pytest.raises(ValidationError) as info:
        parse_domain_list(text)
    assert {error.code for error in info.value.error_list} == {"invalid_domain"}
    return [(e.params["line"], e.params["entry"]) for e in info.value.error_list]


@pytest.mark.parametrize(
    "entry",
    [
        "http://example.com",
        "example.com/path",
        "*example.com",
        "ex*ample.com",
        "*.*.example.com",
        "*.",
        "-bad.example",
        "bad-.example",
        "a..example",
        "user@example.com",
        "example.com:8080",
        "bad_host!",
        "1.2.3",
        "0x7f.1",
        "*.192.0.2.1",
        "[::1]",
        "::1",
        "a.example,b.example",
        "a.example b.example",
        "a.example, b.example",
        "exa\u202emple.com",
    ],
)
def test_a_bad_line_is_named_with_its_number(entry):
    assert bad_lines(f"good.example\n\n  {entry}  \nother.example") == [(3, entry)]


def test_every_bad_line_is_named_in_one_error():
    text = "good.example\nbad_host!\n\nexa mple.com\n*.fine.example\na, b\n"
    assert bad_lines(text) == [(2, "bad_host!"), (4, "exa mple.com"), (6, "a, b")]
    with pytest.raises(ValidationError) as info:
        parse_domain_list(text)
    assert info.value.messages == [
        "Line 2: “bad_host!” is not a hostname or a *.example.com wildcard.",
        "Line 4: “exa mple.com” is not a hostname or a *.example.com wildcard.",
        "Line 6: “a, b” is not a hostname or a *.example.com wildcard.",
    ]


@pytest.mark.parametrize(
    ("host", "pattern", "expected"),
    [
        ("example.com", "example.com", True),
        ("www.example.com", "example.com", False),
        ("example.com", "*.example.com", True),
        ("www.example.com", "*.example.com", True),
        ("a.b.example.com", "*.example.com", True),
        ("notexample.com", "*.example.com", False),
        ("example.com.evil.test", "*.example.com", False),
        ("example.co", "*.example.com", False),
    ],
)
def test_wildcards_match_the_domain_and_its_subdomains_only(host, pattern, expected):
    assert host_matches(host, pattern) is expected


def test_matches_any_pattern_of_a_list():
    patterns = ("a.example", "*.b.example")
    assert matches_any("x.b.example", patterns)
    assert not matches_any("c.example", patterns)
    assert not matches_any("c.example", ())


@pytest.mark.parametrize(
    ("hostname", "expected"),
    [
        ("site.test", ("site.test", "www.site.test")),
        ("www.site.test", ("site.test", "www.site.test")),
        ("WWW.Site.Test", ("site.test", "www.site.test")),
    ],
)
def test_site_hosts_fold_www(hostname, expected):
    assert site_hosts(hostname) == expected
