"""The daily budget of new keys per site.

Every click to a URL, from a path or with a label not seen before would add
rows that stay for the whole retention period, and anyone can send clicks. A
site's clicks create at most ``WAGTAIL_OUTBOUND_MAX_NEW_LINKS_PER_DAY`` links,
``..._SOURCES_PER_DAY`` source pages and ``..._LABELS_PER_DAY`` event and
category labels a day, and ``..._COUNTERS_PER_DAY`` daily counters (a link
clicked from a page for the first time that day); beyond that, clicks still
count, under the overflow keys of ``models`` ("other"), which the reports
show as such.
"""

from django.db import connections

from . import conf
from .periods import click_day

LINKS = "links"
SOURCES = "sources"
LABELS = "labels"
COUNTERS = "counters"
SETTINGS = {
    LINKS: "WAGTAIL_OUTBOUND_MAX_NEW_LINKS_PER_DAY",
    SOURCES: "WAGTAIL_OUTBOUND_MAX_NEW_SOURCES_PER_DAY",
    LABELS: "WAGTAIL_OUTBOUND_MAX_NEW_LABELS_PER_DAY",
    COUNTERS: "WAGTAIL_OUTBOUND_MAX_NEW_COUNTERS_PER_DAY",
}


class Allowance:
    """What one batch may still create today, per site and kind.

    A site's budget row is read, locked, on its first new key in the batch, so
    concurrent batches spend it in turn; :meth:`save` writes what was spent.
    """

    def __init__(self, using):
        self.using = using
        self.used = {}
        self.spent = {}

    def spend(self, site_id, kind):
        """True when the site may create one more key of ``kind`` today."""
        key = (site_id, kind)
        if key not in self.used:
            self.used[key] = self._lock(site_id, kind)
            self.spent[key] = 0
        if self.used[key] + self.spent[key] >= conf.get(SETTINGS[kind]):
            return False
        self.spent[key] += 1
        return True

    def _lock(self, site_id, kind):
        from .models import NewKeys

        table = NewKeys._meta.db_table
        connection = connections[self.using]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (site_id, day, kind, created) "  # noqa: S608
                "VALUES (%s, %s, %s, 0) ON CONFLICT (site_id, day, kind) DO NOTHING",
                [site_id, click_day(), kind],
            )
            cursor.execute(
                f"SELECT created FROM {table} "  # noqa: S608
                f"WHERE site_id = %s AND day = %s AND kind = %s{lock}",
                [site_id, click_day(), kind],
            )
            return cursor.fetchone()[0]

    def save(self):
        from .models import NewKeys

        table = NewKeys._meta.db_table
        with connections[self.using].cursor() as cursor:
            for (site_id, kind), spent in sorted(self.spent.items()):
                if spent:
                    cursor.execute(
                        f"UPDATE {table} SET created = created + %s "  # noqa: S608
                        "WHERE site_id = %s AND day = %s AND kind = %s",
                        [spent, site_id, click_day(), kind],
                    )
