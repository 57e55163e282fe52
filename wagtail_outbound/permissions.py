"""Who may see outbound click reports.

One permission, ``wagtail_outbound.view_dailyclicks`` ("Can view outbound
link reports"), opens every report, export and dashboard panel. Superusers
have it; grant it to a group in Settings > Groups.
"""

from django.contrib.auth.models import Permission
from wagtail.permission_policies import ModelPermissionPolicy

from .models import DailyClicks

policy = ModelPermissionPolicy(DailyClicks)


def user_can_view_reports(user):
    """Whether ``user`` may open the outbound click reports."""
    return policy.user_has_permission(user, "view")


def permissions_for_group_editor():
    """The permission shown in Wagtail's group editor."""
    return Permission.objects.filter(
        content_type__app_label=DailyClicks._meta.app_label,
        codename="view_dailyclicks",
    )
