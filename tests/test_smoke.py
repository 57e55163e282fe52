import json

from wagtail_outbound import stats


def test_click_is_counted(client, home):
    response = client.get("/")
    assert b"data-outbound-collect" in response.content
    r = client.post(
        "/outbound/collect/",
        data=json.dumps(
            {
                "url": "https://Example.COM:443/a#x",
                "text": " Hi  there ",
                "source": "http://testserver/",
                "page": home.pk,
            }
        ),
        content_type="text/plain",
        HTTP_ORIGIN="http://testserver",
    )
    assert r.status_code == 204, r.content
    assert list(stats.url_totals().values("url", "text", "clicks")) == [
        {"url": "https://example.com/a", "text": "Hi there", "clicks": 1}
    ]
