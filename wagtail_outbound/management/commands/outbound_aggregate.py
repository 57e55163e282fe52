"""Count the clicks waiting in the inbox.

    python manage.py outbound_aggregate            # what is pending, then exit
    python manage.py outbound_aggregate --forever  # a worker process

Web requests count pending clicks on their own by default; sites that run a
worker set ``WAGTAIL_OUTBOUND_AGGREGATE_ON_REQUEST = False`` and run this
(several at once are safe on PostgreSQL: no click is counted twice).
"""

import time

from django.core.management.base import BaseCommand

from ...aggregation import aggregate

FOREVER_HELP = "Keep counting, every --interval seconds, until stopped."


class Command(BaseCommand):
    help = "Count the outbound clicks waiting in the inbox."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, help="Clicks counted per transaction."
        )
        parser.add_argument("--forever", action="store_true", help=FOREVER_HELP)
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between rounds."
        )

    def handle(self, *args, forever=False, interval=1.0, batch_size=None, **options):
        while True:
            counted = aggregate(batch_size=batch_size)
            if not forever:
                self.stdout.write(f"Counted {counted} pending clicks")
                return
            if not counted:
                time.sleep(interval)
