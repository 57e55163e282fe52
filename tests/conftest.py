import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from wagtail.models import Locale, Page, Site


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
