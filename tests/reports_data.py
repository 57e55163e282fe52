"""Click data for the report tests, written through the real write path, and
readers of the reports' exports."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import click
from wagtail_outbound.rollups import rebuild as rebuild_rollups

XSS_TEXT = "<img src=x onerror=alert(1)>"
XSS_URL = 'https://evil.example/"><script>alert(2)</script>?q=<b>x</b>'


def today():
    return timezone.localdate()


def days_ago(n):
    return today() - timedelta(days=n)


def seed_basic(site, page):
    """A small, hand-checkable data set.

    wagtail.org 6 clicks (2 URLs), example.com 3 clicks, an IDN host 1 click;
    pages "/" and the given page's path.
    """
    home = "/"
    article = page.url_path if page else "/article/"
    click(site, "https://wagtail.org/docs/", 4, text="Docs", source=home)
    click(
        site,
        "https://wagtail.org/blog/",
        1,
        text="Blog",
        source=article,
        page_id=page.pk if page else None,
    )
    click(
        site,
        "https://wagtail.org/blog/",
        1,
        day=days_ago(3),
        text="Blog",
        source=home,
        event="affiliate_click",
        category="partner",
    )
    click(
        site,
        "https://example.com/a",
        2,
        text="A",
        source=article,
        page_id=page.pk if page else None,
    )
    click(site, "https://example.com/a", 1, day=days_ago(40), text="A", source=home)
    click(site, "https://xn--bcher-kva.example/", 1, text="Bücher", source=home)


def report_permission():
    return Permission.objects.get(
        content_type__app_label="wagtail_outbound", codename="view_dailyclicks"
    )


@pytest.fixture
def report_user(django_user_model):
    """A Wagtail editor in a group granted the report permission."""
    group = Group.objects.create(name="Analysts")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"), report_permission()
    )
    user = django_user_model.objects.create_user("analyst", password="pw")
    user.groups.add(group)
    return user


@pytest.fixture
def editor(django_user_model):
    """A Wagtail editor without the report permission."""
    group = Group.objects.create(name="Plain editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("editor", password="pw")
    user.groups.add(group)
    return user


def page_user(django_user_model, name, *, pages=(), report=True):
    """A Wagtail editor who may edit the ``pages`` trees, with the report
    permission unless ``report`` is false."""
    from wagtail.models import GroupPagePermission

    group = Group.objects.create(name=f"Editors of {name}")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    if report:
        group.permissions.add(report_permission())
    change = Permission.objects.get(
        content_type__app_label="wagtailcore", codename="change_page"
    )
    for page in pages:
        GroupPagePermission.objects.create(group=group, page=page, permission=change)
    user = django_user_model.objects.create_user(name, password="pw")
    user.groups.add(group)
    return user


def bulk_seed(site, count, day=None):
    """``count`` domains, each with one URL clicked from its own page,
    ``i + 1`` clicks for the i-th, written with three bulk inserts."""
    from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint

    day = day or today()
    links = Link.objects.bulk_create(
        Link(
            url=f"https://site{i}.example/path",
            url_hash=fingerprint(f"https://site{i}.example/path"),
            domain=f"site{i}.example",
            text=f"Site {i}",
        )
        for i in range(count)
    )
    sources = SourcePage.objects.bulk_create(
        SourcePage(site=site, path=f"/bulk-{i}/", path_hash=fingerprint(f"/bulk-{i}/"))
        for i in range(count)
    )
    DailyClicks.objects.bulk_create(
        DailyClicks(site=site, day=day, link=link, source=source, clicks=i + 1)
        for i, (link, source) in enumerate(zip(links, sources, strict=True))
    )
    rebuild_rollups()


DEMO_DESTINATIONS = [
    # (url, link text, event, category, weight)
    ("https://docs.wagtail.org/en/stable/", "Wagtail documentation", "", "", 40),
    ("https://docs.wagtail.org/en/stable/getting_started/", "Get started", "", "", 21),
    ("https://docs.wagtail.org/en/stable/reference/", "Reference", "", "", 8),
    ("https://github.com/wagtail/wagtail", "Wagtail on GitHub", "", "", 26),
    ("https://www.djangoproject.com/", "Django", "", "", 18),
    (
        "https://shop.example.com/?ref=demo",
        "Buy the book",
        "affiliate_click",
        "partner",
        15,
    ),
    ("https://pypi.org/project/wagtail/", "Wagtail on PyPI", "", "", 11),
    ("https://www.python.org/downloads/", "Download Python", "", "", 9),
    (
        "https://xn--bcher-kva.example/wagtail",
        "Bücher über Wagtail",
        "affiliate_click",
        "partner",
        7,
    ),
    ("https://developer.mozilla.org/en-US/docs/Web/HTML", "MDN: HTML", "", "", 6),
    ("https://www.torchbox.com/", "Torchbox", "", "", 4),
    ("https://news.ycombinator.com/", "Hacker News", "", "", 3),
]


def seed_demo_like(site, pages, days=90, seed=2026):
    """A few months of plausible history over ``pages`` (Wagtail pages), with
    weekly rhythm and growth, written with bulk inserts."""
    import random

    from wagtail_outbound.models import DailyClicks, Link, SourcePage, fingerprint

    rng = random.Random(seed)
    links = [
        Link.objects.create(
            url=url, url_hash=fingerprint(url), domain=url.split("/")[2], text=text
        )
        for url, text, *_rest in DEMO_DESTINATIONS
    ]
    sources = [
        SourcePage.objects.create(
            site=site,
            page_id=page.pk,
            path=page.url_path,
            path_hash=fingerprint(page.url_path),
        )
        for page in pages
    ]
    rows = []
    for offset in range(days):
        day = days_ago(offset)
        rhythm = (0.5 if day.weekday() >= 5 else 1.0) * (1.6 - offset / days)
        for link, (_url, _text, event, category, weight) in zip(
            links, DEMO_DESTINATIONS, strict=True
        ):
            for index, source in enumerate(sources):
                clicks = int(rng.random() * weight * rhythm / (index + 1))
                if clicks:
                    rows.append(
                        DailyClicks(
                            site=site,
                            day=day,
                            link=link,
                            source=source,
                            event=event,
                            category=category,
                            clicks=clicks,
                        )
                    )
    DailyClicks.objects.bulk_create(rows)
    rebuild_rollups()


def csv_rows(response):
    """The rows of a CSV export."""
    assert response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def xlsx_rows(response):
    """The rows of an XLSX export's sheet, as typed values."""
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]
