"""Page serving: a demo blog page with the tracker hook active, against the same
page with the hook removed, alternating batches in one process.

    DATABASE_URL=... python -m benchmarks.serving --runs 7 --requests 200
"""

import argparse
import json
import statistics
import time

from .common import database_label, setup_django

HOOK_MODULE = "wagtail_outbound.wagtail_hooks"


def serve_times(client, url, count):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    setup_django()
    from django.test import Client
    from home.models import BlogPage
    from wagtail import hooks
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    page = BlogPage.objects.live().order_by("pk").first() or site.root_page
    url = page.get_url()
    client = Client(HTTP_HOST=f"{site.hostname}:{site.port}")
    registered = hooks._hooks["on_serve_page"]  # private, benchmark only
    ours = [entry for entry in registered if entry[0].__module__ == HOOK_MODULE]
    assert ours, "the wagtail-outbound on_serve_page hook is not registered"

    def set_hook(active):
        for entry in ours:
            if active and entry not in registered:
                registered.append(entry)
            elif not active and entry in registered:
                registered.remove(entry)

    times = {True: [], False: []}
    for active in (True, False):
        set_hook(active)
        html = client.get(url).content
        assert (b"data-outbound-collect" in html) == active
        serve_times(client, url, args.requests // 4)  # warm-up
    for run in range(args.runs):
        # Alternate which mode goes first, so drift in machine load cancels out.
        for active in (run % 2 == 0, run % 2 != 0):
            set_hook(active)
            times[active] += serve_times(client, url, args.requests)
    set_hook(True)
    with_hook = statistics.median(times[True])
    without = statistics.median(times[False])
    result = {
        "database": database_label(),
        "page": url,
        "requests_per_mode": len(times[True]),
        "median_ms_with_hook": round(with_hook, 3),
        "median_ms_without_hook": round(without, 3),
        "ratio": round(with_hook / without, 3),
        "budget_ratio": 1.03,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
