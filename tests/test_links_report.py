"""The Links report: every link in content with its clicks (zero included),
pages, health and dates; its filters, sorting, drill-down to the pages that
hold a link, exports and permission; the URLs report's "In content" column;
and the dashboard panel "Broken links visitors still click"."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from tests.factories import click, in_content
from tests.reports_data import (  # noqa: F401 (fixtures)
    XSS_TEXT,
    csv_rows,
    days_ago,
    editor,
    report_user,
    xlsx_rows,
)
from tests.testapp.models import ArticlePage
from wagtail_outbound import links, stats
from wagtail_outbound.models import Health, Link, Placement, fingerprint

LINKS = reverse("wagtail_outbound_reports:links")
LINKS_RESULTS = reverse("wagtail_outbound_reports:links_results")
URLS = reverse("wagtail_outbound_reports:urls")
HOME = reverse("wagtailadmin_home")
EXPORT_HEADINGS = ["URL", "Domain", "Clicks", "Pages", "Status", "Checked"]
# Dates relative to today run on a fixed day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def guide(home):
    page = ArticlePage(title="Reading list", slug="reading-list")
    return home.add_child(instance=page)


@pytest.fixture
def data(site, home, guide):
    """Links of every kind: in content and clicked, in content and never
    clicked (in the period), clicked and in no content any more; healthy,
    broken, redirected for good or for now."""
    click(site, "https://docs.example/a", 5)
    click(site, "https://broken.example/x", 3)
    click(site, "https://gone.example/old", 2)
    click(site, "https://temp.example/", 4, day=days_ago(40))  # before the period
    return {
        "docs": in_content(
            site,
            "https://docs.example/a",
            home,
            guide,
            status=Health.OK,
            http_status=200,
        ),
        "broken": in_content(
            site,
            "https://broken.example/x",
            guide,
            status=Health.BROKEN,
            http_status=404,
        ),
        "moved": in_content(
            site,
            "https://moved.example/",
            home,
            status=Health.REDIRECTED,
            http_status=301,
            permanent=True,
            final_url="https://new.example/moved",
        ),
        "temp": in_content(
            site,
            "https://temp.example/",
            home,
            status=Health.REDIRECTED,
            http_status=302,
            final_url="https://temp.example/login",
        ),
        "gone": in_content(site, "https://gone.example/old", status=Health.BROKEN),
    }


def shown(response):
    """The rows on the page, as the table holds them."""
    assert response.status_code == 200
    return [row.record for row in response.context["table"].page.object_list]


def urls(response):
    return [row["url"] for row in shown(response)]


# The rows


def test_every_link_in_content_is_a_row_with_its_clicks_zero_included(
    admin_client, data
):
    rows = shown(admin_client.get(LINKS))
    assert [(row["url"], row["clicks"]) for row in rows] == [
        ("https://docs.example/a", 5),
        ("https://broken.example/x", 3),
        ("https://moved.example/", 0),
        # Clicked 40 days ago: none in the last 30 days.
        ("https://temp.example/", 0),
    ]
    every = shown(admin_client.get(LINKS, {"period": "all"}))
    assert [(row["url"], row["clicks"]) for row in every] == [
        ("https://docs.example/a", 5),
        ("https://temp.example/", 4),
        ("https://broken.example/x", 3),
        ("https://moved.example/", 0),
    ]


def test_clicks_are_exactly_the_stats_of_the_period(admin_client, data, site):
    for period, start in (("7", days_ago(6)), ("90", days_ago(89))):
        filters = stats.Filters(start=start, end=days_ago(0))
        counted = {row["link_id"]: row["clicks"] for row in stats.urls(filters).rows}
        for row in shown(admin_client.get(LINKS, {"period": period})):
            assert row["clicks"] == counted.get(row["link_id"], 0)


def test_a_row_has_its_pages_health_and_dates(admin_client, data):
    rows = {row["url"]: row for row in shown(admin_client.get(LINKS))}
    docs = rows["https://docs.example/a"]
    assert (docs["pages"], docs["status"], docs["http_status"]) == (2, "ok", 200)
    assert docs["first_seen"] < docs["last_seen"]
    assert docs["checked_at"] is not None
    assert rows["https://broken.example/x"]["pages"] == 1


def test_a_link_never_checked_is_not_checked(admin_client, site, home):
    in_content(site, "https://fresh.example/", home)
    in_content(site, "https://queued.example/", home, status=Health.UNKNOWN)
    in_content(site, "https://fine.example/", home, status=Health.OK)
    rows = shown(admin_client.get(LINKS, {"health": "unknown"}))
    assert [(row["url"], row["status"], row["checked_at"]) for row in rows] == [
        ("https://fresh.example/", "unknown", None),
        ("https://queued.example/", "unknown", rows[1]["checked_at"]),
    ]
    assert "Not checked" in admin_client.get(LINKS).content.decode()


def test_an_empty_inventory_says_how_to_fill_it(admin_client, site):
    click(site, "https://clicked.example/")
    html = admin_client.get(LINKS).content.decode()
    assert "The link inventory is empty" in html
    assert "manage.py outbound_inventory" in html


# Filters


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"clicked": "no"}, ["https://moved.example/", "https://temp.example/"]),
        ({"clicked": "yes"}, ["https://docs.example/a", "https://broken.example/x"]),
        ({"health": "broken"}, ["https://broken.example/x"]),
        (
            {"health": "redirected"},
            ["https://moved.example/", "https://temp.example/"],
        ),
        ({"health": "ok"}, ["https://docs.example/a"]),
        ({"health": "unknown"}, []),
        ({"content": "gone"}, ["https://gone.example/old"]),
        (
            {"content": "all", "health": "broken", "clicked": "yes"},
            ["https://broken.example/x", "https://gone.example/old"],
        ),
        ({"domain": "docs.example"}, ["https://docs.example/a"]),
        ({"domain": "DOCS.example"}, ["https://docs.example/a"]),
        ({"q": "example/x"}, ["https://broken.example/x"]),
        (
            {"clicked": "no", "period": "all"},
            ["https://moved.example/"],
        ),
    ],
)
def test_filters(admin_client, data, params, expected):
    assert urls(admin_client.get(LINKS, params)) == expected


def test_clicked_but_no_longer_in_content_needs_a_click_in_the_period(
    admin_client, data, site
):
    # Once in content, never clicked: not a row of "no longer in content".
    in_content(site, "https://removed.example/")
    assert urls(admin_client.get(LINKS, {"content": "gone"})) == [
        "https://gone.example/old"
    ]
    assert urls(admin_client.get(LINKS, {"content": "gone", "period": "7"})) == [
        "https://gone.example/old"
    ]
    assert urls(admin_client.get(LINKS, {"content": "gone", "clicked": "no"})) == []


def test_site_filter_counts_that_sites_pages_and_clicks(admin_client, data, home):
    other = Site.objects.create(hostname="other.test", port=80, root_page=home)
    in_content(other, "https://docs.example/a", home.get_parent())
    in_content(other, "https://other-only.example/", home.get_parent())
    click(other, "https://docs.example/a", 7)
    response = admin_client.get(LINKS, {"site": other.pk})
    assert [(row["url"], row["clicks"], row["pages"]) for row in shown(response)] == [
        ("https://docs.example/a", 7, 1),
        ("https://other-only.example/", 0, 1),
    ]
    every = {row["url"]: row for row in shown(admin_client.get(LINKS))}
    assert (
        every["https://docs.example/a"]["clicks"],
        every["https://docs.example/a"]["pages"],
    ) == (12, 3)


def test_filters_are_in_the_menu_and_shown_as_pills(admin_client, data):
    response = admin_client.get(
        LINKS, {"health": "broken", "clicked": "yes", "domain": "broken.example"}
    )
    form = response.context["filters"].form
    assert {"period", "health", "clicked", "content", "domain"} <= set(form.fields)
    # Labels count clicks, not links: no such filter on this tab.
    assert not {"event", "category", "source", "page"} & set(form.fields)
    pills = {
        str(pill.field_label): pill.value
        for pill in response.context["view"].active_filters
    }
    assert pills["Status"] == "Broken"
    assert pills["Clicks"] == "Clicked in the period"
    assert pills["Domain"] == "broken.example"
    assert "In content" not in pills  # the default


def test_an_unknown_status_is_refused_and_ignored(admin_client, data):
    response = admin_client.get(LINKS, {"health": "<script>"})
    assert len(shown(response)) == 4
    assert "This filter is ignored." in response.content.decode()
    assert "<script>" not in response.content.decode().split("</header>")[-1]


# Sorting: by the database, over every row


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (
            "-pages",
            [
                "https://docs.example/a",
                "https://temp.example/",
                "https://moved.example/",
                "https://broken.example/x",
            ],
        ),
        (
            "pages",
            [
                "https://broken.example/x",
                "https://moved.example/",
                "https://temp.example/",
                "https://docs.example/a",
            ],
        ),
        (
            "clicks",
            [
                "https://moved.example/",
                "https://temp.example/",
                "https://broken.example/x",
                "https://docs.example/a",
            ],
        ),
        (
            "-status",
            [
                "https://broken.example/x",
                "https://temp.example/",
                "https://moved.example/",
                "https://docs.example/a",
            ],
        ),
        (
            "url",
            [
                "https://broken.example/x",
                "https://docs.example/a",
                "https://moved.example/",
                "https://temp.example/",
            ],
        ),
    ],
)
def test_sorting(admin_client, data, ordering, expected):
    assert urls(admin_client.get(LINKS, {"ordering": ordering})) == expected


def test_sort_links_are_in_the_headers(admin_client, data):
    html = admin_client.get(LINKS, {"ordering": "-clicks"}).content.decode()
    for ordering in ("clicks", "pages", "status", "checked"):
        assert f'href="{LINKS}?ordering={ordering}"' in html


def test_a_page_of_rows_costs_the_same_queries_however_many_links(
    admin_client, site, home
):
    admin_client.get(LINKS)  # what the first request caches

    def queries(count):
        for i in range(count):
            in_content(site, f"https://many{count}-{i}.example/", home)
        with CaptureQueriesContext(connection) as captured:
            for ordering in ("-clicks", "-pages", "-status"):
                response = admin_client.get(LINKS, {"ordering": ordering})
                assert len(shown(response)) == 50
        Placement.objects.all().delete()
        # Pending clicks are counted first now and then (``stats.fresh``).
        return [q for q in captured if "pendingclick" not in q["sql"]]

    assert len(queries(60)) == len(queries(180))
    # The rows of the page, sorted and cut by the database: three queries of
    # 50 rows, whichever column sorts them.
    paged = [q for q in queries(70) if q["sql"].rstrip().endswith("LIMIT 50")]
    assert len(paged) == 3


def test_every_row_query_is_paged_by_the_database(site, home):
    for i in range(3):
        in_content(site, f"https://paged{i}.example/", home)
    report = links.links(stats.Filters(start=days_ago(29), end=days_ago(0)))
    sql = str(report.rows.order_by("-pages")[:2].query)
    assert "LIMIT 2" in sql
    assert len(report.rows.order_by("-pages")[:2]) == 2
    assert report.rows.count() == 3


# Drill-down: the pages that hold a link


def test_pages_count_opens_the_pages_that_hold_the_link(admin_client, data, guide):
    html = admin_client.get(LINKS).content.decode()
    docs = data["docs"]
    assert f'href="{LINKS}?link={docs.pk}">2</a>' in html
    response = admin_client.get(LINKS, {"link": docs.pk})
    rows = shown(response)
    assert [row["page_id"] for row in rows] == sorted(
        [data["docs"].placements.get(page_id=guide.pk).page_id, guide.get_parent().pk]
    )
    assert {row["where"] for row in rows} == {"body"}
    html = response.content.decode()
    # Each page by its title, opening its editor.
    for page_id in (row["page_id"] for row in rows):
        assert f'href="{reverse("wagtailadmin_pages:edit", args=[page_id])}"' in html
    assert ">Reading list</a>" in html
    # The link above them, with its clicks and health; its pill removes it.
    assert "5 clicks in the period" in html
    assert "Held by 2 pages." in html
    pills = response.context["view"].active_filters
    assert [(str(p.field_label), p.value) for p in pills] == [
        ("URL", "https://docs.example/a")
    ]


def test_pages_of_a_site_only_with_the_site_filter(admin_client, data, home):
    other = Site.objects.create(hostname="other.test", port=80, root_page=home)
    in_content(other, "https://broken.example/x", home.get_parent())
    link = data["broken"]
    assert len(shown(admin_client.get(LINKS, {"link": link.pk}))) == 2
    only = shown(admin_client.get(LINKS, {"link": link.pk, "site": other.pk}))
    assert [row["page_id"] for row in only] == [home.get_parent().pk]


def test_a_link_no_page_holds_says_so(admin_client, data):
    response = admin_client.get(LINKS, {"link": data["gone"].pk})
    assert shown(response) == []
    html = response.content.decode()
    assert "No page holds this link now." in html
    assert "2 clicks in the period" in html
    missing = admin_client.get(LINKS, {"link": 10**9})
    assert "No link has this id." in missing.content.decode()


def test_page_titles_only_for_pages_the_viewer_may_see(
    client,
    report_user,  # noqa: F811
    data,
    guide,
):
    # The analyst may not explore any page: ids, never titles.
    client.force_login(report_user)
    html = client.get(LINKS, {"link": data["docs"].pk}).content.decode()
    assert "Reading list" not in html
    assert f"Page #{guide.pk}" in html


def test_permanent_redirect_shows_the_new_address_to_copy(admin_client, data):
    html = admin_client.get(LINKS, {"health": "redirected"}).content.decode()
    assert "Redirected (301)" in html
    assert 'data-w-clipboard-value-param="https://new.example/moved"' in html
    assert 'data-action="w-clipboard#copy"' in html
    # A temporary redirect says where it leads for now, with nothing to copy.
    assert "Temporarily leads to https://<wbr>temp.<wbr>example/<wbr>login" in html
    assert html.count("w-clipboard#copy") == 1
    # The same above the pages of the link.
    html = admin_client.get(LINKS, {"link": data["moved"].pk}).content.decode()
    assert 'data-w-clipboard-value-param="https://new.example/moved"' in html


def test_a_link_to_fix_opens_the_editor_of_each_page_that_holds_it(
    admin_client,
    client,
    report_user,  # noqa: F811
    data,
    guide,
    home,
):
    def fix_in(response):
        html = response.content.decode()
        if "Fix in:" not in html:
            return None
        return html.split("Fix in:", 1)[1].split("</div>", 1)[0]

    broken = fix_in(admin_client.get(LINKS, {"health": "broken"}))
    assert reverse("wagtailadmin_pages:edit", args=[guide.pk]) in broken
    assert "Reading list" in broken
    moved = fix_in(admin_client.get(LINKS, {"health": "redirected"}))
    assert reverse("wagtailadmin_pages:edit", args=[home.pk]) in moved
    # Nothing to fix in a healthy link.
    assert fix_in(admin_client.get(LINKS, {"health": "ok"})) is None
    # Nor for a viewer who may not edit the pages.
    client.force_login(report_user)
    assert fix_in(client.get(LINKS, {"health": "broken"})) is None


def test_a_link_on_every_page_costs_the_editors_list_a_bounded_read(
    admin_client, site, home, monkeypatch
):
    from wagtail_outbound import tables

    link = in_content(site, "https://footer.example/", home, status=Health.BROKEN)
    now = timezone.now()
    Placement.objects.bulk_create(
        Placement(site=site, page_id=page_id, link=link, first_seen=now, last_seen=now)
        for page_id in range(home.pk + 1, home.pk + 251)
    )
    asked = []
    real = tables.page_titles

    def page_titles(user, ids):
        asked.extend(ids)
        return real(user, asked)

    monkeypatch.setattr(tables, "page_titles", page_titles)
    html = admin_client.get(LINKS, {"health": "broken"}).content.decode()
    assert reverse("wagtailadmin_pages:edit", args=[home.pk]) in html
    assert len(asked) == tables.EDITOR_CANDIDATES < 251


def test_everything_is_escaped(admin_client, site, home):
    url = 'https://evil.example/"><script>alert(1)</script>'
    link = in_content(
        site,
        url,
        home,
        status=Health.REDIRECTED,
        permanent=True,
        final_url='https://x.example/"><img src=x onerror=alert(2)>',
    )
    Link.objects.filter(pk=link.pk).update(text=XSS_TEXT)
    Placement.objects.filter(link=link).update(where="<b>body</b>")
    for params in ({}, {"link": link.pk}):
        html = admin_client.get(LINKS, params).content.decode()
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert "<b>body</b>" not in html
    assert "&lt;b&gt;body&lt;/b&gt;" in html


# Exports


def test_csv_export_has_exactly_the_columns_asked_for(admin_client, data):
    rows = csv_rows(admin_client.get(LINKS, {"export": "csv"}))
    assert rows[0] == EXPORT_HEADINGS
    assert [row[:5] for row in rows[1:]] == [
        ["https://docs.example/a", "docs.example", "5", "2", "OK (200)"],
        ["https://broken.example/x", "broken.example", "3", "1", "Broken (404)"],
        [
            "https://moved.example/",
            "moved.example",
            "0",
            "1",
            "Redirected (301), new address: https://new.example/moved",
        ],
        ["https://temp.example/", "temp.example", "0", "1", "Redirected (302)"],
    ]
    assert all(row[5].startswith(str(timezone.localdate())) for row in rows[1:])


def test_xlsx_export_is_what_is_on_screen_with_typed_cells(admin_client, data):
    response = admin_client.get(
        LINKS, {"export": "xlsx", "health": "broken", "content": "all"}
    )
    rows = xlsx_rows(response)
    assert rows[0] == EXPORT_HEADINGS
    assert [row[:5] for row in rows[1:]] == [
        ["https://broken.example/x", "broken.example", 3, 1, "Broken (404)"],
        ["https://gone.example/old", "gone.example", 2, 0, "Broken"],
    ]
    assert isinstance(rows[1][5], datetime)


def test_export_follows_sorting_and_has_every_row(admin_client, site, home):
    for i in range(60):
        in_content(site, f"https://bulk{i:02}.example/", home)
    rows = csv_rows(admin_client.get(LINKS, {"export": "csv", "ordering": "-url"}))
    assert len(rows) == 61
    assert rows[1][0] == "https://bulk59.example/"
    # Never checked: no date.
    assert rows[1][4:] == ["Not checked", ""]


def test_exports_neutralise_formulas(admin_client, site, home):
    url = '=HYPERLINK("https://evil.example","x")'
    link = Link.objects.create(url=url, url_hash=fingerprint(url), domain="-1+1")
    in_content(site, url, home)
    assert link.placements.count() == 1
    (row,) = csv_rows(admin_client.get(LINKS, {"export": "csv"}))[1:]
    assert row[:2] == ["'" + url, "'-1+1"]
    (row,) = xlsx_rows(admin_client.get(LINKS, {"export": "xlsx"}))[1:]
    assert row[:2] == ["'" + url, "'-1+1"]


def test_export_of_the_pages_of_a_link(admin_client, data, guide):
    rows = csv_rows(
        admin_client.get(LINKS, {"export": "csv", "link": data["broken"].pk})
    )
    assert rows[0] == ["Page", "Field or block", "First seen", "Last seen"]
    assert rows[1][:2] == ["Reading list", "body"]


# Permission


@pytest.mark.parametrize(
    "url",
    [
        LINKS,
        LINKS_RESULTS,
        LINKS + "?export=csv",
        LINKS + "?export=xlsx",
        LINKS + "?link=1",
        LINKS + "?link=1&export=csv",
    ],
)
def test_the_links_report_needs_the_permission(client, editor, report_user, site, url):  # noqa: F811
    client.force_login(editor)
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    client.force_login(report_user)
    assert client.get(url).status_code == 200


def test_the_links_tab_is_beside_the_others_and_keeps_the_filters(admin_client, data):
    html = admin_client.get(URLS, {"period": "7"}).content.decode()
    assert f'href="{LINKS}?period=7"' in html
    assert 'data-outbound-tab="links"' in html


# The URLs report: still in content, on how many pages


def test_urls_report_says_whether_each_url_is_in_content(admin_client, data):
    response = admin_client.get(URLS)
    rows = {row["url"]: row["pages"] for row in shown(response)}
    assert rows == {
        "https://docs.example/a": 2,
        "https://broken.example/x": 1,
        "https://gone.example/old": 0,
    }
    html = response.content.decode()
    assert f'<a href="{LINKS}?link={data["docs"].pk}">2 pages</a>' in html
    assert f'<a href="{LINKS}?link={data["broken"].pk}">1 page</a>' in html
    assert "<td>No</td>" in html
    assert rows == {
        row["url"]: row["pages"]
        for row in stats.urls(stats.Filters(start=days_ago(29), end=days_ago(0))).top()
    }


def test_urls_report_sorts_and_exports_the_in_content_column(admin_client, data):
    rows = shown(admin_client.get(URLS, {"ordering": "-pages"}))
    assert [row["pages"] for row in rows] == [2, 1, 0]
    exported = csv_rows(admin_client.get(URLS, {"export": "csv", "ordering": "pages"}))
    assert exported[0][-1] == "In content"
    assert [row[-1] for row in exported[1:]] == ["0", "1", "2"]


def test_urls_report_counts_the_pages_of_the_site_filtered_on(admin_client, data, home):
    other = Site.objects.create(hostname="other.test", port=80, root_page=home)
    click(other, "https://docs.example/a")
    rows = shown(admin_client.get(URLS, {"site": other.pk}))
    assert [(row["url"], row["pages"]) for row in rows] == [
        ("https://docs.example/a", 0)
    ]


# The dashboard panel


def panel(response):
    for item in response.context["panels"]:
        if item.name == "outbound_broken_links":
            return item
    raise AssertionError("no broken links panel")


def test_panel_ranks_broken_links_by_clicks_in_the_last_30_days(
    admin_client, data, site, home
):
    more = in_content(
        site, "https://more.example/", home, status=Health.BROKEN, http_status=410
    )
    click(site, more.url, 9)
    in_content(site, "https://unclicked.example/", home, status=Health.BROKEN)
    click(site, "https://old-broken.example/", 50, day=days_ago(30))
    in_content(site, "https://old-broken.example/", home, status=Health.BROKEN)
    response = admin_client.get(HOME)
    rows = panel(response).get_context_data({})["rows"]
    assert [(row["url"], row["clicks"], row["pages"]) for row in rows] == [
        ("https://more.example/", 9, 1),
        ("https://broken.example/x", 3, 1),
        # Clicked from old pages and caches: still worth a redirect.
        ("https://gone.example/old", 2, 0),
    ]
    html = response.content.decode()
    assert 'id="outbound-broken-links-heading"' in html
    assert f'href="{LINKS}?link={more.pk}&amp;period=30"' in html
    assert "HTTP 410" in html
    assert "None any more" in html
    assert (
        f'href="{LINKS}?health=broken&amp;clicked=yes&amp;content=all&amp;period=30"'
        in html
    )


def test_panel_keeps_to_ten_links(admin_client, site, home):
    for i in range(12):
        link = in_content(site, f"https://b{i:02}.example/", home, status=Health.BROKEN)
        click(site, link.url, i + 1)
    rows = panel(admin_client.get(HOME)).get_context_data({})["rows"]
    assert [row["clicks"] for row in rows] == list(range(12, 2, -1))


def test_panel_says_when_nothing_is_broken_or_nothing_was_checked(
    admin_client, site, home
):
    html = admin_client.get(HOME).content.decode()
    assert "No link has been checked yet." in html
    in_content(site, "https://fine.example/", home, status=Health.OK)
    html = admin_client.get(HOME).content.decode()
    assert "No broken link was clicked in the last 30 days." in html


def test_panel_only_for_users_with_the_permission(client, editor, report_user, site):  # noqa: F811
    client.force_login(editor)
    assert "outbound-broken-links" not in client.get(HOME).content.decode()
    client.force_login(report_user)
    assert "outbound-broken-links" in client.get(HOME).content.decode()


def test_panel_reads_the_same_rows_as_the_report_filter(admin_client, data):
    response = admin_client.get(HOME)
    from_panel = [row["url"] for row in panel(response).get_context_data({})["rows"]]
    from_report = urls(
        admin_client.get(
            LINKS,
            {"health": "broken", "clicked": "yes", "content": "all", "period": "30"},
        )
    )
    assert from_panel == from_report
