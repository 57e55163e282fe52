import datetime
import os

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from hypothesis import settings as hypothesis_settings
from wagtail.models import Locale, Page, Site

# Hypothesis: 25 examples a test locally ("dev"), 300 and the same ones on
# every run in CI ("ci", with CI=true); HYPOTHESIS_PROFILE picks one. CI runs
# the large profile in one configuration only (noxfile.py) and "ci-light",
# the same fixed examples as few as "dev", in the others. All start from
# Hypothesis's defaults, not from what it loads itself when it sees a CI
# variable. A test that needs more examples scales its count from these.
_defaults = hypothesis_settings.get_profile("default")
hypothesis_settings.register_profile("dev", _defaults, max_examples=25, deadline=None)
hypothesis_settings.register_profile(
    "ci",
    _defaults,
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
)
hypothesis_settings.register_profile(
    "ci-light", hypothesis_settings.get_profile("ci"), max_examples=25
)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev")
)

# The day report tests run on: dates relative to today then cover the same
# code paths every day of the year. A Sunday in the middle of a month.
TODAY = "2026-05-17"
# ``@pytest.mark.calendar`` runs a test once for each of these days.
CALENDAR = {
    "mid-month": TODAY,
    "first-of-month": "2026-06-01",
    "last-of-month": "2026-04-30",
    "new-year": "2027-01-01",
    "leap-day": "2028-02-29",
}


def pytest_generate_tests(metafunc):
    # A calendar test that does not use frozen_today is a collection error.
    if metafunc.definition.get_closest_marker("calendar"):
        metafunc.parametrize(
            "frozen_today", list(CALENDAR.values()), ids=list(CALENDAR), indirect=True
        )


@pytest.fixture
def frozen_today(request):
    """Freeze the clock (of the live server too: it runs in this process) at
    noon UTC, on the day of the test's ``today`` marker, of its ``calendar``
    case, or :data:`TODAY`; return that date. The clock ticks on from there,
    so timeouts and durations still work."""
    marker = request.node.get_closest_marker("today")
    day = getattr(request, "param", None) or (marker.args[0] if marker else TODAY)
    day = datetime.date.fromisoformat(day)
    noon = datetime.datetime.combine(
        day, datetime.time(12), tzinfo=datetime.timezone.utc
    )
    with time_machine.travel(noon, tick=True):
        yield day


@pytest.fixture(autouse=True)
def _empty_caches():
    """Every test starts without rate-limit counters or cached site settings
    left by an earlier one."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def site(db):
    """The default site with an article page as its root."""
    # Imported here: tests/swapped runs without tests.testapp installed.
    from tests.testapp.models import ArticlePage

    root = Page.get_first_root_node()
    if root is None:
        # A transactional test without serialized_rollback ran before and its
        # flush took Wagtail's migration-created locale and root page along.
        ContentType.objects.clear_cache()  # its ids were recreated too
        Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(
        instance=ArticlePage(
            title="Home",
            slug="home-test",
            body='<p><a href="https://www.wagtail.org/">Wagtail</a></p>',
        )
    )
    Site.objects.all().delete()
    return Site.objects.create(
        hostname="testserver", port=80, root_page=home, is_default_site=True
    )


@pytest.fixture
def home(site):
    return site.root_page.specific
