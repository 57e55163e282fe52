"""Migrations: one initial migration, independent of live code, reversible."""

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from wagtail_outbound import migrations

APP = "wagtail_outbound"
FIRST = (APP, "0001_initial")


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


def test_one_initial_migration_that_imports_no_live_code(db):
    """Unreleased: one squashed migration, which later code changes cannot
    break because it imports nothing of this app."""
    assert app_migrations() == [FIRST]
    source = Path(migrations.__file__).with_name("0001_initial.py").read_text()
    assert "import wagtail_outbound" not in source
    assert "from wagtail_outbound" not in source


def test_the_migration_runs_on_wagtail_7_lts(db):
    """Its wagtailcore dependency exists in Wagtail 7.0 (makemigrations on
    Wagtail 8 writes one that does not)."""
    migration = executor().loader.graph.nodes[FIRST]
    assert migration.dependencies == [("wagtailcore", "0094_alter_page_locale")]


@pytest.mark.slow
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
