from django.conf import settings

# These tests need the click tables in a database of their own: the Makefile
# runs them on PostgreSQL with DJANGO_SETTINGS_MODULE=tests.analytics.settings.
if getattr(settings, "WAGTAIL_OUTBOUND_DATABASE", None) != "analytics":
    collect_ignore_glob = ["test_*.py"]
