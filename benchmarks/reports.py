"""Report queries and pages over the seeded history (``benchmarks/seed.py``).

For each period: the dashboard panel's query, each report table's queries as
the admin runs them (the row count and the first page of 50 sorted by clicks,
then the detail columns of those 50 rows), the same table with
every row's details (what sorting by a detail column or an export reads), and
the whole admin page rendered by a logged-in superuser, beside what Wagtail's
own frame costs (the page explorer, and its Locked pages report with nothing
locked).

    DATABASE_URL=... python -m benchmarks.reports --runs 5
"""

import argparse
import json
import statistics
from datetime import timedelta

from .common import database_label, setup_django, timed_ms

PER_PAGE = 50
PERIODS = ["30", "30mid", "365", "all"]


def period_range(period, today):
    """``(start, end, query string)`` of a benchmarked period. "30mid" is the
    worst 30 days: ending mid-month, so that no month of it is whole and
    every day is read from day rows."""
    if period == "all":
        return None, None, "period=all"
    if period == "30mid":
        end = today.replace(day=15)
        if end > today:
            end = (end.replace(day=1) - timedelta(days=1)).replace(day=15)
        start = end - timedelta(days=29)
        return start, end, f"start={start}&end={end}"
    days = int(period)
    return today - timedelta(days=days - 1), today, f"period={period}"


def median_ms(function, runs):
    """Median of ``runs`` timed calls after one warm-up. Slow calls are not
    worth the wait: over 2 s, the median of 3 calls (the first one included);
    over 10 s, the first call alone."""
    first = timed_ms(function)
    if first > 10_000:
        return round(first, 1)
    if first > 2000:
        times = [first, timed_ms(function), timed_ms(function)]
    else:
        times = [timed_ms(function) for _ in range(runs)]
    return round(statistics.median(times), 1)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--no-detail-sort", action="store_true")
    parser.add_argument("--tables", nargs="+", default=["domains", "urls", "pages"])
    args = parser.parse_args(argv)
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db.models import Sum
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from wagtail_outbound import dashboard, stats
    from wagtail_outbound.models import DailyClicks

    raw = DailyClicks.objects.aggregate(total=Sum("clicks"))["total"] or 0
    result = {
        "database": database_label(),
        "clicks": raw,
        "counters": DailyClicks.objects.count(),
        "rollup_total_equals_raw": stats.total(stats.Filters()) == raw,
        "periods": {},
    }
    today = timezone.localdate()

    def panel():
        dashboard.TopDomainsPanel().get_context_data({})

    result["dashboard_panel_ms"] = median_ms(panel, args.runs)
    result["dashboard_summary_ms"] = median_ms(
        lambda: stats.total(stats.Filters(start=today.replace(day=1), end=today)),
        args.runs,
    )

    client = None
    if not args.no_pages:
        user = get_user_model().objects.filter(is_superuser=True).first()
        client = Client()
        client.force_login(user)
        # What any Wagtail admin page costs here: the page explorer at the
        # root, the frame (menu, header, assets) and one small listing.
        result["admin_frame_ms"] = median_ms(
            lambda: client.get(reverse("wagtailadmin_explore_root")), args.runs
        )
        # What a report page costs Wagtail with nothing to count: its own
        # "Locked pages" report, a ReportView with the same header, filters
        # and templates as ours, and no page locked.
        result["report_frame_ms"] = median_ms(
            lambda: client.get(reverse("wagtailadmin_reports:locked_pages")), args.runs
        )

    tables = {"domains": stats.domains, "urls": stats.urls, "pages": stats.exit_pages}
    # The baseline, measured in the same run: summing every daily counter
    # once, what any report without roll-ups would cost at least.
    result["baseline_ms"] = median_ms(
        lambda: DailyClicks.objects.aggregate(Sum("clicks")), args.runs
    )
    for period in PERIODS:
        start, end, query = period_range(period, today)
        figures = {"start": str(start), "end": str(end)}
        filters = stats.Filters(start=start, end=end)
        for name, report in tables.items():
            if name not in args.tables:
                continue

            def table(report=report, filters=filters):
                shown = report(filters)
                shown.rows.count()
                return shown.details(list(shown.rows[:PER_PAGE]))

            def every_row(report=report, filters=filters):
                return report(filters).top()

            figures[name] = {"table_ms": median_ms(table, args.runs)}
            if not args.no_detail_sort:
                # Sorting by a detail column (or exporting) reads every row.
                figures[name]["every_row_ms"] = median_ms(every_row, args.runs)
            if client is not None:
                url = reverse(f"wagtail_outbound_reports:{name}") + f"?{query}"

                def page(url=url):
                    response = client.get(url)
                    assert response.status_code == 200, response.status_code

                page_ms = median_ms(page, args.runs)
                figures[name]["page_ms"] = page_ms
                table_ms = figures[name]["table_ms"]
                figures[name]["page_to_table"] = round(page_ms / table_ms, 2)
                figures[name]["page_beyond_frame_to_table"] = round(
                    (page_ms - result["report_frame_ms"]) / table_ms, 2
                )
        result["periods"][period] = figures
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
