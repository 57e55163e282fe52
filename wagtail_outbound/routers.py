"""Keeps the click tables in a database of their own.

For sites whose clicks outgrow their CMS database::

    DATABASES = {"default": {...}, "analytics": {...}}
    WAGTAIL_OUTBOUND_DATABASE = "analytics"
    DATABASE_ROUTERS = ["wagtail_outbound.routers.ClicksRouter"]

then ``manage.py migrate --database analytics``. The click tables (inbox,
counters, roll-ups, links, source pages, labels) go there; the per-site
settings stay beside Wagtail's sites. The analytics database can be another
PostgreSQL server. (Citus would need primary keys that include ``site_id``:
not done yet.)
"""

from . import conf

APP = "wagtail_outbound"
# Per-site settings belong with the CMS: they point at wagtailcore's sites.
CMS_MODELS = {"outboundsettings"}


def _is_click_model(app_label, model_name):
    return app_label == APP and (model_name or "").lower() not in CMS_MODELS


class ClicksRouter:
    def _alias(self, model):
        alias = conf.get("WAGTAIL_OUTBOUND_DATABASE")
        if alias and _is_click_model(model._meta.app_label, model._meta.model_name):
            return alias
        return None

    def db_for_read(self, model, **hints):
        return self._alias(model)

    def db_for_write(self, model, **hints):
        return self._alias(model)

    def allow_relation(self, obj1, obj2, **hints):
        # Click rows point at sites (without a database constraint).
        labels = {obj1._meta.app_label, obj2._meta.app_label}
        if APP in labels and conf.get("WAGTAIL_OUTBOUND_DATABASE"):
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        alias = conf.get("WAGTAIL_OUTBOUND_DATABASE")
        if not alias:
            return None
        if db == alias:  # only the click tables live there
            if model_name is None:
                return app_label == APP
            return _is_click_model(app_label, model_name)
        if model_name and _is_click_model(app_label, model_name):
            return False
        return None
