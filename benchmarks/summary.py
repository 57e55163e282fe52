"""Markdown tables of a results file, with each budget marked met or not.

python -m benchmarks.summary benchmarks/results/latest.json
"""

import json
import sys
from pathlib import Path

PERIODS = {
    "30": "last 30 days",
    "30mid": "30 days to {end} (worst case)",
    "365": "last 365 days",
    "all": "all time",
}
TABLES = {"domains": "Domains", "urls": "URLs", "pages": "Exit pages"}


def verdict(ok):
    return "met" if ok else "**not met**"


def serving(result):
    return [
        f"| {result['database']} | {result['median_ms_with_hook']} ms | "
        f"{result['median_ms_without_hook']} ms | {result['ratio']} | "
        f"≤ 1.03: {verdict(result['ratio'] <= 1.03)} |"
    ]


def ingestion(result):
    mode = f"buffer {result['buffer']}" if result["buffer"] else "direct"
    exact = (
        f"{result['exact_204_seen']} x 204 = {result['exact_db_clicks_added']} in "
        f"counters = {result['exact_rollup_clicks_added']} in roll-ups, "
        f"{result['exact_other_statuses']} other"
    )
    return [
        f"| {result['database']} | {mode} | {result['collect_rps']} "
        f"({result['collect_p50_ms']} / {result['collect_p99_ms']} ms) | "
        f"{result['noop_rps']} ({result['noop_p50_ms']} / {result['noop_p99_ms']} ms) "
        f"| {result['ratio']} | ≥ 0.5: {verdict(result['ratio'] >= 0.5)} | "
        f"{exact}: {verdict(result['exact'])} |"
    ]


def reports(result):
    database = result["database"]
    base = result["baseline_ms"]

    def ms(value):
        return f"{value} ms ({value / base:.2f})"

    lines = [
        f"| {database} | dashboard panel | | {ms(result['dashboard_panel_ms'])} | | "
        f"≤ 50 ms: {verdict(result['dashboard_panel_ms'] <= 50)} | |",
        f"| {database} | dashboard summary (month) | | "
        f"{ms(result['dashboard_summary_ms'])} | | | |",
    ]
    for period, tables in result["periods"].items():
        limit = 400 if period in ("365", "all") else 150
        label = PERIODS[period].format(**tables)
        for name, figures in tables.items():
            if name not in TABLES:
                continue
            page = figures.get("page_ms")
            ratio = figures.get("page_to_table")
            table_ok = verdict(figures["table_ms"] <= limit)
            page_ok = "" if ratio is None else f"; page ≤ 2 x: {verdict(ratio <= 2)}"
            every = figures.get("every_row_ms")
            lines.append(
                f"| {database} | {TABLES[name]} | {label} | "
                f"{ms(figures['table_ms'])} | {page} ms (x {ratio}) | "
                f"≤ {limit} ms: {table_ok}{page_ok} | "
                f"{ms(every) if every else ''} |"
            )
    return lines


def render(results):
    out = ["### Page serving", ""]
    out += ["| Database | With hook | Without | Ratio | Budget |", "| --- " * 5 + "|"]
    out += [
        line
        for key, r in results.items()
        if key.startswith("serving/")
        for line in serving(r)
    ]
    out += ["", "### Click ingestion (requests/s, p50 / p99 latency)", ""]
    out += [
        "| Database | Mode | Collect | No-op view | Ratio | Budget | Exactness |",
        "| --- " * 7 + "|",
    ]
    out += [
        line
        for key, r in results.items()
        if key.startswith("ingestion/")
        for line in ingestion(r)
    ]
    out += ["", "### Reports", ""]
    for key, r in results.items():
        if key.startswith("reports/"):
            out.append(
                f"{r['database']}: {r['clicks']:,} clicks in {r['counters']:,} daily "
                "counters; roll-up total equals raw count: "
                f"{r['rollup_total_equals_raw']}. Baseline (summing every daily "
                f"counter, same run): {r['baseline_ms']} ms; figures in brackets "
                "are ratios to it. A Wagtail admin page of its own (the page "
                f"explorer, same run): {r.get('admin_frame_ms', '?')} ms."
            )
    out += [
        "",
        "| Database | Query | Period | Table query | Admin page | Budget "
        "| Every row (detail sort, export) |",
        "| --- " * 7 + "|",
    ]
    out += [
        line
        for key, r in results.items()
        if key.startswith("reports/")
        for line in reports(r)
    ]
    if "tracker" in results:
        t = results["tracker"]
        out += [
            "",
            "### Tracker",
            "",
            f"- Size: {t['bytes']} bytes, {t['gzip_9_bytes']} gzipped (level 9; "
            f"{t['gzip_6_bytes']} at level 6). Budget ≤ 1,024: "
            f"{verdict(t['gzip_9_bytes'] <= 1024)}.",
            f"- Click: {t['ms_per_click_with_tracker']} ms per click with the tracker, "
            f"{t['ms_per_click_without']} ms without, so {t['ms_added_per_click']} ms "
            f"added by its handler ({t['clicks_per_run']} clicks x {t['runs']} runs). "
            f"Budget < 1 ms: {verdict(t['ms_added_per_click'] < 1)}.",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text())))
