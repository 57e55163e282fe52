"""Model fields shared by the click tables."""

from django.db import models


class SiteKey(models.ForeignKey):
    """A click table's site: a foreign key without a database constraint or a
    cascade, so the click tables can live in a database of their own
    (``WAGTAIL_OUTBOUND_DATABASE``). ``signals`` deletes a site's rows."""

    def __init__(self, **kwargs):
        kwargs.update(
            to="wagtailcore.Site",
            on_delete=models.DO_NOTHING,
            related_name="+",
            db_constraint=False,
        )
        super().__init__(**kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ForeignKey", args, kwargs
