"""The test project with the click tables in a database of their own.

Run with ``DJANGO_SETTINGS_MODULE=tests.analytics.settings pytest tests/analytics``
(the Makefile does so when DATABASE_URL is PostgreSQL). The default database
stays whatever DATABASE_URL says (SQLite by default); the click tables go to
the PostgreSQL database of ANALYTICS_DATABASE_URL, whose test copy
(``test_analytics``) pytest-django creates and migrates with the router.
"""

import os

import dj_database_url

from tests.testapp.settings import *  # noqa: F403
from tests.testapp.settings import DATABASES

DATABASES["analytics"] = dj_database_url.parse(
    os.environ.get(
        "ANALYTICS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/analytics"
    ),
    conn_max_age=0,
)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Not the main suite's test database file: both may run at once.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

WAGTAIL_OUTBOUND_DATABASE = "analytics"
DATABASE_ROUTERS = ["wagtail_outbound.routers.ClicksRouter"]
