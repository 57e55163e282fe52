"""wagtail-outbound in a Wagtail 8 project with WAGTAIL_PAGE_MODEL swapped."""

import json

import pytest
import swapper
from wagtail.models import Site

from tests.swapped.models import ArticlePage, BasePage
from wagtail_outbound import aggregation, stats
from wagtail_outbound.models import DailyClicks, SourcePage


@pytest.fixture
def article(db):
    root = BasePage.get_first_root_node()
    home = root.add_child(
        instance=ArticlePage(
            title="Home",
            slug="swapped-home",
            body='<p><a href="https://www.wagtail.org/">Wagtail</a></p>',
        )
    )
    Site.objects.all().delete()
    Site.objects.create(
        hostname="testserver", port=80, root_page=home, is_default_site=True
    )
    return home


def test_the_page_model_is_swapped():
    assert swapper.load_model("wagtailcore", "Page") is BasePage


def test_served_page_gets_the_tracker(client, article):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-outbound-page="{article.pk}"' in html
    assert html.index("data-outbound-collect") < html.rindex("</body>")


def test_click_is_recorded_and_reported(client, article):
    beacon = {
        "url": "https://www.wagtail.org/",
        "text": "Wagtail",
        "source": "http://testserver/",
        "page": article.pk,
    }
    response = client.post(
        "/outbound/collect/",
        json.dumps(beacon),
        content_type="text/plain",
        HTTP_ORIGIN="http://testserver",
    )

    assert response.status_code == 204
    assert [
        (row["domain"], row["clicks"]) for row in stats.domains(stats.Filters()).top()
    ] == [("www.wagtail.org", 1)]
    assert [
        (row["page_id"], row["path"]) for row in stats.exit_pages(stats.Filters()).top()
    ] == [(article.pk, "/")]
    assert DailyClicks.objects.get().clicks == 1


def test_deleting_the_source_page_keeps_its_clicks(client, article):
    child = article.add_child(instance=ArticlePage(title="Gone", slug="gone"))
    child_id = child.pk
    client.post(
        "/outbound/collect/",
        json.dumps(
            {
                "url": "https://example.com/",
                "source": "http://testserver/gone/",
                "page": child_id,
            }
        ),
        content_type="text/plain",
        HTTP_ORIGIN="http://testserver",
    )
    aggregation.aggregate()  # counted while the page serves the path

    child.delete()

    assert not BasePage.objects.filter(pk=child_id).exists()
    assert SourcePage.objects.get().page_id == child_id
    assert stats.total(stats.Filters()) == 1
