"""Query API over recorded clicks, used by the admin reports.

Every function takes an optional Wagtail ``site`` (or site id) and an inclusive
``start``/``end`` ``datetime.date`` range (``None`` means unbounded), and
returns a lazy queryset of dictionaries sorted by clicks, largest first. Slice
it, iterate it, or order it differently::

    from wagtail_outbound import stats

    for row in stats.domain_totals(start=date(2026, 1, 1))[:10]:
        print(row["domain"], row["clicks"])

Totals per site and per domain are read from the roll-ups (``SiteClicks``,
``LinkClicks``: one row per day and per month), so a year costs about as much
as a month; anything that needs the source page, event or category reads the
daily counters. Both give the same numbers.
"""

from datetime import timedelta

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Max,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from .domains import normalise_host
from .models import DailyClicks, LinkClicks, SiteClicks, Span


def _in_range(qs, site=None, start=None, end=None):
    if site is not None:
        qs = qs.filter(site=site)
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    return qs


def clicks(site=None, start=None, end=None):
    """The daily counters in range, for further filtering."""
    return _in_range(DailyClicks.objects.all(), site, start, end)


def _next_month(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _covering(site, start, end):
    """A filter on roll-up rows that counts exactly the clicks from ``start``
    to ``end``: month rows for the months inside the range, day rows for the
    days at its edges. A month the range covers only in part is still read
    from its month row when none of its clicks fall outside the range (the
    current month, when the range ends today)."""
    days = SiteClicks.objects.filter(span=Span.DAY)
    if site is not None:
        days = days.filter(site=site)
    low = None if start is None else start.replace(day=1)
    if (
        low is not None
        and low < start
        and days.filter(day__gte=low, day__lt=start).exists()
    ):
        low = _next_month(start)
    high = None  # first month not read from its month row
    if end is not None:
        high = _next_month(end)
        if days.filter(day__gt=end, day__lt=high).exists():
            high = end.replace(day=1)
    if low is not None and high is not None and low >= high:
        return Q(span=Span.DAY, day__gte=start, day__lte=end)
    months = Q(span=Span.MONTH)
    if low is not None:
        months &= Q(day__gte=low)
    if high is not None:
        months &= Q(day__lt=high)
    if start is not None and low > start:
        months |= Q(span=Span.DAY, day__gte=start, day__lt=low)
    if end is not None and high <= end:
        months |= Q(span=Span.DAY, day__gte=high, day__lte=end)
    return months


def _signed_parts(start, end):
    """``[(filter, sign)]`` on roll-up rows such that the sum of ``sign *
    clicks`` is exactly the clicks from ``start`` to ``end``. For sums only (a
    distinct count cannot subtract): a month mostly inside the range is read as
    its month row minus its days outside the range, which reads fewer rows
    than its days inside."""
    if start is None or end is None:
        return (
            [(_covering(None, start, end), 1)]
            if start or end
            else [(Q(span=Span.MONTH), 1)]
        )
    parts = []
    month = start.replace(day=1)
    while month <= end:
        following = _next_month(month)
        first, last = max(start, month), min(end, following - timedelta(days=1))
        inside = (last - first).days + 1
        if inside == (following - month).days:
            parts.append((Q(span=Span.MONTH, day=month), 1))
        elif 2 * inside > (following - month).days:
            parts.append((Q(span=Span.MONTH, day=month), 1))
            parts.append((Q(span=Span.DAY, day__gte=month, day__lt=first), -1))
            parts.append((Q(span=Span.DAY, day__gt=last, day__lt=following), -1))
        else:
            parts.append((Q(span=Span.DAY, day__gte=first, day__lte=last), 1))
        month = following
    return parts


def _signed_sum(parts):
    return Coalesce(
        Sum(
            Case(
                *[When(part, then=F("clicks") * Value(sign)) for part, sign in parts],
                default=Value(0),
                output_field=BigIntegerField(),
            )
        ),
        Value(0),
        output_field=BigIntegerField(),
    )


def _either(parts):
    found = Q()
    for part, _sign in parts:
        found |= part
    return found


def _rollup(model, site=None, start=None, end=None):
    qs = model.objects.filter(_covering(site, start, end))
    return qs if site is None else qs.filter(site=site)


def _link_rollup(site=None, start=None, end=None, **filters):
    """Per-link roll-up rows narrowed by ``filters``, or None when a filter
    needs the daily counters (source page, event, category)."""
    if any(filters.get(name) for name in ("event", "category", "source", "page")):
        return None
    return _link_filters(
        _rollup(LinkClicks, site, start, end),
        filters.get("search", ""),
        filters.get("domain", ""),
        filters.get("link"),
    )


def total_clicks(site=None, start=None, end=None):
    """Number of clicks in range."""
    parts = _signed_parts(start, end)
    rows = SiteClicks.objects.filter(_either(parts))
    if site is not None:
        rows = rows.filter(site=site)
    return rows.aggregate(total=_signed_sum(parts))["total"] or 0


def domain_totals(site=None, start=None, end=None):
    """Rows of ``domain, clicks, urls`` (distinct URLs clicked)."""
    return (
        _rollup(LinkClicks, site, start, end)
        .values(domain=F("link__domain"))
        .annotate(clicks=Sum("clicks"), urls=Count("link", distinct=True))
        .order_by("-clicks", "domain")
    )


def url_totals(site=None, start=None, end=None, domain=None):
    """Rows of ``url, domain, text, clicks, sources, last_day``.

    ``domain`` is matched exactly, after the same normalisation as stored
    domains (``Bücher.example`` finds ``xn--bcher-kva.example``).
    """
    qs = clicks(site, start, end)
    if domain is not None:
        qs = qs.filter(link__domain=normalise_host(domain))
    return (
        qs.values(
            "link_id",
            url=F("link__url"),
            domain=F("link__domain"),
            text=F("link__text"),
        )
        .annotate(
            clicks=Sum("clicks"),
            sources=Count("source", distinct=True),
            last_day=Max("day"),
        )
        .order_by("-clicks", "url")
    )


def source_page_totals(site=None, start=None, end=None):
    """Rows of ``page_id, path, clicks, destinations`` (distinct URLs)."""
    return (
        clicks(site, start, end)
        .values("source_id", page_id=F("source__page_id"), path=F("source__path"))
        .annotate(clicks=Sum("clicks"), destinations=Count("link", distinct=True))
        .order_by("-clicks", "path")
    )


def daily_totals(site=None, start=None, end=None):
    """Rows of ``day, clicks`` in date order, for charts."""
    return (
        _daily_rollup(site, start, end)
        .values("day")
        .annotate(clicks=Sum("clicks"))
        .order_by("day")
    )


# Report queries. Each takes the same ``site``/``start``/``end`` as above plus
# the report filters as keywords (see ``matching_clicks``), so the admin reports
# get every number from this module.


def matching_clicks(
    site=None,
    start=None,
    end=None,
    *,
    search="",
    event="",
    category="",
    domain="",
    link=None,
    source=None,
    page=None,
):
    """The counters in range narrowed by the report filters.

    ``search`` matches URL, domain (also typed in Unicode for IDN hosts) and
    link text; ``event``/``category`` match exactly; ``domain`` (punycode),
    ``link`` (Link id), ``source`` (SourcePage id) and ``page`` (Wagtail page
    id) are the report's drill-downs.
    """
    qs = _link_filters(clicks(site, start, end), search, domain, link)
    if event:
        qs = qs.filter(event=event)
    if category:
        qs = qs.filter(category=category)
    if source is not None:
        qs = qs.filter(source_id=source)
    if page is not None:
        qs = qs.filter(source__page_id=page)
    return qs


def _link_filters(qs, search, domain, link):
    """Narrow counters or per-link roll-up rows by what is known of the link."""
    if search:
        match = (
            Q(link__url__icontains=search)
            | Q(link__domain__icontains=search)
            | Q(link__text__icontains=search)
        )
        ascii_search = normalise_host(search)
        if ascii_search and ascii_search != search:
            match |= Q(link__domain__icontains=ascii_search)
        qs = qs.filter(match)
    if domain:
        qs = qs.filter(link__domain=domain)
    if link is not None:
        qs = qs.filter(link_id=link)
    return qs


def _daily_rollup(site=None, start=None, end=None):
    return _in_range(SiteClicks.objects.filter(span=Span.DAY), site, start, end)


def matching_total(site=None, start=None, end=None, **filters):
    """Number of clicks matching the report filters."""
    if not any(filters.values()):
        return total_clicks(site, start, end)
    qs = _link_rollup(site, start, end, **filters)
    if qs is None:
        qs = matching_clicks(site, start, end, **filters)
    return qs.aggregate(total=Sum("clicks"))["total"] or 0


def domain_report(site=None, start=None, end=None, **filters):
    """Rows of ``domain, clicks, urls`` matching the report filters."""
    qs = _link_rollup(site, start, end, **filters)
    if qs is None:
        qs = matching_clicks(site, start, end, **filters)
    return (
        qs.values(domain=F("link__domain"))
        .annotate(clicks=Sum("clicks"), urls=Count("link", distinct=True))
        .order_by("-clicks", "domain")
    )


def url_report(site=None, start=None, end=None, **filters):
    """Rows of ``link_id, url, domain, text, event, category, clicks, sources,
    last_day`` matching the report filters.

    A URL clicked with several events or categories shows the greatest one.
    """
    return (
        matching_clicks(site, start, end, **filters)
        .values(
            "link_id",
            url=F("link__url"),
            domain=F("link__domain"),
            text=F("link__text"),
        )
        .annotate(
            clicks=Sum("clicks"),
            sources=Count("source", distinct=True),
            last_day=Max("day"),
            event=Max("event"),
            category=Max("category"),
        )
        .order_by("-clicks", "url")
    )


def exit_page_report(site=None, start=None, end=None, **filters):
    """Rows of ``source_id, page_id, path, site_id, clicks, destinations``
    (distinct URLs) matching the report filters."""
    return (
        matching_clicks(site, start, end, **filters)
        .values(
            "source_id",
            page_id=F("source__page_id"),
            path=F("source__path"),
            site_ref=F("source__site_id"),
        )
        .annotate(clicks=Sum("clicks"), destinations=Count("link", distinct=True))
        .order_by("-clicks", "path")
    )


def _top_per_group(qs, group, item, order_by):
    """One row per ``group`` value: the ``item`` with the most clicks."""
    return (
        qs.values(group=F(group), **item)
        .annotate(clicks=Sum("clicks"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("group"),
                order_by=[F("clicks").desc(), *order_by],
            )
        )
        .filter(rank=1)
        .order_by()
    )


def top_source_per_domain(site=None, start=None, end=None, domains=None, **filters):
    """``{domain: {"source_id", "path", "page_id", "clicks"}}``: the source
    page that sent the most matching clicks to each domain (to each of
    ``domains`` if given), in one query."""
    qs = matching_clicks(site, start, end, **filters)
    if domains is not None:
        qs = qs.filter(link__domain__in=list(domains))
    rows = _top_per_group(
        qs,
        "link__domain",
        {
            "source_ref": F("source_id"),
            "path": F("source__path"),
            "page_id": F("source__page_id"),
        },
        [F("source__path").asc()],
    )
    return {row.pop("group"): row for row in rows}


def top_domain_per_source(site=None, start=None, end=None, sources=None, **filters):
    """``{source_id: {"domain", "clicks"}}``: the destination domain that
    received the most matching clicks from each source page (from each of
    ``sources`` if given), in one query."""
    qs = matching_clicks(site, start, end, **filters)
    if sources is not None:
        qs = qs.filter(source_id__in=list(sources))
    rows = _top_per_group(
        qs, "source_id", {"domain": F("link__domain")}, [F("link__domain").asc()]
    )
    return {row.pop("group"): row for row in rows}


def matching_daily_totals(site=None, start=None, end=None, **filters):
    """Rows of ``day, clicks`` in date order matching the report filters."""
    if not any(filters.values()):
        return daily_totals(site, start, end)
    return (
        matching_clicks(site, start, end, **filters)
        .values("day")
        .annotate(clicks=Sum("clicks"))
        .order_by("day")
    )


def labels(site=None, start=None, end=None):
    """``(events, categories)``: the distinct non-empty values in range, sorted."""
    qs = clicks(site, start, end)
    events = qs.exclude(event="").values_list("event", flat=True).distinct()
    categories = qs.exclude(category="").values_list("category", flat=True)
    return (
        list(events.order_by("event")),
        list(categories.distinct().order_by("category")),
    )


def domain_trend(site=None, start=None, end=None, previous_start=None, limit=10):
    """The ``limit`` domains with the most clicks from ``start`` to ``end``, as
    rows of ``domain, clicks, previous`` where ``previous`` counts the clicks
    from ``previous_start`` to the day before ``start``, in one query."""
    current = _signed_parts(start, end)
    previous = _signed_parts(previous_start, start - timedelta(days=1))
    rows = LinkClicks.objects.filter(_either(current) | _either(previous))
    if site is not None:
        rows = rows.filter(site=site)
    return (
        rows.values(domain=F("link__domain"))
        # "previous" first: once "clicks" names the sum, Sum("clicks") cannot
        # refer to the column any more.
        .annotate(previous=_signed_sum(previous), clicks=_signed_sum(current))
        .filter(clicks__gt=0)
        .order_by("-clicks", "domain")[:limit]
    )
