"""Forged beacons cannot rewrite shared history nor bloat the tables: the
server decides which page served a click, no single beacon decides a link's
text, and each site creates a bounded number of new keys a day."""

import pytest
from wagtail.models import Page, PageViewRestriction, Site

from tests.factories import beacon, send
from tests.testapp.models import ArticlePage
from wagtail_outbound import stats
from wagtail_outbound.models import (
    OTHER_LABEL,
    OTHER_PATH,
    OTHER_URL,
    DailyClicks,
    Label,
    Link,
    NewKeys,
    SourcePage,
)


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None


@pytest.fixture
def article(home):
    page = home.add_child(
        instance=ArticlePage(title="Article", slug="article", body="<p>Hi</p>")
    )
    page.save_revision().publish()
    return page


def click_from(client, path, **fields):
    return send(client, beacon(source=f"http://testserver{path}", **fields))


def counted_from(path):
    return sum(
        DailyClicks.objects.filter(source__path=path).values_list("clicks", flat=True)
    )


def test_the_server_resolves_the_page_and_ignores_the_beacons_id(client, site, article):
    other_root = Page.get_first_root_node().add_child(
        instance=ArticlePage(title="Elsewhere", slug="elsewhere", body="")
    )
    Site.objects.create(hostname="other.test", root_page=other_root)
    for forged in (other_root.pk, 999_999, None):
        click_from(client, "/article/", page=forged)
    assert SourcePage.objects.get(path="/article/").page_id == article.pk
    assert counted_from("/article/") == 3


def test_one_beacon_cannot_move_a_paths_history_to_another_page(
    client, site, article, home
):
    click_from(client, "/article/")
    click_from(client, "/article/", page=home.pk)
    assert set(SourcePage.objects.values_list("page_id", flat=True)) == {article.pk}


def test_a_path_no_page_serves_counts_without_a_page(client, site):
    assert click_from(client, "/search/").status_code == 204
    assert SourcePage.objects.get(path="/search/").page_id is None
    assert counted_from("/search/") == 1


def test_clicks_from_a_draft_are_not_counted(client, site, article):
    draft = article.add_child(
        instance=ArticlePage(title="Draft", slug="draft", body="", live=False)
    )
    assert not draft.live
    assert click_from(client, "/article/draft/").status_code == 204
    assert counted_from("/article/draft/") == 0
    click_from(client, "/article/")  # the same beacon from a live page counts
    assert counted_from("/article/") == 1


def test_clicks_from_a_private_page_or_below_are_not_counted(client, site, article):
    child = article.add_child(
        instance=ArticlePage(title="Members", slug="members", body="")
    )
    PageViewRestriction.objects.create(
        page=article, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    click_from(client, "/article/")
    click_from(client, "/article/members/")
    assert stats.total(stats.Filters()) == 0
    PageViewRestriction.objects.all().delete()
    click_from(client, "/article/members/")
    assert counted_from("/article/members/") == 1
    assert SourcePage.objects.get(path="/article/members/").page_id == child.pk


def test_clicks_from_a_page_with_tracking_off_are_not_counted(client, site, article):
    article.track_outbound_clicks = False
    article.save_revision().publish()
    click_from(client, "/article/")
    assert stats.total(stats.Filters()) == 0
    article.track_outbound_clicks = True
    article.save_revision().publish()
    click_from(client, "/article/")
    assert stats.total(stats.Filters()) == 1


def test_a_page_of_another_site_does_not_serve_this_sites_path(client, site):
    other_root = Page.get_first_root_node().add_child(
        instance=ArticlePage(title="Other home", slug="other-home", body="")
    )
    other_root.add_child(instance=ArticlePage(title="Secret", slug="secret", body=""))
    Site.objects.create(hostname="other.test", root_page=other_root)
    click_from(client, "/secret/")
    assert SourcePage.objects.get(path="/secret/").page_id is None


@pytest.fixture
def small_budget(settings):
    settings.WAGTAIL_OUTBOUND_MAX_NEW_LINKS_PER_DAY = 3
    settings.WAGTAIL_OUTBOUND_MAX_NEW_SOURCES_PER_DAY = 2
    settings.WAGTAIL_OUTBOUND_MAX_NEW_LABELS_PER_DAY = 2


def test_new_links_beyond_the_daily_budget_count_as_other(client, site, small_budget):
    for number in range(10):
        send(client, beacon(f"https://junk{number}.example/"))
    assert stats.total(stats.Filters()) == 10
    urls = set(Link.objects.values_list("url", flat=True))
    assert urls == {
        "https://junk0.example/",
        "https://junk1.example/",
        "https://junk2.example/",
        OTHER_URL,
    }
    other = Link.objects.get(url=OTHER_URL)
    assert other.domain == ""
    assert sum(other.daily.values_list("clicks", flat=True)) == 7
    # Known links still count as themselves once the budget is spent.
    send(client, beacon("https://junk1.example/"))
    assert Link.objects.get(url="https://junk1.example/").daily.get().clicks == 2
    assert NewKeys.objects.get(kind="links").created == 3


def test_new_source_pages_beyond_the_budget_count_as_other(client, site, small_budget):
    for number in range(5):
        click_from(client, f"/made-up-{number}/")
    assert stats.total(stats.Filters()) == 5
    paths = set(SourcePage.objects.values_list("path", flat=True))
    assert paths == {"/made-up-0/", "/made-up-1/", OTHER_PATH}
    assert counted_from(OTHER_PATH) == 3


def test_new_labels_beyond_the_budget_count_as_other(client, site, small_budget):
    for number in range(4):
        send(client, beacon(event=f"event-{number}", category="shop"))
    assert set(Label.objects.values_list("kind", "value")) == {
        ("category", "shop"),
        ("event", "event-0"),
    }
    events = dict(DailyClicks.objects.values_list("event", "clicks").order_by("event"))
    assert events == {OTHER_LABEL: 3, "event-0": 1}


def test_each_site_has_its_own_budget(client, site, small_budget):
    other = Site.objects.create(hostname="other.test", root_page=site.root_page)
    for number in range(3):
        send(client, beacon(f"https://a{number}.example/"))
    for number in range(3):
        send(
            client,
            beacon(f"https://b{number}.example/", source="http://other.test/"),
            HTTP_HOST="other.test",
            HTTP_ORIGIN="http://other.test",
        )
    assert Link.objects.filter(url__startswith="https://b").count() == 3
    assert not Link.objects.filter(url=OTHER_URL).exists()
    assert NewKeys.objects.get(site=other, kind="links").created == 3


def test_the_budget_is_spent_once_per_new_key_in_a_batch(client, site, small_budget):
    for _ in range(5):
        send(client, beacon("https://same.example/"), count=False)
    send(client, beacon("https://same.example/"))
    assert NewKeys.objects.get(kind="links").created == 1
    assert Link.objects.get().daily.get().clicks == 6


def test_new_combinations_of_known_keys_beyond_the_budget_count_as_other(
    client, site, settings
):
    pages = [f"/page-{number}/" for number in range(3)]
    urls = [f"https://known{number}.example/" for number in range(3)]
    for url, page in zip(urls, pages, strict=True):
        click_from(client, page, url=url)  # three known links and pages
    settings.WAGTAIL_OUTBOUND_MAX_NEW_COUNTERS_PER_DAY = 5
    rows_before = DailyClicks.objects.count()
    for url in urls:
        for page in pages:
            click_from(client, page, url=url)  # six new combinations
    assert stats.total(stats.Filters()) == 12
    # Three new counters were left in the budget; the rest went to one row.
    assert DailyClicks.objects.count() == rows_before + 2 + 1
    other = DailyClicks.objects.get(link__url=OTHER_URL, source__path=OTHER_PATH)
    assert other.clicks == 4
