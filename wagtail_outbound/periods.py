"""Days, the one clock of wagtail-outbound.

A click belongs to its date in the project's ``TIME_ZONE``, and every report
counts days the same way, whatever time zone an admin user has chosen: two
editors always see the same totals for "Last 7 days".
"""

from django.utils import timezone


def click_day(moment=None):
    """The day of ``moment`` (now by default) in the project's ``TIME_ZONE``."""
    moment = moment or timezone.now()
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def today():
    """Today in the project's ``TIME_ZONE``."""
    return click_day()
