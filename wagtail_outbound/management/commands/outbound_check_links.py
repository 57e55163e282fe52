"""Check that the outbound links in content, and those clicked lately, work.

    python manage.py outbound_check_links              # the links that are due
    python manage.py outbound_check_links --all        # all of them, now
    python manage.py outbound_check_links --url URL    # one stored link, now
    python manage.py outbound_check_links --limit 500  # the 500 most overdue

Run it from cron (hourly is fine: a run checks only what is due), or enqueue
the task ``wagtail_outbound.tasks.check_outbound_links``. See docs/links.md.
"""

import contextlib

from django.core.management.base import BaseCommand, CommandError

from ... import health
from ...models import Health, Link
from ...urlnorm import InvalidURL, normalise_url

STATUSES = [Health.OK, Health.REDIRECTED, Health.BROKEN, Health.BLOCKED, Health.UNKNOWN]


class Command(BaseCommand):
    help = "Check the outbound links in content and those clicked lately."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help="Check every link in content or clicked lately, due or not.",
        )
        parser.add_argument(
            "--url",
            action="append",
            dest="urls",
            metavar="URL",
            help="Check this stored link now, due or not (repeatable).",
        )
        parser.add_argument(
            "--limit", type=int, help="Check at most this many links, most due first."
        )

    def handle(self, *args, everything=False, urls=None, limit=None, **options):
        if urls:
            links = self._stored(urls)
        elif everything:
            links = health.links_to_check()
        else:
            links = None  # the due ones
        verbose = options["verbosity"] >= 2
        summary = health.check_links(
            links, limit=limit, report=self._report if verbose else None
        )
        counts = [f"{summary[status]} {status.label}" for status in STATUSES]
        line = f"Checked {sum(summary.values())} links: {', '.join(counts)}"
        if summary[health.DEFERRED]:
            line += f" ({summary[health.DEFERRED]} put off: their host asked to wait)"
        self.stdout.write(self.style.SUCCESS(line))

    def _stored(self, urls):
        wanted = set(urls)
        for url in urls:
            with contextlib.suppress(InvalidURL):
                wanted.add(normalise_url(url)[0])
        links = Link.objects.filter(url__in=wanted)
        if not links.exists():
            raise CommandError(f"No outbound link stored with this URL: {urls[0]}")
        return links

    def _report(self, link, result):
        if result.deferred:
            self.stdout.write(f"put off     {link.url} (until {result.wait_until})")
            return
        details = [str(result.http_status or ""), result.final_url, result.error]
        self.stdout.write(
            f"{result.status!s:<11} {link.url} {' '.join(d for d in details if d)}"
        )
