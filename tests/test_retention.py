"""outbound_prune: click history older than each site's retention is deleted."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from wagtail.models import Page, Site

from tests.factories import click
from wagtail_outbound import retention
from wagtail_outbound.models import (
    DailyClicks,
    Health,
    Link,
    LinkCheck,
    OutboundSettings,
    Placement,
    SourcePage,
)
from wagtail_outbound.periods import Span
from wagtail_outbound.tasks import prune_outbound_history

# The cut-off of a 30-day retention falls in the middle of October.
TODAY = datetime.date(2026, 11, 27)
# The command and the task prune as of today: the clock's.
pytestmark = [
    pytest.mark.today(TODAY.isoformat()),
    pytest.mark.usefixtures("frozen_today"),
]


def days_ago(days):
    return TODAY - datetime.timedelta(days=days)


def keep_days(site, days):
    settings = OutboundSettings.for_site(site)
    settings.retention_days = days
    settings.save()


def age_links(days=2):
    """Links are only pruned a while after they were first seen."""
    Link.objects.update(created_at=timezone.now() - datetime.timedelta(days=days))


def snapshot():
    """Every counter of every counter table, to prove nothing else changed."""
    return {
        model._meta.label: sorted(
            tuple(row.values()) for row in model.objects.values().order_by("pk")
        )
        for model in retention.counter_models()
    }


def assert_rollups_match_counters():
    """Each roll-up row equals the sum of the counters it covers."""
    for model in retention.counter_models():
        if not any(f.name == "span" for f in model._meta.concrete_fields):
            continue
        for row in model.objects.values():
            start = row["day"]
            end = Span(row["span"]).following(start)
            expected = DailyClicks.objects.filter(
                site_id=row["site_id"],
                day__gte=start,
                day__lt=end,
                **{lookup: row[name] for name, lookup in model.counted_by.items()},
            ).aggregate(total=Sum("clicks"))["total"]
            assert row["clicks"] == expected, (model, row)


@pytest.fixture
def other_site(site):
    root = Page.get_first_root_node()
    home = root.add_child(instance=Page(title="Other", slug="other-home"))
    return Site.objects.create(hostname="other.test", port=80, root_page=home)


def test_counters_older_than_retention_are_deleted_and_newer_kept(site):
    keep_days(site, 30)
    for age in (400, 31, 30, 29, 0):
        click(site, "https://example.com/", day=days_ago(age))
    retention.prune(today=TODAY)
    kept = sorted(DailyClicks.objects.values_list("day", flat=True))
    assert kept == [days_ago(30), days_ago(29), TODAY]
    assert_rollups_match_counters()


def test_default_retention_is_365_days(site):
    for age in (366, 365, 1):
        click(site, "https://example.com/", day=days_ago(age))
    counts = retention.prune(today=TODAY)
    assert counts["wagtail_outbound.DailyClicks"] == 1
    assert sorted(DailyClicks.objects.values_list("day", flat=True)) == [
        days_ago(365),
        days_ago(1),
    ]


def test_each_site_keeps_its_own_retention(site, other_site):
    keep_days(site, 30)
    click(site, "https://example.com/", day=days_ago(100))
    click(other_site, "https://example.com/", day=days_ago(100))
    retention.prune(today=TODAY)
    assert list(DailyClicks.objects.values_list("site_id", flat=True)) == [
        other_site.pk
    ]


def test_prune_is_idempotent(site):
    keep_days(site, 30)
    for age in (45, 35, 10, 0):
        click(site, f"https://example.com/{age}", day=days_ago(age))
    age_links()
    first = retention.prune(today=TODAY)
    after_first = snapshot()
    second = retention.prune(today=TODAY)
    assert sum(first.values()) > 0
    assert set(second.values()) == {0}
    assert snapshot() == after_first


def test_roll_ups_stay_equal_to_the_counters_across_the_cut_off_month(site):
    keep_days(site, 30)  # first kept day: 2026-10-28
    for age in range(60):
        click(site, "https://example.com/a", day=days_ago(age))
        if age % 3 == 0:
            click(site, "https://example.com/b", day=days_ago(age), source="/blog/")
    assert_rollups_match_counters()
    retention.prune(today=TODAY)
    assert_rollups_match_counters()
    assert DailyClicks.objects.filter(day__lt=days_ago(30)).count() == 0


def test_dry_run_counts_exactly_what_a_run_deletes_and_deletes_nothing(site):
    keep_days(site, 30)
    click(site, "https://old.example/", day=days_ago(40), source="/old/")
    click(site, "https://example.com/", day=days_ago(40))
    click(site, "https://example.com/", day=days_ago(1))
    age_links()
    before = snapshot()
    links, pages = Link.objects.count(), SourcePage.objects.count()
    would = retention.prune(today=TODAY, dry_run=True)
    assert snapshot() == before
    assert (Link.objects.count(), SourcePage.objects.count()) == (links, pages)
    assert retention.prune(today=TODAY) == would
    assert would["wagtail_outbound.Link"] == 1
    assert would["wagtail_outbound.SourcePage"] == 1


def test_links_and_pages_no_counter_refers_to_are_deleted(site):
    keep_days(site, 30)
    click(site, "https://gone.example/", day=days_ago(90), source="/gone/")
    click(site, "https://kept.example/", day=days_ago(90))
    click(site, "https://kept.example/", day=days_ago(2))
    age_links()
    retention.prune(today=TODAY)
    assert list(Link.objects.values_list("domain", flat=True)) == ["kept.example"]
    assert list(SourcePage.objects.values_list("path", flat=True)) == ["/"]


def test_a_checked_link_goes_with_its_clicks_and_one_in_content_stays(site):
    """The link checker's answer never keeps a link; a page holding it does."""
    keep_days(site, 30)
    click(site, "https://checked.example/", day=days_ago(90))
    click(site, "https://held.example/", day=days_ago(90))
    age_links()
    for link in Link.objects.all():
        LinkCheck.objects.create(link=link, status=Health.OK)
    held = Link.objects.get(domain="held.example")
    now = timezone.now()
    Placement.objects.create(
        site=site, page_id=site.root_page_id, link=held, first_seen=now, last_seen=now
    )
    retention.prune(today=TODAY)
    assert list(Link.objects.values_list("domain", flat=True)) == ["held.example"]
    assert list(LinkCheck.objects.values_list("link", flat=True)) == [held.pk]


def test_a_new_link_is_not_pruned_while_its_click_may_be_in_flight(site):
    Link.objects.create(
        url="https://new.example/", url_hash="x" * 64, domain="new.example"
    )
    retention.prune(today=TODAY)
    assert Link.objects.filter(domain="new.example").exists()


def test_command_prints_counts_and_dry_run_keeps_everything(site):
    keep_days(site, 30)
    click(site, "https://example.com/", day=days_ago(50))
    click(site, "https://example.com/", day=days_ago(5))
    dry = io.StringIO()
    call_command("outbound_prune", "--dry-run", stdout=dry)
    assert "Would delete 1 wagtail_outbound.DailyClicks rows" in dry.getvalue()
    assert DailyClicks.objects.count() == 2
    out = io.StringIO()
    call_command("outbound_prune", stdout=out)
    assert "Deleted 1 wagtail_outbound.DailyClicks rows" in out.getvalue()
    assert DailyClicks.objects.count() == 1
    again = io.StringIO()
    call_command("outbound_prune", stdout=again)
    assert "Deleted 0 rows in total" in again.getvalue()


def test_prune_runs_as_a_django_task(site, django_capture_on_commit_callbacks):
    keep_days(site, 30)
    click(site, "https://example.com/", day=days_ago(60))
    with django_capture_on_commit_callbacks(execute=True):
        prune_outbound_history.enqueue()
    assert DailyClicks.objects.count() == 0
    assert prune_outbound_history.call()["wagtail_outbound.DailyClicks"] == 0
