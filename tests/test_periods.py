"""The calendar plan: which stored periods a range of days reads."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from wagtail_outbound.periods import Part, Span, next_month, next_year, plan

DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2028, 12, 31))


def counted(parts, day):
    """How many times ``parts`` count a click on ``day``."""
    return sum(
        part.sign
        for part in parts
        if (part.first is None or part.span.first_day(day) >= part.first)
        and (part.last is None or part.span.first_day(day) <= part.last)
    )


@given(
    start=st.none() | DAYS,
    end=st.none() | DAYS,
    today=DAYS,
    signed=st.booleans(),
    dekads=st.booleans(),
)
def test_a_plan_counts_every_day_of_the_range_once_and_no_other(
    start, end, today, signed, dekads
):
    parts = plan(start, end, signed=signed, as_of=today, dekads=dekads)
    if not signed:
        assert all(part.sign == 1 for part in parts)
    if not dekads:
        assert all(part.span != Span.DEKAD for part in parts)
    day = date(2022, 12, 1)
    # Unsigned plans may read days after today, which hold no clicks yet.
    while day <= (date(2029, 1, 31) if signed else today):
        inside = (start is None or day >= start) and (end is None or day <= end)
        assert counted(parts, day) == inside, day
        day += timedelta(days=1)


def test_whole_months_and_years_are_read_as_such():
    assert plan(date(2025, 1, 1), date(2026, 3, 31), as_of=date(2026, 6, 1)) == [
        Part(Span.YEAR, date(2025, 1, 1), date(2025, 1, 1)),
        Part(Span.MONTH, date(2026, 1, 1), date(2026, 3, 1)),
    ]
    assert plan(None, None) == [Part(Span.YEAR, None, None)]


def test_days_after_today_cost_nothing_to_subtract():
    # The last 30 days in mid-month: this month is read whole, and its days
    # after today (empty) are subtracted for exactness.
    parts = plan(
        date(2026, 10, 17), date(2026, 11, 15), signed=True, as_of=date(2026, 11, 15)
    )
    assert parts == [
        Part(Span.DAY, date(2026, 10, 17), date(2026, 10, 31)),
        Part(Span.MONTH, date(2026, 11, 1), date(2026, 11, 1)),
        Part(Span.DAY, date(2026, 11, 16), date(2026, 11, 30), -1),
    ]
    # Unsigned (distinct counts): this month whole too, as no click is
    # counted after today.
    assert plan(date(2026, 10, 17), date(2026, 11, 15), as_of=date(2026, 11, 15)) == [
        Part(Span.DAY, date(2026, 10, 17), date(2026, 10, 31)),
        Part(Span.MONTH, date(2026, 11, 1), date(2026, 11, 1)),
    ]
    # A range ending before today reads its edge days.
    assert plan(date(2026, 10, 17), date(2026, 11, 15), as_of=date(2026, 11, 30)) == [
        Part(Span.DAY, date(2026, 10, 17), date(2026, 11, 15)),
    ]


def test_dekads_are_thirds_of_a_month():
    firsts = {Span.DEKAD.first_day(date(2024, 2, day)) for day in range(1, 30)}
    assert firsts == {date(2024, 2, 1), date(2024, 2, 11), date(2024, 2, 21)}
    assert Span.DEKAD.first_day(date(2026, 1, 31)) == date(2026, 1, 21)
    assert Span.DEKAD.following(date(2026, 1, 10)) == date(2026, 1, 11)
    assert Span.DEKAD.following(date(2026, 1, 15)) == date(2026, 1, 21)
    assert Span.DEKAD.following(date(2024, 2, 29)) == date(2024, 3, 1)
    assert Span.DEKAD.following(date(2026, 12, 31)) == date(2027, 1, 1)


def test_a_window_ending_mid_month_reads_dekads_with_dekads():
    # The benchmark's worst 30 days: 9 edge days and two dekads, instead of
    # 30 days.
    parts = plan(
        date(2026, 10, 17), date(2026, 11, 15), as_of=date(2026, 11, 30), dekads=True
    )
    assert parts == [
        Part(Span.DAY, date(2026, 10, 17), date(2026, 10, 20)),
        Part(Span.DEKAD, date(2026, 10, 21), date(2026, 11, 1)),
        Part(Span.DAY, date(2026, 11, 11), date(2026, 11, 15)),
    ]


def test_next_month_and_year():
    assert next_month(date(2026, 1, 31)) == date(2026, 2, 1)
    assert next_month(date(2026, 12, 15)) == date(2027, 1, 1)
    assert next_year(date(2024, 2, 29)) == date(2025, 1, 1)
