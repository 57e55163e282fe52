import pytest
from wagtail.models import Page, Site

from tests.testapp.models import ArticlePage


@pytest.fixture
def site(db):
    """The default site with an article page as its root."""
    root = Page.get_first_root_node()
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
