"""Days and periods: the one clock and the one calendar of wagtail-outbound.

A click belongs to its date in the project's ``TIME_ZONE``, and every report
counts days the same way, whatever time zone an admin user has chosen: two
editors always see the same totals for "Last 7 days".

Roll-ups store clicks per day, calendar month and calendar year (a
:class:`Span`). :func:`plan` decides from the calendar alone which stored
periods a date range reads, so a report never probes the data first.
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
    """Length of the period a roll-up row counts, starting on its ``day``."""

    DAY = "d", _("day")
    MONTH = "m", _("month")
    YEAR = "y", _("year")

    def first_day(self, day):
        """The first day of the period of this span that holds ``day``."""
        if self == Span.DAY:
            return day
        if self == Span.MONTH:
            return day.replace(day=1)
        return day.replace(month=1, day=1)

    def following(self, day):
        """The first day of the period after the one that holds ``day``."""
        if self == Span.DAY:
            return day + datetime.timedelta(days=1)
        if self == Span.MONTH:
            return next_month(day)
        return next_year(day)

    @property
    def finer(self):
        return {Span.YEAR: Span.MONTH, Span.MONTH: Span.DAY}.get(self)


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
# benchmark a month's or a year's rows are about as many as 3 to 4 days'.
# Fixed figures, so that a plan depends on the calendar alone.
COST = {Span.DAY: 1, Span.MONTH: 4, Span.YEAR: 6}


def plan(start, end, *, signed=False, as_of=None):
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
    counts need ``signed=False``.
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
        parts.extend(_cover(Span.YEAR, start, end, 1, signed, as_of)[1])
    return _merged(parts)


def _cost(span, first, last, today):
    """Rows read for periods of ``span`` starting from ``first`` to ``last``."""
    if first > today:
        return 0
    if span == Span.DAY:
        return (min(last, today) - first).days + 1
    return COST[span]


def _cover(span, start, end, sign, signed, today):
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
            options = [_cover(span.finer, low, high, sign, signed, today)]
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
                        extra = _cover(span.finer, *outside, -sign, signed, today)
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
