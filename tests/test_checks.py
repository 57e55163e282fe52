"""System checks that tell an integrator which line is missing."""

from django.apps import apps
from django.core import checks
from django.test import override_settings

from wagtail_outbound.checks import URL_LINE, check_required_apps, check_urls_included


def test_test_project_passes_the_checks():
    assert check_urls_included() == []
    assert check_required_apps() == []


def test_checks_run_with_django_check_framework():
    ids = {message.id for message in checks.run_checks(tags=[checks.Tags.urls])}
    assert not {id for id in ids if id.startswith("wagtail_outbound")}


@override_settings(ROOT_URLCONF="tests.testapp.urls_without_outbound")
def test_missing_url_line_is_error_e001_naming_the_line():
    [error] = check_urls_included()
    assert error.id == "wagtail_outbound.E001"
    assert error.level == checks.ERROR
    assert URL_LINE in error.hint
    assert "path('outbound/', include('wagtail_outbound.urls'))," in error.hint


@override_settings(ROOT_URLCONF="tests.testapp.urls_without_outbound")
def test_e001_is_reported_by_manage_py_check():
    ids = [message.id for message in checks.run_checks(tags=[checks.Tags.urls])]
    assert "wagtail_outbound.E001" in ids


@override_settings(ROOT_URLCONF="tests.testapp.urls_outbound_after_wagtail")
def test_url_line_after_wagtails_catch_all_is_error_e002():
    [error] = check_urls_included()
    assert error.id == "wagtail_outbound.E002"
    assert "/outbound/collect/" in error.msg
    assert "above include(wagtail_urls)" in error.hint


@override_settings(ROOT_URLCONF="tests.testapp.urls_outbound_prefixed")
def test_any_prefix_is_accepted():
    assert check_urls_included() == []


def test_missing_apps_are_error_e003(monkeypatch):
    # Changing INSTALLED_APPS would reload every app; ask a registry without them.
    missing = {"django_tables2", "wagtail.contrib.settings"}
    is_installed = apps.is_installed
    monkeypatch.setattr(
        apps, "is_installed", lambda name: name not in missing and is_installed(name)
    )
    errors = check_required_apps()
    assert [error.id for error in errors] == ["wagtail_outbound.E003"] * 2
    assert [error.level for error in errors] == [checks.ERROR] * 2
    settings_error, tables_error = errors
    assert "'wagtail.contrib.settings'" in settings_error.msg
    assert "'django_tables2'" in tables_error.msg
    # Most projects already list wagtail.contrib.settings: add it only if
    # missing, and once (twice fails before any check can run).
    assert settings_error.hint.startswith(
        "Add 'wagtail.contrib.settings' to INSTALLED_APPS if it is not present."
    )
    assert "once" in settings_error.hint
    assert "Application labels aren't unique" in settings_error.hint


def test_only_the_missing_app_is_reported(monkeypatch):
    is_installed = apps.is_installed
    monkeypatch.setattr(
        apps,
        "is_installed",
        lambda name: name != "wagtail.contrib.settings" and is_installed(name),
    )
    [error] = check_required_apps()
    assert error.id == "wagtail_outbound.E003"
    assert "'wagtail.contrib.settings'" in error.msg
