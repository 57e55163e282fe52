"""The click tables in a database of their own (``WAGTAIL_OUTBOUND_DATABASE``).

Run with ``DJANGO_SETTINGS_MODULE=tests.analytics.settings``: the CMS (sites,
pages, users, ``OutboundSettings``) stays in "default" and every click table
lives in "analytics", a second PostgreSQL database. The default database has
no click table at all, so a click query sent there would fail; the tests also
watch the default connection to show that none is even tried.
"""

import csv
import io
import threading
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections, router
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.models import Site

from benchmarks.seed import seed_history
from tests.factories import beacon, in_content, send
from tests.testapp.models import ArticlePage
from wagtail_outbound import aggregation, inbox, inventory, stats
from wagtail_outbound.beacon import parse_beacon
from wagtail_outbound.models import (
    ROLLUPS,
    DailyClicks,
    Health,
    Label,
    Link,
    NewKeys,
    OutboundSettings,
    PendingClick,
    Placement,
    SourcePage,
)
from wagtail_outbound.periods import click_day
from wagtail_outbound.recording import record_click

ANALYTICS = "analytics"
DOMAINS = reverse("wagtail_outbound_reports:domains")
URLS = reverse("wagtail_outbound_reports:urls")
PAGES = reverse("wagtail_outbound_reports:pages")
LINKS = reverse("wagtail_outbound_reports:links")

pytestmark = pytest.mark.django_db(databases=["default", ANALYTICS])


def click_models():
    """Every model of the app but the per-site settings."""
    return [
        model
        for model in apps.get_app_config("wagtail_outbound").get_models()
        if model is not OutboundSettings
    ]


def click_tables():
    return {model._meta.db_table for model in click_models()}


def site_models():
    """The click models that keep a site id."""
    return [
        model
        for model in click_models()
        if any(field.attname == "site_id" for field in model._meta.concrete_fields)
    ]


def tables(alias):
    connection = connections[alias]
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def click_queries(queries):
    """The captured statements that name a click table."""
    names = click_tables()
    return [q["sql"] for q in queries if any(name in q["sql"] for name in names)]


def rows(model, **filters):
    return model.objects.using(ANALYTICS).filter(**filters)


def total(model, **filters):
    return rows(model, **filters).aggregate(total=Sum("clicks"))["total"] or 0


@pytest.fixture
def no_rate_limit(settings):
    settings.WAGTAIL_OUTBOUND_RATE_LIMIT = None


@pytest.fixture
def article(home):
    page = home.add_child(
        instance=ArticlePage(
            title="Partners",
            slug="partners",
            body='<p><a href="https://example.com/a">A</a></p>',
        )
    )
    return page


@pytest.fixture
def beacons(client, site, home, article, no_rate_limit):
    """Nine clicks sent to the endpoint: wagtail.org 6 (two URLs), example.com 3;
    from the home page and the article."""
    home_url = "http://testserver/"
    article_url = f"http://testserver{article.url}"
    for url, text, source, times, extra in [
        ("https://wagtail.org/docs/", "Docs", home_url, 4, {}),
        ("https://wagtail.org/blog/", "Blog", article_url, 2, {"event": "signup"}),
        ("https://example.com/a", "A", article_url, 3, {"category": "partner"}),
    ]:
        for _ in range(times):
            response = send(
                client, beacon(url, source, text=text, **extra), count=False
            )
            assert response.status_code == 204
    assert aggregation.aggregate() == 9
    return site


# The databases and the router.


def test_the_analytics_database_is_another_postgresql_database():
    default, analytics = connections["default"], connections[ANALYTICS]
    assert analytics.vendor == "postgresql"
    assert analytics.settings_dict["NAME"] != default.settings_dict["NAME"] or (
        analytics.settings_dict["HOST"],
        analytics.settings_dict["PORT"],
    ) != (default.settings_dict["HOST"], default.settings_dict["PORT"])


def test_click_tables_exist_only_in_the_analytics_database():
    in_analytics, in_default = tables(ANALYTICS), tables("default")

    assert click_tables() <= in_analytics
    assert not click_tables() & in_default
    assert OutboundSettings._meta.db_table in in_default
    assert OutboundSettings._meta.db_table not in in_analytics
    assert Site._meta.db_table in in_default


def test_migrate_database_analytics_creates_only_the_click_tables():
    # The test database was made by `migrate --database analytics` with the
    # router: the click tables and Django's migration ledger, nothing else.
    assert tables(ANALYTICS) == click_tables() | {"django_migrations"}
    with connections[ANALYTICS].cursor() as cursor:
        cursor.execute(
            "SELECT name FROM django_migrations WHERE app = 'wagtail_outbound'"
        )
        assert cursor.fetchall()
    # Nothing left to apply there (exits with an error otherwise).
    call_command("migrate", database=ANALYTICS, check_unapplied=True, verbosity=0)


def test_the_router_sends_click_models_to_analytics_and_settings_to_default():
    for model in click_models():
        assert model.objects.db == ANALYTICS, model
        assert router.db_for_write(model) == ANALYTICS, model
        assert router.allow_migrate_model(ANALYTICS, model), model
        assert not router.allow_migrate_model("default", model), model
    assert OutboundSettings.objects.db == "default"
    assert router.allow_migrate_model("default", OutboundSettings)
    assert not router.allow_migrate_model(ANALYTICS, OutboundSettings)
    assert not router.allow_migrate_model(ANALYTICS, Site)


# The write path.


def test_a_beacon_lands_in_the_analytics_inbox_then_its_counters(
    client, site, home, no_rate_limit
):
    data = beacon("https://example.com/a", text="A", event="signup")
    with CaptureQueriesContext(connections["default"]) as on_default:
        response = send(client, data, count=False)
        assert response.status_code == 204
        pending = list(rows(PendingClick).values("site_id", "url", "path"))
        assert pending == [
            {"site_id": site.pk, "url": "https://example.com/a", "path": "/"}
        ]

        assert aggregation.aggregate() == 1

    assert not rows(PendingClick).exists()
    counter = rows(DailyClicks).select_related("link", "source").get()
    assert (counter.site_id, counter.clicks, counter.event) == (site.pk, 1, "signup")
    assert counter.link.url == "https://example.com/a"
    assert counter.link.text == "A"
    for model in ROLLUPS:
        for span in model.spans:
            assert total(model, site_id=site.pk, span=span) == 1, (model, span)
    assert rows(Label, site_id=site.pk, value="signup").exists()
    spent = set(rows(NewKeys, site_id=site.pk).values_list("kind", flat=True))
    assert {"links", "sources", "labels"} <= spent
    # The CMS database answered the site, settings and page look-ups only.
    assert on_default.captured_queries
    assert click_queries(on_default.captured_queries) == []


def test_the_page_of_a_click_is_resolved_from_the_cms_database(
    client, site, home, article, no_rate_limit
):
    # The beacon names another page id: the server decides which page it was.
    data = beacon("https://example.com/a", f"http://testserver{article.url}", page=1)
    send(client, data)
    send(client, beacon("https://example.com/a"))

    pages = dict(rows(SourcePage).values_list("path", "page_id"))
    assert pages == {article.url: article.pk, "/": home.pk}

    # A click from a page that is no longer live is not counted.
    article.unpublish()
    send(client, data)
    assert total(DailyClicks) == 2


def test_the_aggregate_command_counts_into_the_analytics_database(site):
    click = parse_beacon(beacon().encode())
    for _ in range(3):
        inbox.append(site.pk, click)
    out = io.StringIO()

    call_command("outbound_aggregate", stdout=out)

    assert "Counted 3 pending clicks" in out.getvalue()
    assert total(DailyClicks, site_id=site.pk) == 3


@pytest.mark.django_db(databases=["default", ANALYTICS], transaction=True)
def test_background_aggregation_runs_on_the_analytics_database(
    client, site, home, settings, no_rate_limit
):
    # A request's background thread counts with its own connections, on
    # committed data, holding PostgreSQL's advisory lock in "analytics".
    settings.WAGTAIL_OUTBOUND_AGGREGATE_SECONDS = 10
    aggregation._Trigger.next_run = 0  # a run is due
    try:
        assert send(client, count=False).status_code == 204
        thread = aggregation._Trigger.thread
        assert thread is not None
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        aggregation._Trigger.next_run = None
        aggregation._Trigger.thread = None

    assert not rows(PendingClick).exists()
    assert total(DailyClicks, site_id=site.pk) == 1


@pytest.mark.django_db(databases=["default", ANALYTICS], transaction=True)
def test_concurrent_aggregators_count_each_click_of_the_analytics_inbox_once(site):
    urls = [f"https://example.com/{number % 7}" for number in range(300)]
    for url in urls:
        inbox.append(site.pk, parse_beacon(beacon(url).encode()))
    taken, errors = [], []

    def run():
        try:
            taken.append(aggregation.aggregate(batch_size=25))
        except Exception as error:  # pragma: no cover (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an aggregator hangs"

    assert errors == []
    assert sum(taken) == 300
    assert not rows(PendingClick).exists()
    assert total(DailyClicks) == 300
    for model in ROLLUPS:
        for span in model.spans:
            assert total(model, span=span) == 300, (model, span)


# The read path.


def test_stats_read_the_analytics_database(beacons, home, article):
    today = click_day()
    with CaptureQueriesContext(connections["default"]) as on_default:
        assert stats.total(stats.Filters()) == 9
        assert stats.total(stats.Filters(site=beacons, start=today, end=today)) == 9
        assert [
            (r["domain"], r["clicks"]) for r in stats.domains(stats.Filters()).rows
        ] == [
            ("wagtail.org", 6),
            ("example.com", 3),
        ]
        domains = stats.domains(stats.Filters()).top()
        assert [(r["urls"], r["top_source"]["page_id"]) for r in domains] == [
            (2, home.pk),
            (1, article.pk),
        ]
        urls = stats.urls(stats.Filters()).top()
        assert [(r["url"], r["clicks"], r["sources"]) for r in urls] == [
            ("https://wagtail.org/docs/", 4, 1),
            ("https://example.com/a", 3, 1),
            ("https://wagtail.org/blog/", 2, 1),
        ]
        pages = stats.exit_pages(stats.Filters()).top()
        assert [(r["page_id"], r["clicks"], r["destinations"]) for r in pages] == [
            (article.pk, 5, 2),
            (home.pk, 4, 1),
        ]
        assert stats.total(stats.Filters(page=article.pk)) == 5
        assert stats.total(stats.Filters(domain="wagtail.org", event="signup")) == 2
        assert stats.daily(stats.Filters()) == [{"day": today, "clicks": 9}]
        assert stats.labels(stats.Filters()) == (["signup"], ["partner"])
        trend = stats.domain_trend(
            stats.Filters(start=today, end=today), today - timedelta(days=1)
        )
        assert [(r["domain"], r["clicks"], r["previous"]) for r in trend] == [
            ("wagtail.org", 6, 0),
            ("example.com", 3, 0),
        ]
        assert {
            r["path"]: r["clicks"] for r in stats.exit_pages(stats.Filters()).top()
        } == {
            "/": 4,
            article.url: 5,
        }
    assert click_queries(on_default.captured_queries) == []


def shown(response):
    assert response.status_code == 200
    return [row.record for row in response.context["table"].page.object_list]


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_admin_reports_read_the_analytics_database(
    admin_client, beacons, home, article
):
    domains = shown(admin_client.get(DOMAINS))
    assert [(r["domain"], r["clicks"], r["urls"]) for r in domains] == [
        ("wagtail.org", 6, 2),
        ("example.com", 3, 1),
    ]
    urls = shown(admin_client.get(URLS))
    assert [(r["url"], r["clicks"]) for r in urls] == [
        ("https://wagtail.org/docs/", 4),
        ("https://example.com/a", 3),
        ("https://wagtail.org/blog/", 2),
    ]
    response = admin_client.get(PAGES)
    pages = shown(response)
    assert [(r["page_id"], r["clicks"]) for r in pages] == [
        (article.pk, 5),
        (home.pk, 4),
    ]
    # Page titles come from the CMS database.
    assert "Partners" in response.content.decode()

    # Drill-downs by source page and by Wagtail page.
    source = rows(SourcePage, path=article.url).get()
    by_source = shown(admin_client.get(URLS, {"source": source.pk}))
    assert sorted((r["url"], r["clicks"]) for r in by_source) == [
        ("https://example.com/a", 3),
        ("https://wagtail.org/blog/", 2),
    ]
    by_page = shown(admin_client.get(DOMAINS, {"page": home.pk}))
    assert [(r["domain"], r["clicks"]) for r in by_page] == [("wagtail.org", 4)]


def test_csv_and_xlsx_exports_read_the_analytics_database(
    admin_client, beacons, article
):
    exported = csv_rows(admin_client.get(DOMAINS, {"export": "csv"}))
    assert [row[:2] for row in exported] == [
        ["Domain", "Clicks"],
        ["wagtail.org", "6"],
        ["example.com", "3"],
    ]
    exported = csv_rows(admin_client.get(PAGES, {"export": "csv"}))
    assert len(exported) == 3
    assert any(article.url in cell for cell in exported[1])
    response = admin_client.get(URLS, {"export": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header, *sheet = workbook.active.iter_rows(values_only=True)
    clicks = header.index("Clicks")
    assert [(row[0], row[clicks]) for row in sheet] == [
        ("https://wagtail.org/docs/", 4),
        ("https://example.com/a", 3),
        ("https://wagtail.org/blog/", 2),
    ]


def test_the_links_report_reads_the_analytics_database(
    admin_client, beacons, home, article
):
    docs = in_content(
        beacons,
        "https://wagtail.org/docs/",
        home,
        article,
        status=Health.BROKEN,
        http_status=404,
    )
    in_content(beacons, "https://quiet.example/", article)
    links = shown(admin_client.get(LINKS))
    assert [(r["url"], r["clicks"], r["pages"], r["status"]) for r in links] == [
        ("https://wagtail.org/docs/", 4, 2, "broken"),
        ("https://quiet.example/", 0, 1, "unknown"),
    ]
    # The pages of a link from the analytics database, their titles from the
    # CMS database.
    response = admin_client.get(LINKS, {"link": docs.pk})
    assert [r["page_id"] for r in shown(response)] == sorted([home.pk, article.pk])
    assert "Partners" in response.content.decode()
    exported = csv_rows(admin_client.get(LINKS, {"export": "csv", "clicked": "no"}))
    assert [row[:4] for row in exported] == [
        ["URL", "Domain", "Clicks", "Pages"],
        ["https://quiet.example/", "quiet.example", "0", "1"],
    ]
    urls = shown(admin_client.get(URLS))
    assert [(r["url"], r["pages"]) for r in urls] == [
        ("https://wagtail.org/docs/", 2),
        ("https://example.com/a", 0),
        ("https://wagtail.org/blog/", 0),
    ]
    html = admin_client.get("/admin/").content.decode()
    assert 'id="outbound-broken-links-heading"' in html
    assert f'href="{LINKS}?link={docs.pk}&amp;period=30"' in html


def test_the_dashboard_reads_the_analytics_database(admin_client, beacons):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "wagtail.org" in html


# Deleting a site and pruning history.


def test_deleting_a_site_deletes_its_click_rows_in_the_analytics_database(
    client, beacons, home
):
    other = Site.objects.create(hostname="other.test", port=80, root_page=home)
    click = parse_beacon(
        b'{"url": "https://example.com/b", "source": "http://other.test/x/",'
        b' "event": "other"}'
    )
    record_click(other, click)
    inbox.append(other.pk, click)
    entry = inventory.Entry("https://example.com/b", "example.com", "B", "body")
    inventory.save({home.pk: (other.pk, [entry])})  # the link inventory
    assert all(rows(model, site_id=other.pk).exists() for model in site_models())
    kept = {model: rows(model, site_id=beacons.pk).count() for model in site_models()}

    other.delete()

    for model in site_models():
        assert not rows(model, site_id=other.pk).exists(), model
        assert rows(model, site_id=beacons.pk).count() == kept[model], model
    assert rows(Link, url="https://example.com/b").exists()  # links are shared


def test_outbound_prune_prunes_the_analytics_database(site):
    today = click_day()
    old, recent = today - timedelta(days=100), today - timedelta(days=5)
    for day, url in ((old, "https://example.com/old"), (recent, "https://e.test/")):
        record_click(site, parse_beacon(beacon(url).encode()), day=day)
    settings = OutboundSettings.for_site(site)
    settings.retention_days = 30
    settings.save()
    before = {model: list(rows(model).values()) for model in click_models()}

    out = io.StringIO()
    call_command("outbound_prune", "--dry-run", stdout=out)
    assert "Would delete 1 wagtail_outbound.DailyClicks rows" in out.getvalue()
    # A dry run rolls back in the click database too: nothing is gone.
    assert {model: list(rows(model).values()) for model in click_models()} == before

    out = io.StringIO()
    call_command("outbound_prune", stdout=out)
    assert "Deleted 1 wagtail_outbound.DailyClicks rows" in out.getvalue()
    assert list(rows(DailyClicks).values_list("day", flat=True)) == [recent]
    for model in ROLLUPS:
        for span in model.spans:
            assert total(model, span=span) == 1, (model, span)
    assert stats.total(stats.Filters()) == 1


def test_seeding_history_and_rebuilding_roll_ups_use_the_analytics_database(site):
    seed_history(site, clicks=500, days=40, urls=30, domains=5, pages=10)

    assert total(DailyClicks, site_id=site.pk) == 500
    for model in ROLLUPS:
        for span in model.spans:
            assert total(model, span=span) == 500, (model, span)
    assert stats.total(stats.Filters(site=site)) == 500


def test_the_link_inventory_lives_in_the_click_database(
    site, home, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        home.save_revision().publish()
    placed = Placement.objects.using(ANALYTICS).select_related("link").get()
    assert (placed.page_id, placed.link.url) == (home.pk, "https://www.wagtail.org/")
