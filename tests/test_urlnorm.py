"""Normalisation of target URLs and source pages: tables of inputs and outputs."""

import pytest

from wagtail_outbound.urlnorm import InvalidURL, clean_query, normalise_url, source_path


@pytest.mark.parametrize(
    ("raw", "url", "domain"),
    [
        ("https://example.com/a", "https://example.com/a", "example.com"),
        # A bare host gets the root path.
        ("https://example.com", "https://example.com/", "example.com"),
        # Scheme and host are lower-cased; the path keeps its case.
        ("HTTPS://Example.COM/Path", "https://example.com/Path", "example.com"),
        # Default ports are dropped, other ports kept.
        ("https://example.com:443/a", "https://example.com/a", "example.com"),
        ("http://example.com:80/a", "http://example.com/a", "example.com"),
        ("http://example.com:443/a", "http://example.com:443/a", "example.com"),
        ("https://example.com:8443/a", "https://example.com:8443/a", "example.com"),
        # The fragment is dropped, the query kept.
        ("https://example.com/a?b=1#top", "https://example.com/a?b=1", "example.com"),
        ("https://example.com/a#", "https://example.com/a", "example.com"),
        # User name and password are dropped.
        ("https://user:secret@example.com/a", "https://example.com/a", "example.com"),
        # IDN hosts are stored as punycode.
        (
            "https://Bücher.example/ä",
            "https://xn--bcher-kva.example/%C3%A4",
            "xn--bcher-kva.example",
        ),
        # A trailing dot on the host is dropped.
        ("https://example.com./a", "https://example.com/a", "example.com"),
        # The domain is the hostname: www and sub-domains are kept.
        ("https://www.example.com/", "https://www.example.com/", "www.example.com"),
        (
            "https://a.b.example.co.uk/",
            "https://a.b.example.co.uk/",
            "a.b.example.co.uk",
        ),
        ("http://192.0.2.1:8080/x", "http://192.0.2.1:8080/x", "192.0.2.1"),
        ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x", "2001:db8::1"),
        ("https://my_host.example/", "https://my_host.example/", "my_host.example"),
        # Markup characters are percent-encoded; existing escapes are kept.
        (
            'https://example.com/<script>"x"',
            "https://example.com/%3Cscript%3E%22x%22",
            "example.com",
        ),
        ("https://example.com/a%20b", "https://example.com/a%20b", "example.com"),
        ("https://example.com/?q=<b>", "https://example.com/?q=%3Cb%3E", "example.com"),
    ],
)
def test_good_urls_are_normalised(raw, url, domain):
    assert normalise_url(raw) == (url, domain)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        42,
        ["https://example.com/"],
        "example.com/a",
        "//example.com/a",
        "/relative/path",
        "mailto:someone@example.com",
        "tel:+441234567890",
        "javascript:alert(1)",
        "ftp://example.com/file",
        "data:text/html,<p>x</p>",
        "https:///no-host",
        "https://./",
        "https://a..b/",
        "https://-bad.example/",
        "https://exa mple.com/",
        "https://example.com/a b",
        "https://example.com/\x00",
        "https://example.com\t/",
        "https://example.com:99999/",
        "https://example.com:port/",
        "https://[::1/",
        "https://[not-ipv6]/",
        "https://example<.com/",
        "https://" + "a" * 64 + ".example/",
        "https://" + ".".join(["a" * 60] * 5) + "/",
        "https://example.com/" + "a" * 2030,
    ],
)
def test_bad_urls_are_rejected(raw):
    with pytest.raises(InvalidURL):
        normalise_url(raw)


def test_url_of_exactly_the_limit_is_accepted_and_one_more_is_rejected():
    base = "https://example.com/"
    exact = base + "a" * (2048 - len(base))
    assert normalise_url(exact) == (exact, "example.com")
    with pytest.raises(InvalidURL):
        normalise_url(exact + "a")


def test_url_that_grows_over_the_limit_when_encoded_is_rejected():
    base = "https://example.com/"
    with pytest.raises(InvalidURL):
        normalise_url(base + "é" * (2048 - len(base)))


def test_limit_is_configurable():
    with pytest.raises(InvalidURL):
        normalise_url("https://example.com/abcdef", max_length=20)


@pytest.mark.parametrize(
    ("url", "options", "expected"),
    [
        ("https://e.com/a", {}, "https://e.com/a"),
        ("https://e.com/a?x=1&y=2", {}, "https://e.com/a?x=1&y=2"),
        # Campaign and click identifiers are always removed.
        (
            "https://e.com/a?utm_source=n&x=1&UTM_Medium=m&fbclid=f&gclid=g",
            {},
            "https://e.com/a?x=1",
        ),
        ("https://e.com/a?msclkid=1&mc_eid=2", {}, "https://e.com/a"),
        # Values that look like e-mail addresses are removed, encoded or not.
        ("https://e.com/a?to=me@mail.example&x=1", {}, "https://e.com/a?x=1"),
        ("https://e.com/a?to=me%40mail.example&x=1", {}, "https://e.com/a?x=1"),
        # Kept parameters keep their encoding.
        ("https://e.com/a?q=a%20b&utm_x=1", {}, "https://e.com/a?q=a%20b"),
        ("https://e.com/a?x=1&y=2", {"drop_all": True}, "https://e.com/a"),
        (
            "https://e.com/a?ref=me&x=1&REF=2",
            {"dropped": ["Ref"]},
            "https://e.com/a?x=1",
        ),
    ],
)
def test_query_strings_are_cleaned(url, options, expected):
    assert clean_query(url, **options) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://testserver/", ("testserver", "/")),
        ("http://testserver", ("testserver", "/")),
        ("https://WWW.Site.test/blog/post/", ("www.site.test", "/blog/post/")),
        # The query can carry personal data and the fragment is not a page.
        ("https://site.test/search/?q=my+name#r", ("site.test", "/search/")),
        ("https://site.test:8000/ü", ("site.test", "/%C3%BC")),
    ],
)
def test_source_page_keeps_host_and_path_only(raw, expected):
    assert source_path(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [None, "", "/blog/", "file:///etc/passwd", "http://", "https://site.test/a b"],
)
def test_bad_source_pages_are_rejected(raw):
    with pytest.raises(InvalidURL):
        source_path(raw)
