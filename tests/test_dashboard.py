"""The dashboard panel "Top outbound domains" and the summary item."""

from django.urls import reverse

from tests.reports_data import bulk_seed, click, days_ago, today


def panel_rows(response):
    for panel in response.context["panels"]:
        if panel.name == "outbound_top_domains":
            return panel.get_context_data({})["rows"]
    raise AssertionError("no outbound panel")


def test_panel_lists_top_ten_domains_of_the_last_30_days(admin_client, site):
    bulk_seed(site, 12)
    click(site, "https://old.example/", 50, day=days_ago(30))  # outside the window
    rows = panel_rows(admin_client.get(reverse("wagtailadmin_home")))
    assert [row["domain"] for row in rows] == [
        f"site{i}.example" for i in range(11, 1, -1)
    ]
    assert rows[0]["clicks"] == 12


def test_panel_shows_change_against_previous_30_days(admin_client, site):
    click(site, "https://up.example/", 5)
    click(site, "https://up.example/", 2, day=days_ago(45))
    click(site, "https://down.example/", 1, day=days_ago(29))
    click(site, "https://down.example/", 4, day=days_ago(30))
    click(site, "https://new.example/", 3)
    response = admin_client.get(reverse("wagtailadmin_home"))
    changes = {
        row["domain"]: (row["clicks"], row["change"]) for row in panel_rows(response)
    }
    assert changes == {
        "up.example": (5, 3),
        "new.example": (3, 3),
        "down.example": (1, -3),
    }
    html = response.content.decode()
    assert "+3" in html and ">-3<" in html
    assert "new" in html
    assert 'href="/admin/outbound/urls/?domain=up.example&amp;period=30"' in html


def test_panel_escapes_domains_and_shows_idn_readably(admin_client, site):
    click(site, "https://xn--bcher-kva.example/")
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "bücher.example" in html


def test_summary_item_counts_this_months_clicks(admin_client, site):
    click(site, "https://a.example/", 3)
    last_month = today().replace(day=1) - days_ago(0).resolution
    click(site, "https://a.example/", 7, day=last_month)
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "3 outbound clicks" in html
    start = today().replace(day=1).isoformat()
    assert (
        f'href="/admin/outbound/?start={start}&amp;end={today().isoformat()}"' in html
    )


def test_panel_says_when_there_is_nothing(admin_client, site):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "No outbound clicks in the last 30 days." in html
