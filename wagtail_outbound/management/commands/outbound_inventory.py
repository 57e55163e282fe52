"""Build or rebuild the link inventory: the outbound links every live page serves.

    python manage.py outbound_inventory                       # every site
    python manage.py outbound_inventory --site www.example.com

Every live page is rendered as a visitor gets it and its links replace the
ones stored for it; entries of pages that are no longer live go. Publishing,
unpublishing, moving and deleting pages keep it current afterwards; run this
once after installing, and after changing templates, snippets or settings
that all pages show (navigation, footers).
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from ... import inventory


class Progress:
    """A one-line counter on stderr, redrawn at most ten times a second (and
    written once at the end when stderr is not a terminal)."""

    def __init__(self, stream):
        self.stream = stream
        self.started = time.monotonic()
        self.drawn = 0.0
        self.live = stream.isatty() if hasattr(stream, "isatty") else False

    def __call__(self, done, total):
        now = time.monotonic()
        finished = done >= total
        if not finished and (not self.live or now - self.drawn < 0.1):
            return
        self.drawn = now
        width = 30
        filled = width * done // total if total else width
        rate = done / (now - self.started) if now > self.started else 0
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} pages"
            f"  {rate:.0f}/s"
        )
        self.stream.write(("\r" if self.live else "") + line)
        if finished:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Build or rebuild the inventory of outbound links on live pages."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Only this site (hostname[:port] or id).")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=100,
            help="Pages stored per transaction.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the progress bar."
        )

    def handle(self, *args, site=None, batch_size=100, no_progress=False, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        site = self._site(site) if site else None
        started = time.monotonic()
        progress = None if no_progress else Progress(self.stderr._out or sys.stderr)
        totals = inventory.build(site, batch_size=batch_size, progress=progress)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Inventory: {totals.links} outbound links on {totals.pages} live pages"
            f" in {seconds:.1f} s"
        )
        if totals.failed:
            self.stderr.write(
                f"{totals.failed} pages could not be rendered (see the log):"
                " their entries were kept as they were."
            )

    @staticmethod
    def _site(value):
        sites = Site.objects.all()
        if value.isdigit():
            found = sites.filter(pk=int(value)).first()
        else:
            hostname, _colon, port = value.partition(":")
            found = sites.filter(hostname__iexact=hostname)
            if port:
                found = found.filter(port=int(port) if port.isdigit() else -1)
            found = found.first()
        if found is None:
            raise CommandError(f"No site {value!r}.")
        return found
