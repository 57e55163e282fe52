from django.conf import settings

# These tests need a project whose Page model is swapped: the Makefile runs
# them on Wagtail 8 with DJANGO_SETTINGS_MODULE=tests.swapped.settings.
if getattr(settings, "WAGTAIL_PAGE_MODEL", None) != "swapped.BasePage":
    collect_ignore_glob = ["test_*.py"]
