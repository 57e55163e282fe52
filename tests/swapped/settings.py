"""A Wagtail 8 project with a swapped Page model (``WAGTAIL_PAGE_MODEL``).

Run with ``DJANGO_SETTINGS_MODULE=tests.swapped.settings pytest tests/swapped``.
DATABASE_URL selects the database (in-memory SQLite by default).
"""

from tests.testapp.settings import *  # noqa: F403
from tests.testapp.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [
    "tests.swapped",
    *(app for app in INSTALLED_APPS if app != "tests.testapp"),
]
WAGTAIL_PAGE_MODEL = "swapped.BasePage"
ROOT_URLCONF = "tests.swapped.urls"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
