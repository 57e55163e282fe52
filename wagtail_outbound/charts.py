"""Clicks-per-day chart drawn on the server as SVG: no script, no CDN.

The template gives the SVG a <title> and <desc> and repeats the numbers in a
table, so the chart is readable without sight. Long periods are grouped by
week or month so bars stay visible.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from . import periods

WIDTH = 1000
HEIGHT = 160
GAP = 1


@dataclass
class Bar:
    start: date
    label: str
    clicks: int
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0


def _bucket(day, step):
    if step == "week":
        return day - timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def _next(day, step):
    if step == "week":
        return day + timedelta(days=7)
    if step == "month":
        return periods.next_month(day)
    return day + timedelta(days=1)


def daily_chart(rows, start=None, end=None):
    """Chart data for ``stats`` rows of ``day, clicks``, with empty days as 0.

    Returns ``None`` when there is nothing to draw.
    """
    counts = {row["day"]: row["clicks"] for row in rows}
    if not counts:
        return None
    start = start or min(counts)
    end = end or max(counts)
    days = (end - start).days + 1
    step = "day" if days <= 120 else "week" if days <= 730 else "month"
    buckets = {}
    day = _bucket(start, step)
    while day <= end:
        buckets[day] = 0
        day = _next(day, step)
    for day, clicks in counts.items():
        buckets[_bucket(day, step)] = buckets.get(_bucket(day, step), 0) + clicks
    label_format = "YEAR_MONTH_FORMAT" if step == "month" else "SHORT_DATE_FORMAT"
    bars = [
        Bar(start=day, label=date_format(day, label_format), clicks=clicks)
        for day, clicks in sorted(buckets.items())
    ]
    peak = max(bar.clicks for bar in bars) or 1
    slot = WIDTH / len(bars)
    for index, bar in enumerate(bars):
        bar.width = max(slot - GAP, 0.5)
        bar.x = round(index * slot, 2)
        bar.height = round(HEIGHT * bar.clicks / peak, 2)
        bar.y = round(HEIGHT - bar.height, 2)
    titles = {
        "day": _("Clicks per day"),
        "week": _("Clicks per week"),
        "month": _("Clicks per month"),
    }
    return {
        "bars": bars,
        "title": titles[step],
        "step": step,
        "peak": peak,
        "total": sum(bar.clicks for bar in bars),
        "first": bars[0].label,
        "last": bars[-1].label,
        "width": WIDTH,
        "height": HEIGHT,
    }
