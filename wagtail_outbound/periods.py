"""Days and periods: the one clock and the one calendar of wagtail-outbound.

A click belongs to its date in the project's ``TIME_ZONE``, and every report
counts days the same way, whatever time zone an admin user has chosen: two
editors always see the same totals for "Last 7 days".

Roll-ups store clicks per day, calendar month and calendar year, and the
pairs of links and pages also per ten days (a :class:`Span`). :func:`plan`
decides from the calendar alone which stored periods a date range reads, so
a report never probes the data first.
"""

import dataclasses
import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def click_day(moment=None):
    """The day of ``moment`` (now by default) in the project's ``TIME_ZONE``."""
    moment = moment or timezone.now()
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def today():
    """Today in the project's ``TIME_ZONE``."""
    return click_day()


def last_days(days, end=None):
    """``(start, end)`` of the ``days`` days ending ``end`` (today)."""
    end = end or today()
    return end - datetime.timedelta(days=days - 1), end


def next_month(day):
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def next_year(day):
    """The first day of the year after ``day``'s."""
    return day.replace(year=day.year + 1, month=1, day=1)


def years_after(day, years):
    """The same day ``years`` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Span(models.TextChoices):
    """Length of the period a roll-up row counts, starting on its ``day``.

    A dekad is a third of a month: days 1 to 10, 11 to 20, and 21 to the
    month's end. Dekads nest in months, so a month is three dekads, and a
    30-day window that ends mid-month is mostly two dekads, not 30 days.
    """

    DAY = "d", _("day")
    DEKAD = "t", _("ten days")
    MONTH = "m", _("month")
    YEAR = "y", _("year")

    def first_day(self, day):
        """The first day of the period of this span that holds ``day``."""
        if self == Span.DAY:
            return day
        if self == Span.DEKAD:
            return day.replace(day=1 + 10 * min((day.day - 1) // 10, 2))
        if self == Span.MONTH:
            return day.replace(day=1)
        return day.replace(month=1, day=1)

    def following(self, day):
        """The first day of the period after the one that holds ``day``."""
        if self == Span.DAY:
            return day + datetime.timedelta(days=1)
        if self == Span.DEKAD:
            first = self.first_day(day)
            if first.day == 21:
                return next_month(day)
            return first + datetime.timedelta(days=10)
        if self == Span.MONTH:
            return next_month(day)
        return next_year(day)

    def finer(self, dekads=True):
        """The next shorter span (without dekads: a month's is the day)."""
        finer = {Span.YEAR: Span.MONTH, Span.MONTH: Span.DEKAD, Span.DEKAD: Span.DAY}
        span = finer.get(self)
        return Span.DAY if span == Span.DEKAD and not dekads else span


@dataclasses.dataclass(frozen=True)
class Part:
    """Roll-up rows of one ``span`` whose ``day`` (the period's first day) is
    from ``first`` to ``last`` (None: unbounded), counted ``sign`` times."""

    span: Span
    first: datetime.date | None
    last: datetime.date | None
    sign: int = 1


# What reading one stored period costs, in days' rows: keys clicked on one
# day of a month have a row in it either way, so on the 10-million-click
# benchmark a dekad's rows are about as many as 3 days', a month's or a
# year's as 4 to 6. Fixed figures, so that a plan depends on the calendar
# alone.
COST = {Span.DAY: 1, Span.DEKAD: 3, Span.MONTH: 4, Span.YEAR: 6}


def plan(start, end, *, signed=False, as_of=None, dekads=False):
    """The stored periods that hold exactly the clicks from ``start`` to
    ``end`` (inclusive dates, None: unbounded), as a list of :class:`Part`.

    Whole years and months inside the range are read as such, the days at its
    edges as days. No click is counted before its day, so the days after
    ``as_of`` (today by default) hold none: a year or month that the range
    covers up to its end or beyond today is read whole. ``signed=True`` (for
    sums, which can subtract) may also read a year or month that the range
    covers mostly as the whole period minus the days outside it, when that
    reads fewer rows; subtracting days after ``as_of`` costs nothing and keeps
    the sum exact even for a click counted just after midnight. Distinct
    counts need ``signed=False``. ``dekads=True`` reads dekads too (only the
    pairs roll-up stores them).
    """
    if start is None and end is None:
        return [Part(Span.YEAR, None, None)]
    as_of = as_of or today()
    parts = []
    if start is None:
        first_year = Span.YEAR.first_day(end)
        if first_year.year > datetime.MINYEAR:
            parts.append(Part(Span.YEAR, None, first_year.replace(year=end.year - 1)))
        start = first_year
    if end is None:
        if start.year < datetime.MAXYEAR:
            parts.append(Part(Span.YEAR, next_year(start), None))
        end = start.replace(month=12, day=31)
    if start <= end:
        parts.extend(_cover(Span.YEAR, start, end, 1, signed, as_of, dekads)[1])
    return _merged(parts)


def _cost(span, first, last, today):
    """Rows read for periods of ``span`` starting from ``first`` to ``last``."""
    if first > today:
        return 0
    if span == Span.DAY:
        return (min(last, today) - first).days + 1
    return COST[span]


def _cover(span, start, end, sign, signed, today, dekads):
    """``(cost, parts)`` covering ``start`` to ``end`` with periods of
    ``span`` or finer."""
    if span == Span.DAY:
        return _cost(span, start, end, today), [Part(span, start, end, sign)]
    cost, parts = 0, []
    first = span.first_day(start)
    while first <= end:
        following = span.following(first)
        low, high = max(first, start), min(following - datetime.timedelta(1), end)
        last = following - datetime.timedelta(1)
        if low == first and (high == last or (not signed and high >= today)):
            options = [
                (_cost(span, first, first, today), [Part(span, first, first, sign)])
            ]
        else:
            finer = span.finer(dekads)
            options = [_cover(finer, low, high, sign, signed, today, dekads)]
            if signed:
                whole = (
                    _cost(span, first, first, today),
                    [Part(span, first, first, sign)],
                )
                for outside in (
                    (first, low - datetime.timedelta(1)),
                    (high + datetime.timedelta(1), following - datetime.timedelta(1)),
                ):
                    if outside[0] <= outside[1]:
                        extra = _cover(finer, *outside, -sign, signed, today, dekads)
                        whole = (whole[0] + extra[0], whole[1] + extra[1])
                options.append(whole)
        best = min(options, key=lambda option: option[0])
        cost += best[0]
        parts += best[1]
        first = following
    return cost, parts


def _merged(parts):
    """Adjacent parts of one span and sign as one range of periods."""
    merged = []
    for part in parts:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and (previous.span, previous.sign) == (part.span, part.sign)
            and previous.last is not None
            and part.first is not None
            and part.first == part.span.following(previous.last)
        ):
            merged[-1] = dataclasses.replace(previous, last=part.last)
        else:
            merged.append(part)
    return merged
