"""Upgrades: data stored under the first released schema survives every migration,
and every migration can be reversed on a database holding data."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum

from wagtail_outbound import retention, stats
from wagtail_outbound.models import DailyClicks

APP = "wagtail_outbound"
FIRST = (APP, "0001_initial")

# (url, domain, source path, day, event, category, clicks)
HISTORY = [
    ("https://example.com/a", "example.com", "/", "2026-01-31", "", "", 7),
    ("https://example.com/a", "example.com", "/blog/", "2026-02-01", "", "", 3),
    ("https://example.com/b", "example.com", "/", "2026-02-01", "buy", "shop", 11),
    ("https://docs.test/", "docs.test", "/blog/", "2026-03-15", "", "", 1),
]


def executor():
    return MigrationExecutor(connection)


def migrate(targets):
    runner = executor()
    runner.loader.build_graph()
    runner.migrate(targets)
    return runner


def app_migrations():
    """Names of this app's migrations, oldest first."""
    graph = executor().loader.graph
    leaf = graph.leaf_nodes(APP)[0]
    return [node for node in graph.forwards_plan(leaf) if node[0] == APP]


def load_history(apps, site_id):
    """Write HISTORY with the models as they were in the given schema."""
    Link = apps.get_model(APP, "Link")
    SourcePage = apps.get_model(APP, "SourcePage")
    DailyClicks = apps.get_model(APP, "DailyClicks")
    from wagtail_outbound.models import fingerprint

    for url, domain, path, day, event, category, clicks in HISTORY:
        link, _ = Link.objects.get_or_create(
            url_hash=fingerprint(url), defaults={"url": url, "domain": domain}
        )
        source, _ = SourcePage.objects.get_or_create(
            site_id=site_id, path_hash=fingerprint(path), defaults={"path": path}
        )
        DailyClicks.objects.create(
            site_id=site_id,
            day=datetime.date.fromisoformat(day),
            link=link,
            source=source,
            event=event,
            category=category,
            clicks=clicks,
        )


def counters():
    return sorted(
        DailyClicks.objects.values_list(
            "link__url", "source__path", "day", "event", "category", "clicks"
        )
    )


EXPECTED = sorted(
    (url, path, datetime.date.fromisoformat(day), event, category, clicks)
    for url, _domain, path, day, event, category, clicks in HISTORY
)


def assert_every_count_survived():
    assert counters() == EXPECTED
    assert stats.total_clicks() == sum(row[-1] for row in HISTORY)
    assert {row["domain"]: row["clicks"] for row in stats.domain_totals()} == {
        "example.com": 21,
        "docs.test": 1,
    }
    # Roll-up tables, when the schema has them, agree with the counters.
    for model in retention.counter_models():
        if model is DailyClicks or not any(
            f.name == "span" for f in model._meta.concrete_fields
        ):
            continue
        for span in model.spans:
            total = model.objects.filter(span=span).aggregate(total=Sum("clicks"))
            assert total["total"] == 22, (model, span)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_history_from_the_first_schema_survives_every_migration(site):
    latest = executor().loader.graph.leaf_nodes(APP)
    try:
        runner = migrate([FIRST])
        old_apps = runner.loader.project_state([FIRST]).apps
        load_history(old_apps, site.pk)

        migrate(latest)
        assert_every_count_survived()

        # Back to the first schema and forward again, one migration at a time.
        steps = app_migrations()
        for target in reversed(steps[:-1]):
            migrate([target])
        assert sorted(
            old_apps.get_model(APP, "DailyClicks").objects.values_list(
                "clicks", flat=True
            )
        ) == sorted(row[-1] for row in HISTORY)
        for target in steps[1:]:
            migrate([target])
        assert_every_count_survived()
    finally:
        migrate(latest)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_migration_is_reversible():
    latest = executor().loader.graph.leaf_nodes(APP)
    graph = executor().loader.graph
    try:
        for node in app_migrations():
            migration = graph.nodes[node]
            irreversible = [
                operation
                for operation in migration.operations
                if not operation.reversible
            ]
            assert not irreversible, (node, irreversible)
        migrate([(APP, None)])
        assert APP + "_dailyclicks" not in connection.introspection.table_names()
    finally:
        migrate(latest)
    assert APP + "_dailyclicks" in connection.introspection.table_names()
