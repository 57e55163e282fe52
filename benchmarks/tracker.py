"""The tracker: gzipped size as served, and the time its click handler adds to
a click in Chromium (synthetic clicks on 2,000 outbound links, beacon stubbed,
navigation cancelled), against the same clicks on the same page without it.

    python -m benchmarks.tracker --runs 7
"""

import argparse
import gzip
import json
import os
import statistics
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "wagtail_outbound" / "static"
SCRIPT = STATIC / "wagtail_outbound" / "tracker.min.js"
ORIGIN = "http://bench.test"
LINKS = 2000
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The same desktop user agent as the browser tests.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)

PAGE = """<!doctype html><html><head><title>bench</title></head><body>
<main id="links"></main>{script}</body></html>"""
TAG = (
    '<script src="/static/wagtail_outbound/tracker.min.js" '
    'data-outbound-collect="/outbound/collect/" data-outbound-page="3" '
    'data-outbound-internal="bench.test www.bench.test"></script>'
)
# Stubs the beacon (counted, never sent) before any page script runs.
STUB = "window.__beacons = 0; navigator.sendBeacon = () => (window.__beacons++, true);"
CLICKS = """(count) => {
  const main = document.getElementById("links");
  main.textContent = "";
  for (let i = 0; i < count; i++) {
    const a = document.createElement("a");
    a.href = "https://site-" + (i % 300) + ".example.com/path/" + i + "?utm_source=x";
    a.innerHTML = "<span>Outbound link <b>" + i + "</b></span>";
    main.appendChild(document.createElement("p")).appendChild(a);
  }
  // Bubble phase, after the tracker's capture listener: stays on the page.
  document.addEventListener("click", (event) => event.preventDefault());
  const targets = Array.from(main.querySelectorAll("b"));
  window.__beacons = 0;
  const start = performance.now();
  for (const target of targets) {
    target.dispatchEvent(
      new MouseEvent("click", { bubbles: true, cancelable: true, detail: 1 })
    );
  }
  return { ms: performance.now() - start, beacons: window.__beacons };
}"""


def sizes():
    data = SCRIPT.read_bytes()
    return {
        "bytes": len(data),
        "gzip_9_bytes": len(gzip.compress(data, 9, mtime=0)),
        "gzip_6_bytes": len(gzip.compress(data, 6, mtime=0)),
        "budget_gzip_bytes": 1024,
    }


def click_times(runs):
    from playwright.sync_api import sync_playwright

    results = {True: [], False: []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(user_agent=USER_AGENT)
        context.add_init_script(STUB)

        def route(request_route):
            url = request_route.request.url
            if url.endswith("tracker.min.js"):
                return request_route.fulfill(
                    body=SCRIPT.read_bytes(), content_type="text/javascript"
                )
            with_tracker = url.endswith("/tracked")
            body = PAGE.format(script=TAG if with_tracker else "")
            return request_route.fulfill(body=body, content_type="text/html")

        context.route(f"{ORIGIN}/**", route)
        page = context.new_page()
        for run in range(runs + 1):
            for tracked in (run % 2 == 0, run % 2 != 0):
                page.goto(f"{ORIGIN}/{'tracked' if tracked else 'plain'}")
                outcome = page.evaluate(CLICKS, LINKS)
                assert outcome["beacons"] == (LINKS if tracked else 0), outcome
                if run:  # the first round warms up the JIT
                    results[tracked].append(outcome["ms"] / LINKS)
        browser.close()
    with_tracker = statistics.median(results[True])
    without = statistics.median(results[False])
    return {
        "clicks_per_run": LINKS,
        "runs": runs,
        "ms_per_click_with_tracker": round(with_tracker, 4),
        "ms_per_click_without": round(without, 4),
        "ms_added_per_click": round(with_tracker - without, 4),
        "budget_ms_per_click": 1.0,
    }


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    result = {**sizes(), **click_times(args.runs)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
