"""Privacy: nothing about the visitor is stored and no cookie is set.

``visitor_traces`` reads every column of every table of every installed app,
so a new table or column that starts keeping visitor data fails these tests.
"""

import json

from django.db import connection

from wagtail_outbound import stats

IP = "198.51.100.23"
FORWARDED_IP = "203.0.113.99"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) PrivacyProbe/7.7 Chrome/156.0"
COOKIE = "visitor-cookie-5f0c2b"
PERSONAL_QUERY = "email=jane%40example.com&session=abc123secret"


def visitor_traces(needles):
    """``(table, column, value)`` of every stored value containing a needle."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                column.name
                for column in connection.introspection.get_table_description(
                    cursor, table
                )
            ]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value).decode("utf-8", "replace")
                    text = str(value)
                    found.extend(
                        (table, column, text) for needle in needles if needle in text
                    )
    return found


def test_traces_are_found_when_present(site):
    """The inspection itself works: a planted value is found."""
    site.site_name = f"planted {USER_AGENT}"
    site.save()
    assert visitor_traces([USER_AGENT]) == [
        ("wagtailcore_site", "site_name", f"planted {USER_AGENT}")
    ]


def test_clicks_leave_no_trace_of_the_visitor(client, site, settings):
    settings.WAGTAIL_OUTBOUND_CLIENT_IP_HEADER = "X-Forwarded-For"
    client.cookies["visitor"] = COOKIE
    responses = [
        client.post(
            "/outbound/collect/",
            data=json.dumps(
                {
                    "url": f"https://example.com/{i % 3}",
                    "text": "Example",
                    "source": f"http://testserver/page/?{PERSONAL_QUERY}",
                }
            ),
            content_type="text/plain",
            HTTP_ORIGIN="http://testserver",
            HTTP_REFERER=f"http://testserver/page/?{PERSONAL_QUERY}",
            HTTP_USER_AGENT=USER_AGENT,
            HTTP_X_FORWARDED_FOR=FORWARDED_IP,
            REMOTE_ADDR=IP,
        )
        for i in range(12)
    ]
    assert {response.status_code for response in responses} == {204}
    assert stats.total(stats.Filters()) == 12
    assert all(not response.cookies for response in responses)
    assert all("Set-Cookie" not in response.headers for response in responses)
    assert (
        visitor_traces(
            [IP, FORWARDED_IP, "PrivacyProbe", COOKIE, "jane", "abc123secret"]
        )
        == []
    )


def test_no_table_of_the_app_has_a_column_for_the_visitor(db):
    suspicious = ("ip", "addr", "agent", "visitor", "session", "cookie", "user")
    with connection.cursor() as cursor:
        columns = [
            (table, column.name)
            for table in connection.introspection.table_names(cursor)
            if table.startswith("wagtail_outbound_")
            and table != "wagtail_outbound_outboundsettings"
            for column in connection.introspection.get_table_description(cursor, table)
        ]
    assert columns
    assert [
        (table, name)
        for table, name in columns
        if any(word in name.lower().split("_") for word in suspicious)
    ] == []


# Each URL carries personal data in another place or encoding.
PERSONAL_URLS = [
    "https://shop.example/u/jane@example.com/orders",
    "https://shop.example/u/jane%40example.com/",
    "https://shop.example/u/jane%2540example.com/",
    "https://shop.example/p?to=jane%2540example.com&x=1",
    "https://shop.example/p?q=mail+jane%40example.com&x=2",
    "https://shop.example/p?jane%40example.com=1&x=3",
    "https://shop.example/p;jsessionid=abc123secret?x=4",
    "https://shop.example/p?access_token=abc123secret&sessionid=abc123secret&x=5",
    "https://shop.example/p?code=abc123secret&state=abc123secret&x=6",
]


def test_personal_data_in_urls_is_never_stored(client, site):
    for number, url in enumerate(PERSONAL_URLS):
        response = client.post(
            "/outbound/collect/",
            data=json.dumps(
                {
                    "url": url,
                    "text": "Orders",
                    "source": f"http://testserver/u/jane%2540example.com/{number}/",
                }
            ),
            content_type="text/plain",
            HTTP_ORIGIN="http://testserver",
        )
        assert response.status_code == 204, response.content
    assert visitor_traces(["shop.example"])  # the clicks were stored
    assert visitor_traces(["jane", "abc123secret"]) == []
