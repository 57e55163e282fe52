"""Hostname lists with ``*.example.com`` wildcards."""

import pytest
from django.core.exceptions import ValidationError

from wagtail_outbound.domains import (
    host_matches,
    matches_any,
    normalise_host,
    parse_domain_list,
    site_hosts,
)


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
    ("text", "expected"),
    [
        ("", ()),
        (None, ()),
        ("example.com", ("example.com",)),
        ("Example.com\n*.Partner.example", ("example.com", "*.partner.example")),
        ("a.example, b.example  c.example", ("a.example", "b.example", "c.example")),
        ("\n\n  example.com  \n", ("example.com",)),
        ("*.bücher.example", ("*.xn--bcher-kva.example",)),
    ],
)
def test_domain_lists_are_parsed(text, expected):
    assert parse_domain_list(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "http://example.com",
        "example.com/path",
        "*example.com",
        "ex*ample.com",
        "*.*.example.com",
        "-bad.example",
        "bad-.example",
        "a..example",
        "user@example.com",
        "example.com:8080",
        "good.example\nbad_host!",
    ],
)
def test_bad_domain_lists_name_the_bad_entry(text):
    with pytest.raises(ValidationError) as info:
        parse_domain_list(text)
    assert info.value.code == "invalid_domain"
    assert info.value.params["entry"] in text


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
