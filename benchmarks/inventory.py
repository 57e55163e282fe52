"""The link inventory: how long ``outbound_inventory`` takes on a site of
--pages pages, and how much longer a publish takes with the inventory kept
current (its task on the immediate backend, the default).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_inventory \\
        python -m benchmarks.inventory --pages 10000

Creates (once) a site of its own, "inventory.bench", of demo content pages
(the demo's templates: navigation of 8 sections, a footer with outbound
links) in sections of 100, each with rich text and StreamField links drawn
from 2,000 URLs on 300 domains, by Wagtail's ``add_child`` one page at a
time, so it needs a database of its own (``python -m benchmarks --only
inventory`` makes one).
Then, timed:

- a first build of that site's inventory (nothing stored yet) and a rebuild
  (every entry stored already), as ``manage.py outbound_inventory --site``;
- publishing a page with and without the inventory's receivers connected,
  alternately, --publishes times each (the medians, their difference and
  ratio), two ways: in code (``save_revision().publish()``), and as an editor
  does (the page's edit form posted to the admin with its Publish action).

Wagtail's search indexing on save is off throughout (``search_index_off``),
which makes a publish cheaper than on a real site, so the ratio is on the
high side.

Prints one JSON line; --output also writes it to a file.
"""

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
from pathlib import Path

from .common import database_label, setup_django

HOSTNAME = "inventory.bench"
SECTION_SIZE = 100
MENU = 8  # sections in the navigation, as on most sites


def _links(rng, count, domains=300, urls=2000):
    """``count`` URLs of a pool of ``urls`` on ``domains`` hosts: half of
    them among the 50 most linked, the rest anywhere."""
    picked = []
    for _ in range(count):
        index = rng.randrange(50) if rng.random() < 0.5 else rng.randrange(urls)
        picked.append(f"https://site{index % domains}.example.com/page/{index}")
    return picked


def _content(rng, number):
    first, second, third, button, fifth, sixth = _links(rng, 6)
    intro = (
        f'<p>Page {number} links to <a href="{first}">one source</a> and '
        f'<a href="/about/">an internal page</a>.</p>'
    )
    body = [
        {"type": "heading", "value": f"Section {number}"},
        {
            "type": "paragraph",
            "value": (
                f'<p>Read <a href="{second}">this</a>, <a href="{third}">that</a> '
                f'and <a href="{fifth}?utm_source=bench">the other</a>.</p>'
            ),
        },
        {
            "type": "link_button",
            "value": {
                "url": button,
                "text": "Go",
                "event": "",
                "category": "",
                "track": True,
            },
        },
        {"type": "paragraph", "value": f'<p><a href="{sixth}">More</a></p>'},
    ]
    return intro, json.dumps(body)


@contextlib.contextmanager
def search_index_off():
    """Without Wagtail's search indexing on save: the demo's database search
    backend updates every entry's title norm on each save on PostgreSQL, a cost
    that grows with the site and would dwarf what is measured here."""
    from django.db.models.signals import post_save
    from wagtail.search import index
    from wagtail.search.signal_handlers import post_save_signal_handler

    models = list(index.get_indexed_models())
    for model in models:
        post_save.disconnect(post_save_signal_handler, sender=model)
    try:
        yield
    finally:
        for model in models:
            post_save.connect(post_save_signal_handler, sender=model)


def make_site(pages, stdout):
    """The benchmark's site with ``pages`` live pages, created when missing."""
    from django.db import transaction
    from home.models import ContentPage
    from wagtail.models import Page, Site

    site = Site.objects.filter(hostname=HOSTNAME).first()
    if site is not None:
        have = Page.objects.live().descendant_of(site.root_page, inclusive=True)
        if have.count() == pages:
            return site, None
        raise SystemExit(
            f"The site {HOSTNAME} has {have.count()} pages, not {pages}: "
            "use a fresh database."
        )
    rng = random.Random(1)
    started = time.monotonic()
    intro, body = _content(rng, 0)
    root = Page.get_first_root_node().add_child(
        instance=ContentPage(
            title="Inventory bench", slug="inventory-bench", intro=intro, body=body
        )
    )
    site = Site.objects.create(hostname=HOSTNAME, port=80, root_page=root)
    made = 1
    while made < pages:
        with transaction.atomic():
            intro, body = _content(rng, made)
            section = root.add_child(
                instance=ContentPage(
                    title=f"Section {made}",
                    slug=f"section-{made}",
                    intro=intro,
                    body=body,
                    show_in_menus=made <= MENU * SECTION_SIZE,
                )
            )
            made += 1
            for _ in range(min(SECTION_SIZE - 1, pages - made)):
                intro, body = _content(rng, made)
                section.add_child(
                    instance=ContentPage(
                        title=f"Page {made}",
                        slug=f"page-{made}",
                        intro=intro,
                        body=body,
                    )
                )
                made += 1
        stdout.write(f"\rcreated {made}/{pages} pages")
        stdout.flush()
    stdout.write("\n")
    return site, time.monotonic() - started


def build_seconds(site, stdout):
    from wagtail_outbound import inventory
    from wagtail_outbound.management.commands.outbound_inventory import Progress

    started = time.monotonic()
    totals = inventory.build(site, progress=Progress(stdout))
    return time.monotonic() - started, totals


def _page_ids(site, count):
    from wagtail.models import Page

    ids = list(
        Page.objects.live()
        .descendant_of(site.root_page)
        .filter(depth__gt=site.root_page.depth + 1)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return random.Random(2).sample(ids, count)


def publish_method(page_id):
    """Publish a page as code does: a new revision, published."""
    from wagtail.models import Page

    page = Page.objects.get(pk=page_id).specific
    page.title += "."
    started = time.perf_counter()
    page.save_revision().publish()
    return (time.perf_counter() - started) * 1000


def admin_publisher():
    """Publish a page as an editor does: the edit view's form, posted with
    its Publish action by a logged-in superuser."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from wagtail.models import Page
    from wagtail.test.utils.form_data import (
        inline_formset,
        nested_form_data,
        rich_text,
        streamfield,
    )

    users = get_user_model().objects
    user = users.filter(username="inventory-bench").first()
    if user is None:
        user = users.create_superuser("inventory-bench", "bench@example.com", None)
    client = Client()
    client.force_login(user)

    def block(child):
        if child.block_type == "paragraph":
            return ("paragraph", rich_text(child.value.source))
        if child.block_type == "link_button":
            return ("link_button", {**child.value, "track": "on"})
        return (child.block_type, child.value)

    def publish(page_id):
        page = Page.objects.get(pk=page_id).specific
        data = nested_form_data(
            {
                "title": page.title + ".",
                "slug": page.slug,
                "intro": rich_text(page.intro),
                "body": streamfield([block(child) for child in page.body]),
                "comments": inline_formset([]),
                "track_outbound_clicks": "on",
                "action-publish": "action-publish",
            }
        )
        url = reverse("wagtailadmin_pages:edit", args=[page_id])
        started = time.perf_counter()
        response = client.post(url, data)
        took = (time.perf_counter() - started) * 1000
        if response.status_code != 302:
            raise SystemExit(f"The admin did not publish page {page_id}.")
        return took

    return publish


def publish_times(site, count, publish):
    """Median milliseconds of ``publish(page_id)`` with and without the
    inventory's receivers, alternately on different pages, after a warm-up."""
    from wagtail.signals import page_published

    from wagtail_outbound import signals

    picked = _page_ids(site, count * 2 + 2)

    def without_inventory(page_id):
        page_published.disconnect(signals.refresh_links_of_page)
        try:
            return publish(page_id)
        finally:
            page_published.connect(signals.refresh_links_of_page)

    publish(picked.pop())
    without_inventory(picked.pop())
    with_inventory, without = [], []
    for _ in range(count):
        with_inventory.append(publish(picked.pop()))
        without.append(without_inventory(picked.pop()))
    return statistics.median(with_inventory), statistics.median(without)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inventory")
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--publishes", type=int, default=15)
    parser.add_argument("--output", help="Also write the result to this file.")
    args = parser.parse_args(argv)
    setup_django()

    from wagtail_outbound.models import Placement

    stdout = sys.stderr  # progress; the result is stdout's last line
    with search_index_off():
        site, create_s = make_site(args.pages, stdout)
        Placement.objects.filter(site_id=site.pk).delete()
        build_s, totals = build_seconds(site, stdout)
        rebuild_s, _totals = build_seconds(site, stdout)
        with_ms, without_ms = publish_times(site, args.publishes, publish_method)
        admin_with, admin_without = publish_times(
            site, args.publishes, admin_publisher()
        )
    result = {
        "database": database_label(),
        "pages": totals.pages,
        "links_on_pages": totals.links,
        "distinct_links": Placement.objects.filter(site_id=site.pk)
        .values("link_id")
        .distinct()
        .count(),
        "failed": totals.failed,
        "create_pages_s": round(create_s, 1) if create_s else None,
        "build_s": round(build_s, 1),
        "build_pages_per_s": round(totals.pages / build_s, 1),
        "rebuild_s": round(rebuild_s, 1),
        "publishes": args.publishes,
        "publish_ms_without": round(without_ms, 1),
        "publish_ms_with": round(with_ms, 1),
        "publish_extra_ms": round(with_ms - without_ms, 1),
        "publish_ratio": round(with_ms / without_ms, 2),
        "admin_publish_ms_without": round(admin_without, 1),
        "admin_publish_ms_with": round(admin_with, 1),
        "admin_publish_extra_ms": round(admin_with - admin_without, 1),
        "admin_publish_ratio": round(admin_with / admin_without, 2),
    }
    line = json.dumps(result)
    if args.output:
        Path(args.output).parent.mkdir(exist_ok=True)
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    print(line)


if __name__ == "__main__":
    main()
