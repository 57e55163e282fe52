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
    if "buffer" in result:  # results of the write path before the inbox
        mode = f"buffer {result['buffer']}" if result["buffer"] else "direct"
    else:
        mode = f"inbox, {result['workers']} workers"
    budget = result.get("budget_ratio", 0.5)
    exact = (
        f"{result['exact_204_seen']} x 204 = {result['exact_db_clicks_added']} in "
        f"counters = {result['exact_rollup_clicks_added']} in roll-ups, "
        f"{result['exact_other_statuses']} other"
    )
    if "exact_pending_after" in result:
        exact += f", {result['exact_pending_after']} pending"
    non_204 = ""
    if "collect_non_204" in result and "buffer" not in result:
        non_204 = (
            f"; {result['collect_non_204']} non-204 of "
            f"{result['collect_non_204'] + result['collect_204']}"
        )
    return [
        f"| {result['database']} | {mode} | {result['collect_rps']} "
        f"({result['collect_p50_ms']} / {result['collect_p99_ms']} ms) | "
        f"{result['noop_rps']} ({result['noop_p50_ms']} / {result['noop_p99_ms']} ms) "
        f"| {result['ratio']} | ≥ {budget}: {verdict(result['ratio'] >= budget)}"
        f"{non_204} | {exact}: {verdict(result['exact'])} |"
    ]


def lock_waits(result):
    if "pg_lock_wait_fraction" not in result:
        return []
    fraction = result["pg_lock_wait_fraction"]
    events = ", ".join(
        f"{k} {v}" for k, v in list(result["pg_wait_events"].items())[:4]
    )
    return [
        f"| {result['database']} | {result['workers']} | {result['pg_samples']} | "
        f"{result['pg_active_sampled']} | {result['pg_waiting_on_locks']} | "
        f"{fraction:.1%} | < 10 %: {verdict(fraction < 0.10)} | {events} |"
    ]


def freshness(result):
    fresh = result.get("freshness")
    if not fresh:
        return []
    worst = max(fresh["steady_p99_s"] or 0, fresh["isolated_p99_s"] or 0)
    ok = (
        worst <= 5
        and not fresh["steady_never_seen"]
        and not fresh["isolated_never_seen"]
        and fresh["burst_report_read_complete"]
    )
    return [
        f"| {result['database']} | {result['workers']} | "
        f"{fresh['steady_median_s']} / {fresh['steady_p99_s']} / "
        f"{fresh['steady_max_s']} s ({fresh['steady_clicks']} clicks at "
        f"{fresh['steady_rate']:g}/s) | {fresh['isolated_median_s']} / "
        f"{fresh['isolated_p99_s']} s | {fresh['burst_clicks']} clicks in "
        f"{fresh['burst_seconds']} s: {fresh['burst_seen_without_catch_up']} seen, "
        f"{fresh['burst_pending_after_wait']} pending after "
        f"{fresh['burst_wait_s']:g} s; report read {fresh['burst_report_read_s']} s, "
        f"complete: {fresh['burst_report_read_complete']} | "
        f"{result['inbox_oldest_age_p99_s']} / {result['inbox_oldest_age_max_s']} s "
        f"(≤ {result['inbox_pending_max']} pending) | ≤ 5 s: {verdict(ok)} |"
    ]


def faults(result):
    kills = result["worker_kills"]
    aggregator = result["aggregator_kills"][-1]
    return [
        f"| {result['database']} | {result['beacons']} | {result['answered_204']} | "
        f"{result['no_answer']} ({result['no_answer_counted']} counted) | "
        f"{result['beacons'] - result['answered_204'] - result['no_answer']} | "
        f"{result['counted']} | {len(kills)} x {result['workers']} workers "
        f"({', '.join(str(k['unanswered_at_kill']) for k in kills)} unanswered) | "
        f"claimed {aggregator['claimed']}, mid-batch: {aggregator['mid_batch']}, "
        f"rolled back: {aggregator['counters_unchanged']} | "
        f"{result['beacons_counted_wrongly']} wrong, "
        f"{result['rollup_mismatches']} roll-up mismatches | "
        f"{verdict(result['exact'])} |"
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


def inventory(database, r):
    return [
        f"| {database} | {r['pages']} | {r['links_on_pages']} "
        f"({r['distinct_links']} distinct) | {r['build_s']} s "
        f"({r['build_pages_per_s']} pages/s) | {r['rebuild_s']} s "
        f"| {r['publish_ms_without']} → {r['publish_ms_with']} ms "
        f"(+{r['publish_extra_ms']} ms, x {r['publish_ratio']}) "
        f"| {r['admin_publish_ms_without']} → {r['admin_publish_ms_with']} ms "
        f"(+{r['admin_publish_extra_ms']} ms, x {r['admin_publish_ratio']}) |"
    ]


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
    ingestions = [r for key, r in results.items() if key.startswith("ingestion/")]
    lines = [line for r in ingestions for line in lock_waits(r)]
    if lines:
        out += ["", "### Lock waits during the collect runs (pg_stat_activity)", ""]
        out += [
            "| Database | Workers | Samples | Active backends sampled "
            "| Waiting on a lock | Fraction | Budget | Top wait events |",
            "| --- " * 8 + "|",
            *lines,
        ]
    lines = [line for r in ingestions for line in freshness(r)]
    if lines:
        out += ["", "### Freshness: from a 204 to the click in stats", ""]
        out += [
            "| Database | Workers | Steady: median / p99 / max "
            "| Isolated: median / p99 | Last clicks of a burst "
            "| Under full load: oldest pending, p99 / max | Budget |",
            "| --- " * 7 + "|",
            *lines,
        ]
    lines = [
        line
        for key, r in results.items()
        if key.startswith("faults/")
        for line in faults(r)
    ]
    if lines:
        out += ["", "### Exactness under faults (SIGKILL)", ""]
        out += [
            "| Database | Beacons | 204 | No answer | Other | Counted "
            "| Worker kills | Aggregator kill | Per-beacon check | Exact |",
            "| --- " * 10 + "|",
            *lines,
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
    lines = [
        line
        for key, r in results.items()
        if key.startswith("inventory/")
        for line in inventory(key.split("/")[1], r)
    ]
    if lines:
        out += ["", "### Link inventory", ""]
        out += [
            "| Database | Pages | Links on pages | Build | Rebuild "
            "| Publish in code: without → with | Publish in the admin |",
            "| --- " * 7 + "|",
            *lines,
        ]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text())))
