import pytest

from tests.browser.conftest import wait_for
from wagtail_outbound import stats


@pytest.mark.django_db(transaction=True)
def test_click_on_external_link_is_counted(page, live_server, site):
    site.hostname = "localhost"
    site.port = int(live_server.url.rsplit(":", 1)[1])
    site.save()
    page.goto(live_server.url + "/")
    page.click("text=Wagtail")
    page.wait_for_url("https://www.wagtail.org/")
    assert wait_for(lambda: stats.total_clicks() == 1)
    assert list(stats.domain_totals().values("domain", "clicks")) == [
        {"domain": "www.wagtail.org", "clicks": 1}
    ]
