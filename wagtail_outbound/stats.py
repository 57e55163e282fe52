"""Query API over recorded clicks, used by the admin reports.

Every function takes an optional Wagtail ``site`` (or site id) and an inclusive
``start``/``end`` ``datetime.date`` range (``None`` means unbounded), and
returns a lazy queryset of dictionaries sorted by clicks, largest first. Slice
it, iterate it, or order it differently::

    from wagtail_outbound import stats

    for row in stats.domain_totals(start=date(2026, 1, 1))[:10]:
        print(row["domain"], row["clicks"])

Sums are read from the roll-ups (``models.RollUp``: a row per day, month and
year), a range as its whole years and months plus the days at its edges, so a
year costs about as much as a month. The report tables rank rows from them and
add the columns that need pairs of links and pages (distinct counts, top page
or domain) for the rows shown only; a drill-down to one page reads the daily
counters. Every path gives exactly what the daily counters say
(``tests/test_rollups.py``).
"""

import functools
from datetime import timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from . import aggregation
from .domains import normalise_host
from .models import (
    DailyClicks,
    DomainClicks,
    Link,
    LinkClicks,
    PairClicks,
    SiteClicks,
    SourceClicks,
    SourcePage,
    Span,
)


def fresh(function):
    """Count pending clicks first (``aggregation.catch_up``), so what a report
    or a caller reads includes every click the endpoint has accepted."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        aggregation.catch_up()
        return function(*args, **kwargs)

    return wrapper


def _in_range(qs, site=None, start=None, end=None):
    if site is not None:
        qs = qs.filter(site=site)
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    return qs


@fresh
def clicks(site=None, start=None, end=None):
    """The daily counters in range, for further filtering."""
    return _in_range(DailyClicks.objects.all(), site, start, end)


def _next_month(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _next_year(day):
    return day.replace(year=day.year + 1, month=1, day=1)


def _split(site, start, end):
    """``(periods, days)`` that together cover ``start`` to ``end`` exactly: a
    filter on roll-up rows of whole years and months (None when there are
    none) and the ``(first, last)`` day ranges left at the edges.

    A year or month the range covers only in part is still read whole when
    none of its clicks fall outside the range: a range ending today reads the
    current year's row, and "the last 365 days" reads two year rows when the
    history starts inside the range.
    """
    if start is None and end is None:
        return Q(span=Span.YEAR), []
    days = SiteClicks.objects.filter(span=Span.DAY)
    if site is not None:
        days = days.filter(site=site)
    if start is None or end is None:
        known = days.aggregate(first=Min("day"), last=Max("day"))
        start, end = start or known["first"], end or known["last"]
        if start is None:
            return None, []
    quiet = functools.cache(
        lambda first, last: not days.filter(day__gte=first, day__lte=last).exists()
    )
    whole = {Span.YEAR: [], Span.MONTH: []}
    edges = []
    cursor = start
    while cursor <= end:
        for span, following in ((Span.YEAR, _next_year), (Span.MONTH, _next_month)):
            first = span.first_day(cursor)
            last = following(first) - timedelta(days=1)
            if (first == cursor or quiet(first, cursor - timedelta(days=1))) and (
                last <= end or quiet(end + timedelta(days=1), last)
            ):
                whole[span].append(first)
                cursor = last + timedelta(days=1)
                break
        else:
            last = min(end, _next_month(cursor) - timedelta(days=1))
            edges.append((cursor, last))
            cursor = last + timedelta(days=1)
    periods = None
    for span, firsts in whole.items():
        if firsts:
            found = Q(span=span, day__in=firsts)
            periods = found if periods is None else periods | found
    return periods, edges


def _covering(site, start, end):
    """A filter on roll-up rows that counts exactly the clicks from ``start``
    to ``end``: year and month rows inside the range, day rows at its edges."""
    periods, edges = _split(site, start, end)
    found = Q(pk__in=[]) if periods is None else periods
    for first, last in edges:
        found |= Q(span=Span.DAY, day__gte=first, day__lte=last)
    return found


def _signed_parts(site, start, end):
    """``[(filter, sign)]`` on roll-up rows such that the sum of ``sign *
    clicks`` is exactly the clicks from ``start`` to ``end``. For sums only (a
    distinct count cannot subtract): the edge days of a month mostly inside
    the range are read as its month row minus its days outside the range,
    which reads fewer rows than its days inside."""
    periods, edges = _split(site, start, end)
    parts = [] if periods is None else [(periods, 1)]
    for first, last in edges:
        month = first.replace(day=1)
        following = _next_month(month)
        if 2 * ((last - first).days + 1) > (following - month).days:
            parts.append((Q(span=Span.MONTH, day=month), 1))
            parts.append((Q(span=Span.DAY, day__gte=month, day__lt=first), -1))
            parts.append((Q(span=Span.DAY, day__gt=last, day__lt=following), -1))
        else:
            parts.append((Q(span=Span.DAY, day__gte=first, day__lte=last), 1))
    return parts or [(Q(pk__in=[]), 1)]


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
    return _in_range(model.objects.filter(_covering(site, start, end)), site)


def _link_rollup(site=None, start=None, end=None, **filters):
    """Per-link roll-up rows narrowed by ``filters``, or None when a filter
    needs the daily counters (source page)."""
    if _needs_counters(filters):
        return None
    return _link_narrowed(_rollup(LinkClicks, site, start, end), **filters)


def _link_narrowed(qs, search="", domain="", link=None, event="", category="", **_):
    """Per-link roll-up rows narrowed by what they know of a click."""
    qs = _link_filters(qs, search, domain, link)
    if event:
        qs = qs.filter(event=event)
    if category:
        qs = qs.filter(category=category)
    return qs


@fresh
def total_clicks(site=None, start=None, end=None):
    """Number of clicks in range."""
    parts = _signed_parts(site, start, end)
    rows = SiteClicks.objects.filter(_either(parts))
    if site is not None:
        rows = rows.filter(site=site)
    return rows.aggregate(total=_signed_sum(parts))["total"] or 0


@fresh
def domain_totals(site=None, start=None, end=None):
    """Rows of ``domain, clicks, urls`` (distinct URLs clicked)."""
    return (
        _rollup(LinkClicks, site, start, end)
        .values(domain=F("link__domain"))
        .annotate(clicks=Sum("clicks"), urls=Count("link", distinct=True))
        .order_by("-clicks", "domain")
    )


@fresh
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


@fresh
def source_page_totals(site=None, start=None, end=None):
    """Rows of ``page_id, path, clicks, destinations`` (distinct URLs)."""
    return (
        clicks(site, start, end)
        .values("source_id", page_id=F("source__page_id"), path=F("source__path"))
        .annotate(clicks=Sum("clicks"), destinations=Count("link", distinct=True))
        .order_by("-clicks", "path")
    )


@fresh
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


@fresh
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
    return _page_filters(qs, source, page)


def _page_filters(qs, source, page):
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


@fresh
def matching_total(site=None, start=None, end=None, **filters):
    """Number of clicks matching the report filters."""
    if not any(filters.values()):
        return total_clicks(site, start, end)
    qs = _link_rollup(site, start, end, **filters)
    if qs is None:
        qs = matching_clicks(site, start, end, **filters)
    return qs.aggregate(total=Sum("clicks"))["total"] or 0


def _ranking(rows, keys, site=None, start=None, end=None):
    """Roll-up ``rows`` (already narrowed) as ``*keys, clicks`` summed
    exactly (``_signed_parts``), clicks above zero only."""
    parts = _signed_parts(site, start, end)
    return (
        rows.filter(_either(parts))
        .values(*keys)
        .annotate(clicks=_signed_sum(parts))
        .filter(clicks__gt=0)
    )


def _needs_counters(filters):
    """Filters that only the daily counters know (not the per-link roll-up)."""
    return any(filters.get(name) for name in ("source", "page"))


@fresh
def domain_report(site=None, start=None, end=None, **filters):
    """Rows of ``domain, clicks`` matching the report filters, most clicked
    first. ``add_domain_details`` adds the other columns to the rows shown."""
    if not any(filters.values()):
        rows = _ranking(
            _in_range(DomainClicks.objects.all(), site), ["domain"], site, start, end
        )
    else:
        rows = _link_rollup(site, start, end, **filters)
        if rows is None:
            rows = matching_clicks(site, start, end, **filters)
        rows = rows.values(domain=F("link__domain")).annotate(clicks=Sum("clicks"))
    return rows.order_by("-clicks", "domain")


@fresh
def url_report(site=None, start=None, end=None, **filters):
    """Rows of ``link_id, clicks`` matching the report filters, most clicked
    first. ``add_url_details`` adds the URL and the other columns."""
    if _needs_counters(filters):
        rows = matching_clicks(site, start, end, **filters)
        rows = rows.values("link_id").annotate(clicks=Sum("clicks"))
    else:
        rows = _link_narrowed(_in_range(LinkClicks.objects.all(), site), **filters)
        rows = _ranking(rows, ["link_id"], site, start, end)
    return rows.order_by("-clicks", "link_id")


@fresh
def exit_page_report(site=None, start=None, end=None, **filters):
    """Rows of ``source_id, clicks`` matching the report filters, most
    clicked first. ``add_exit_page_details`` adds the page and the rest."""
    if any(filters.values()):
        rows = matching_clicks(site, start, end, **filters)
        rows = rows.values("source_id").annotate(clicks=Sum("clicks"))
    else:
        rows = _ranking(
            _in_range(SourceClicks.objects.all(), site), ["source_id"], site, start, end
        )
    return rows.order_by("-clicks", "source_id")


# Columns counted per row shown (distinct URLs, pages, top page or domain):
# they read a few rows' pairs instead of every pair in range. The add_*
# functions take the rows (dictionaries, changed in place) and the same
# arguments as the report; ``every=True`` says the rows are all of them (an
# export), so they are read without a list of ids.


def _pair_parts(site=None, start=None, end=None, **filters):
    """Querysets of counters with ``link_id``, ``source_id`` and ``clicks``
    that together hold exactly the matching clicks: month rows of
    ``PairClicks`` for whole months, daily counters for the other days (all
    daily counters when an event or category is asked for)."""
    if filters.get("event") or filters.get("category"):
        return [matching_clicks(site, start, end, **filters)]
    months, days = _split(site, start, end)
    parts = [clicks(site, first, last) for first, last in days]
    if months is not None:
        pairs = PairClicks.objects.filter(months)
        parts.append(pairs if site is None else pairs.filter(site=site))
    return [
        _page_filters(
            _link_filters(
                part,
                filters.get("search", ""),
                filters.get("domain", ""),
                filters.get("link"),
            ),
            filters.get("source"),
            filters.get("page"),
        )
        for part in parts
    ]


def _pair_facts(parts, group, distinct, top=None):
    """Per ``group`` value over the counters of every part: the number of
    distinct ``distinct`` values, and (with ``top``) the ``top`` value with
    the most clicks, the smallest on a tie. Returns ``({group: count},
    {group: (value, clicks)})``; one query whatever the number of parts.

    Django cannot aggregate over a UNION, so the parts' own SQL is combined
    here; every value comes from the ORM as a parameter.
    """
    selects, params = [], []
    for part in parts:
        columns = {"g": F(group), "d": F(distinct), "n": F("clicks")}
        if top:
            columns["t"] = F(top)
        query = part.values(**columns).order_by().query
        try:
            sql, part_params = query.get_compiler(using=part.db).as_sql()
        except EmptyResultSet:  # a filter that matches nothing (no ids)
            continue
        selects.append(f"SELECT * FROM ({sql}) AS p{len(selects)}")  # noqa: S608
        params.extend(part_params)
    if not selects:
        return {}, {}
    union = " UNION ALL ".join(selects)
    # One statement reads the parts once for both answers (kind 0: the
    # distinct count, kind 1: clicks per value). DISTINCT then COUNT(*) lets
    # the database hash instead of sorting every row.
    sql = (
        f"WITH u AS ({union}) "  # noqa: S608
        "SELECT 0, g, NULL, COUNT(*) FROM (SELECT DISTINCT g, d FROM u) AS x "
        "GROUP BY g"
    )
    if top:
        # Sums per (group, value); the greatest is picked below, which costs
        # less than sorting them in SQL with a window function.
        sql += " UNION ALL SELECT 1, g, t, SUM(n) FROM u GROUP BY g, t"
    counts, tops = {}, {}
    with connections[parts[0].db].cursor() as cursor:
        cursor.execute(sql, params)
        for kind, group, value, number in cursor.fetchall():
            if not kind:
                counts[group] = number
                continue
            best = tops.get(group)
            if best is None or (number, best[0]) > (best[1], value):
                tops[group] = (value, number)
    return counts, tops


def add_domain_details(
    rows, site=None, start=None, end=None, *, every=False, **filters
):
    """Add ``urls`` (distinct URLs clicked) and ``top_source`` (``{source_ref,
    path, page_id, clicks}`` of the page that sent the most clicks, or None)
    to each ``domain_report`` row."""
    domains = [row["domain"] for row in rows]
    parts = _pair_parts(site, start, end, **filters)
    if not every:
        parts = [part.filter(link__domain__in=domains) for part in parts]
    urls, top = _pair_facts(parts, "link__domain", "link_id", "source_id")
    pages = _pages(source for source, _clicks in top.values())
    for row in rows:
        row["urls"] = urls.get(row["domain"], 0)
        source, total = top.get(row["domain"], (None, 0))
        row["top_source"] = (
            {
                "source_ref": source,
                "path": pages[source]["path"],
                "page_id": pages[source]["page_id"],
                "clicks": total,
            }
            if source in pages
            else None
        )
    return rows


def add_url_details(rows, site=None, start=None, end=None, *, every=False, **filters):
    """Add ``sources`` (distinct source pages), ``last_day``, ``event`` and
    ``category`` (the greatest of those clicked) to each ``url_report`` row."""
    ids = [row["link_id"] for row in rows]
    parts = _pair_parts(site, start, end, **filters)
    if not every:
        parts = [part.filter(link_id__in=ids) for part in parts]
    sources, _top = _pair_facts(parts, "link_id", "source_id")
    links = Link.objects.all() if every else Link.objects.filter(pk__in=ids)
    links = {row["pk"]: row for row in links.values("pk", "url", "domain", "text")}
    if _needs_counters(filters):
        days = labelled = matching_clicks(site, start, end, **filters)
    else:
        days = _link_narrowed(
            _in_range(LinkClicks.objects.filter(span=Span.DAY), site, start, end),
            **filters,
        )
        labelled = _link_rollup(site, start, end, **filters)
    labelled = labelled.filter(~Q(event="") | ~Q(category=""))
    if not every:
        days, labelled = days.filter(link_id__in=ids), labelled.filter(link_id__in=ids)
    last = dict(days.values_list("link_id").annotate(Max("day")).order_by())
    labelled = (
        labelled.values_list("link_id")
        .annotate(Max("event"), Max("category"))
        .order_by()
    )
    labels = {link: (event, category) for link, event, category in labelled}
    for row in rows:
        link = links[row["link_id"]]
        row.update(url=link["url"], domain=link["domain"], text=link["text"])
        row["sources"] = sources.get(row["link_id"], 0)
        row["last_day"] = last.get(row["link_id"])
        row["event"], row["category"] = labels.get(row["link_id"], ("", ""))
    return rows


def add_exit_page_details(
    rows, site=None, start=None, end=None, *, every=False, **filters
):
    """Add ``destinations`` (distinct URLs) and ``top_domain`` (``{domain,
    clicks}`` of the domain that received the most clicks, or None) to each
    ``exit_page_report`` row."""
    ids = [row["source_id"] for row in rows]
    parts = _pair_parts(site, start, end, **filters)
    if not every:
        parts = [part.filter(source_id__in=ids) for part in parts]
    destinations, top = _pair_facts(parts, "source_id", "link_id", "link__domain")
    pages = _pages(None if every else ids)
    for row in rows:
        page = pages[row["source_id"]]
        row.update(
            page_id=page["page_id"], path=page["path"], site_ref=page["site_ref"]
        )
        row["destinations"] = destinations.get(row["source_id"], 0)
        domain, total = top.get(row["source_id"], (None, 0))
        row["top_domain"] = (
            {"domain": domain, "clicks": total} if domain is not None else None
        )
    return rows


def _pages(ids):
    """``{source id: {path, page_id, site_ref}}`` of ``ids`` (None: all)."""
    rows = SourcePage.objects.all()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return {
        pk: {"path": path, "page_id": page_id, "site_ref": site_ref}
        for pk, path, page_id, site_ref in rows.values_list(
            "pk", "path", "page_id", "site_id"
        )
    }


@fresh
def matching_daily_totals(site=None, start=None, end=None, **filters):
    """Rows of ``day, clicks`` in date order matching the report filters,
    read from the smallest table that knows the filters."""
    if not any(filters.values()):
        return daily_totals(site, start, end)
    if not _needs_counters(filters):
        days = LinkClicks.objects.filter(span=Span.DAY)
        qs = _link_narrowed(_in_range(days, site, start, end), **filters)
    elif set(_active(filters)) == {"source"}:
        days = SourceClicks.objects.filter(span=Span.DAY, source_id=filters["source"])
        qs = _in_range(days, site, start, end)
    else:
        qs = matching_clicks(site, start, end, **filters)
    return qs.values("day").annotate(clicks=Sum("clicks")).order_by("day")


def _active(filters):
    return [name for name, value in filters.items() if value not in (None, "")]


# Labels listed in the report's event and category menus.
LABEL_MENU_SIZE = 100


@fresh
def labels(site=None, start=None, end=None, limit=LABEL_MENU_SIZE):
    """``(events, categories)``: of each, the ``limit`` non-empty values with
    the most clicks in range, sorted by name.

    Visitors choose labels, so there may be any number of them: each list is
    one query over the per-link roll-up's year, month and edge-day rows of
    the range, ranked by clicks and cut in the database (``ORDER BY SUM(clicks)
    DESC LIMIT``), so no more than ``limit`` values are ever read or shown."""
    qs = _rollup(LinkClicks, site, start, end)

    def top(field):
        ranked = (
            qs.exclude(**{field: ""})
            .values_list(field)
            .annotate(total=Sum("clicks"))
            .order_by("-total", field)[:limit]
        )
        return sorted(value for value, _total in ranked)

    return top("event"), top("category")


@fresh
def domain_trend(site=None, start=None, end=None, previous_start=None, limit=10):
    """The ``limit`` domains with the most clicks from ``start`` to ``end``, as
    rows of ``domain, clicks, previous`` where ``previous`` counts the clicks
    from ``previous_start`` to the day before ``start``, in one query."""
    current = _signed_parts(site, start, end)
    previous = _signed_parts(site, previous_start, start - timedelta(days=1))
    rows = DomainClicks.objects.filter(_either(current) | _either(previous))
    if site is not None:
        rows = rows.filter(site=site)
    return (
        rows.values("domain")
        # "previous" first: once "clicks" names the sum, Sum("clicks") cannot
        # refer to the column any more.
        .annotate(previous=_signed_sum(previous), clicks=_signed_sum(current))
        .filter(clicks__gt=0)
        .order_by("-clicks", "domain")[:limit]
    )
