"""Delete outbound click history older than each site's retention setting.

    python manage.py outbound_prune [--dry-run]

Safe to run from cron as often as you like (daily is plenty): a second run
deletes nothing. The same work is available as a background task,
``wagtail_outbound.tasks.prune_outbound_history``.
"""

from django.core.management.base import BaseCommand

from ...retention import prune


class Command(BaseCommand):
    help = "Delete outbound click history older than each site's retention days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, dry_run=False, **options):
        counts = prune(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        for label, count in counts.items():
            self.stdout.write(f"{verb} {count} {label} rows")
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {sum(counts.values())} rows in total")
        )
