"""Seeds the demo site (demo/) in a fresh database, then compares its link
inventory with what each live page serves to a visitor, and prints the
result as JSON. tests/test_inventory.py runs it in a process of its own, with
the demo's settings::

    cd demo && DATABASE_URL=sqlite:////tmp/demo.sqlite3 \\
        PYTHONPATH=.:.. python ../tests/demo_site.py
"""

import io
import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from wagtail.models import Page, Site  # noqa: E402

from tests.served import served_links  # noqa: E402
from wagtail_outbound.models import Placement  # noqa: E402


def main():
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", days=1, stdout=io.StringIO())
    client = Client()
    site = Site.objects.get(is_default_site=True)
    report = {"pages": 0, "links": 0, "mismatches": [], "where": {}}
    for page in Page.objects.live().filter(depth__gt=1).specific():
        url = page.get_full_url()
        response = client.get(page.get_url(), HTTP_HOST=f"{site.hostname}:{site.port}")
        served = served_links(response.content.decode(), url, site)
        stored = dict(
            Placement.objects.filter(page_id=page.pk).values_list("link__url", "text")
        )
        report["pages"] += 1
        report["links"] += len(stored)
        if response.status_code != 200 or served != stored:
            report["mismatches"].append(
                {
                    "page": url,
                    "status": response.status_code,
                    "served": served,
                    "stored": stored,
                }
            )
        for link, where in Placement.objects.filter(page_id=page.pk).values_list(
            "link__url", "where"
        ):
            report["where"].setdefault(link, []).append(where)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
