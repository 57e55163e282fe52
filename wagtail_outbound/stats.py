"""The read API over recorded clicks: what the admin reports, the dashboard and
your own code call. Every function takes one :class:`Filters`::

    from datetime import date
    from wagtail_outbound import stats

    filters = stats.Filters(start=date(2026, 1, 1), end=date(2026, 1, 31))
    stats.total(filters)                      # 1234
    for row in stats.domains(filters).top(10):
        print(row["domain"], row["clicks"], row["urls"])

Reports (:func:`domains`, :func:`urls`, :func:`exit_pages`) rank keys by
clicks from the smallest table that knows every filter (:class:`Filters`
picks it), and add the columns that need pairs of links and pages (distinct
counts, top page or domain) only to the rows asked for. A date range is read
as the stored periods :func:`~.periods.plan` picks from the calendar. Every
answer is exactly what the daily counters say (``tests/test_rollups.py``), and
includes every click the endpoint has accepted (:func:`fresh`).
"""

import dataclasses
import datetime
import functools

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum

from . import aggregation, inventory, periods, rollups
from .domains import normalise_host
from .models import (
    DailyClicks,
    DomainClicks,
    Label,
    Link,
    LinkClicks,
    PairClicks,
    SiteClicks,
    SourceClicks,
    SourcePage,
)
from .periods import Span


def fresh(function):
    """Count pending clicks first (``aggregation.catch_up``), so what a report
    or a caller reads includes every click the endpoint has accepted."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        aggregation.catch_up()
        return function(*args, **kwargs)

    return wrapper


# What each table can narrow and group by, smallest table first. The daily
# counters know everything but hold a row per link, page and day.
TABLES = (
    (SiteClicks, frozenset()),
    (DomainClicks, frozenset({"domain"})),
    (SourceClicks, frozenset({"source", "page"})),
    (LinkClicks, frozenset({"link", "domain", "search", "event", "category"})),
    (DailyClicks, None),
)
DIMENSIONS = ("search", "event", "category", "domain", "link", "source", "page")
# Report rows are grouped by a column; the dimension it belongs to.
GROUPS = {"link_id": "link", "source_id": "source"}
# Where a table does not hold a column itself.
LOOKUPS = {"domain": "link__domain", "page": "source__page_id"}


@dataclasses.dataclass(frozen=True)
class Filters:
    """What to count: a site (a ``Site`` or its id; None: all sites), an
    inclusive range of days (None: unbounded) and the report filters.

    ``search`` matches URL, domain (also typed in Unicode for IDN hosts) and
    link text; ``event`` and ``category`` match exactly; ``domain`` (as
    stored: punycode), ``link`` (a ``Link`` id), ``source`` (a ``SourcePage``
    id) and ``page`` (a Wagtail page id) are the reports' drill-downs.
    """

    site: object = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    search: str = ""
    event: str = ""
    category: str = ""
    domain: str = ""
    link: int | None = None
    source: int | None = None
    page: int | None = None

    def __post_init__(self):
        # Typed as a visitor or an editor sees it (Bücher.example): stored
        # as punycode. A host that cannot be converted matches nothing.
        if self.domain:
            object.__setattr__(
                self, "domain", normalise_host(self.domain) or self.domain
            )

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @property
    def site_id(self):
        return getattr(self.site, "pk", self.site)

    @property
    def active(self):
        """The dimensions the filters in use narrow by."""
        return frozenset(
            name for name in DIMENSIONS if getattr(self, name) not in ("", None)
        )

    def table(self, *groups):
        """The smallest table that knows every filter in use and ``groups``."""
        needed = self.active | {GROUPS.get(name, name) for name in groups}
        needed -= {"day"}
        return next(
            model for model, knows in TABLES if knows is None or needed <= knows
        )

    def narrow(self, rows):
        """``rows`` of any click table narrowed by the site and the filters
        (not the dates: the tables store them differently)."""
        if self.site_id is not None:
            rows = rows.filter(site_id=self.site_id)
        if self.search:
            rows = rows.filter(search_match(self.search, "link__"))
        exact = {
            "domain": self.domain,
            "event": self.event,
            "category": self.category,
            "link_id": self.link,
            "source_id": self.source,
            "page": self.page,
        }
        return rows.filter(
            **{
                column(name, rows.model): value
                for name, value in exact.items()
                if value not in ("", None)
            }
        )

    def _read(self, groups, days):
        """The rows in range and the expression that sums their clicks."""
        model = self.table(*groups)
        rows = self.narrow(model.objects.all())
        if model is DailyClicks or days:
            rows = _in_days(rows, self.start, self.end)
            if model is not DailyClicks:
                rows = rows.filter(span=Span.DAY)
            return rows, Sum("clicks")
        parts = periods.plan(self.start, self.end, signed=True)
        return rows.filter(rollups.covering(parts)), rollups.clicks(parts)

    def counted(self, *groups, days=False):
        """Rows of ``*groups, clicks`` (clicks above zero) in range, narrowed
        and grouped, from :meth:`table`. ``days=True`` reads day rows only
        (one per day: the chart)."""
        rows, clicks = self._read(groups, days)
        plain = [name for name in groups if column(name, rows.model) == name]
        derived = {
            name: F(column(name, rows.model))
            for name in groups
            if column(name, rows.model) != name
        }
        rows = rows.values(*plain, **derived).annotate(clicks=clicks)
        return rows.filter(clicks__gt=0)

    def sum(self):
        """The number of clicks in range, narrowed."""
        rows, clicks = self._read((), days=False)
        return rows.aggregate(clicks=clicks)["clicks"] or 0


def search_match(search, prefix=""):
    """Links (at ``prefix``: ``"link__"`` from a click table) whose URL,
    domain (also typed in Unicode for IDN hosts) or text holds ``search``."""
    match = (
        Q(**{f"{prefix}url__icontains": search})
        | Q(**{f"{prefix}domain__icontains": search})
        | Q(**{f"{prefix}text__icontains": search})
    )
    ascii_search = normalise_host(search)
    if ascii_search and ascii_search != search:
        match |= Q(**{f"{prefix}domain__icontains": ascii_search})
    return match


def column(name, model):
    """The column of ``model`` that holds ``name`` (a field or a lookup)."""
    if any(name in (f.name, f.attname) for f in model._meta.concrete_fields):
        return name
    return LOOKUPS[name]


def _in_days(rows, start, end):
    if start is not None:
        rows = rows.filter(day__gte=start)
    if end is not None:
        rows = rows.filter(day__lte=end)
    return rows


@fresh
def counters(filters):
    """The daily counters (``DailyClicks``) matching ``filters``, for
    questions the functions below do not answer."""
    return _in_days(
        filters.narrow(DailyClicks.objects.all()), filters.start, filters.end
    )


@fresh
def total(filters):
    """The number of clicks matching ``filters``."""
    return filters.sum()


@fresh
def daily(filters):
    """Rows of ``day, clicks`` in date order (days with clicks only)."""
    return list(filters.counted("day", days=True).order_by("day"))


# Labels listed in the report's event and category menus.
LABEL_MENU_SIZE = 100


@fresh
def labels(filters, limit=LABEL_MENU_SIZE):
    """``(events, categories)``: of each, the ``limit`` non-empty values with
    the most clicks on the site in the range, sorted by name. Visitors choose
    labels, so there may be any number of them: the database ranks and cuts
    them, so no more than ``limit`` values are ever read. Every label ever
    counted has a ``Label`` row (never pruned): a kind the site never had is
    not ranked, which spares most sites both queries."""
    scope = Filters(site=filters.site, start=filters.start, end=filters.end)
    seen = scope.narrow(Label.objects.all()).values_list("kind", flat=True)
    kinds = set(seen.distinct())

    def top(name):
        if name not in kinds:
            return []
        ranked = (scope.counted(name).exclude(**{name: ""}).order_by("-clicks", name))[
            :limit
        ]
        return sorted(row[name] for row in ranked)

    return top("event"), top("category")


@fresh
def domain_trend(filters, previous_start, limit=10):
    """The ``limit`` domains with the most clicks in the range, as rows of
    ``domain, clicks, previous`` where ``previous`` counts the clicks from
    ``previous_start`` to the day before the range starts, in one query."""
    current = periods.plan(filters.start, filters.end, signed=True)
    previous = periods.plan(
        previous_start, filters.start - datetime.timedelta(days=1), signed=True
    )
    rows = filters.narrow(DomainClicks.objects.all())
    return list(
        rows.filter(rollups.covering(current + previous))
        .values("domain")
        # "previous" first: once "clicks" names the sum, Sum("clicks") cannot
        # refer to the column any more.
        .annotate(
            previous=rollups.clicks(previous, among_others=True),
            clicks=rollups.clicks(current, among_others=True),
        )
        .filter(clicks__gt=0)
        .order_by("-clicks", "domain")[:limit]
    )


class Report:
    """A report table: :attr:`rows` ranks keys by clicks (a lazy queryset of
    ``{key, "clicks"}``, most clicked first: slice it, count it), and
    :meth:`details` adds the other columns to the rows asked for."""

    key = None
    detail_columns = ()

    def __init__(self, filters):
        self.filters = filters

    @functools.cached_property
    def rows(self):
        return self.filters.counted(self.key).order_by("-clicks", self.key)

    def details(self, rows, every=False):
        """Add :attr:`detail_columns` to ``rows`` (dictionaries, changed in
        place) and return them. ``every=True`` says they are all the rows (an
        export), so they are read without a list of keys."""
        raise NotImplementedError

    def top(self, count=None):
        """The first ``count`` rows (all: None) with every column."""
        rows = list(self.rows if count is None else self.rows[:count])
        return self.details(rows, every=count is None)

    def pairs(self, keys=None):
        """Querysets that together hold exactly the matching clicks with
        ``link_id`` and ``source_id``: ``PairClicks`` for whole dekads,
        months and years, the daily counters for the other days (all of them when an
        event or category is asked for). ``keys`` narrows them to rows."""
        filters = self.filters
        if filters.event or filters.category:
            parts = [counters(filters)]
        else:
            plan = periods.plan(filters.start, filters.end, dekads=True)
            days = [part for part in plan if part.span == Span.DAY]
            stored = [part for part in plan if part.span != Span.DAY]
            parts = []
            # A part per range of days, not one OR of ranges: each is then
            # read from the index alone.
            for part in days:
                rows = DailyClicks.objects.filter(day__range=(part.first, part.last))
                parts.append(filters.narrow(rows))
            if stored:
                rows = PairClicks.objects.filter(rollups.covering(stored))
                parts.append(filters.narrow(rows))
        if keys is not None:
            lookup = column(self.key, DailyClicks)
            parts = [part.filter(**{f"{lookup}__in": keys}) for part in parts]
        return parts


class DomainReport(Report):
    """Rows of ``domain, clicks``; details: ``urls`` (distinct URLs clicked)
    and ``top_source`` (``{source_ref, path, page_id, clicks}`` of the page
    that sent the most clicks, or None)."""

    key = "domain"
    detail_columns = ("urls", "top_source")

    def details(self, rows, every=False):
        keys = None if every else [row["domain"] for row in rows]
        urls, top = _pair_facts(
            self.pairs(keys), "link__domain", "link_id", "source_id"
        )
        pages = _pages(source for source, _clicks in top.values())
        for row in rows:
            row["urls"] = urls.get(row["domain"], 0)
            source, clicks = top.get(row["domain"], (None, 0))
            row["top_source"] = (
                {
                    "source_ref": source,
                    "path": pages[source]["path"],
                    "page_id": pages[source]["page_id"],
                    "clicks": clicks,
                }
                if source in pages
                else None
            )
        return rows


class UrlReport(Report):
    """Rows of ``link_id, clicks``; details: ``url``, ``domain``, ``text``,
    ``sources`` (distinct source pages), ``last_day`` (the last day clicked
    in range), ``event`` and ``category`` (the greatest of those clicked),
    and ``pages``: how many live pages (of the site filtered on) hold the
    link now, 0 when it is in no content any more (``inventory``)."""

    key = "link_id"
    detail_columns = (
        "url",
        "domain",
        "text",
        "sources",
        "last_day",
        "event",
        "category",
        "pages",
    )

    def details(self, rows, every=False):
        ids = None if every else [row["link_id"] for row in rows]
        pages = inventory.page_counts(ids, site=self.filters.site_id)
        sources, _top = _pair_facts(self.pairs(ids), "link_id", "source_id")
        model = self.filters.table("link_id")
        days = self.filters.narrow(model.objects.filter(link_id=OuterRef("pk")))
        if model is not DailyClicks:
            days = days.filter(span=Span.DAY)
        days = _in_days(days, self.filters.start, self.filters.end)
        # The last day of each link: one backward step on its (link, day)
        # index, instead of grouping every day row of the range.
        links = Link.objects.all() if every else Link.objects.filter(pk__in=ids)
        links = links.annotate(
            last_day=Subquery(days.order_by("-day").values("day")[:1])
        )
        links = {
            row["pk"]: row
            for row in links.values("pk", "url", "domain", "text", "last_day")
        }
        labelled = self.filters.counted("link_id", "event", "category").filter(
            ~Q(event="") | ~Q(category="")
        )
        if not every:
            labelled = labelled.filter(link_id__in=ids)
        labels = {}
        for row in labelled:
            event, category = labels.get(row["link_id"], ("", ""))
            labels[row["link_id"]] = (
                max(event, row["event"]),
                max(category, row["category"]),
            )
        for row in rows:
            link = links[row["link_id"]]
            row.update(url=link["url"], domain=link["domain"], text=link["text"])
            row["sources"] = sources.get(row["link_id"], 0)
            row["last_day"] = link["last_day"]
            row["event"], row["category"] = labels.get(row["link_id"], ("", ""))
            row["pages"] = pages.get(row["link_id"], 0)
        return rows


class ExitPageReport(Report):
    """Rows of ``source_id, clicks``; details: ``page_id``, ``path``,
    ``site_ref``, ``destinations`` (distinct URLs) and ``top_domain``
    (``{domain, clicks}`` of the domain that received the most clicks, or
    None)."""

    key = "source_id"
    detail_columns = ("page_id", "path", "site_ref", "destinations", "top_domain")

    def details(self, rows, every=False):
        ids = None if every else [row["source_id"] for row in rows]
        destinations, top = _pair_facts(
            self.pairs(ids), "source_id", "link_id", "link__domain"
        )
        pages = _pages(ids)
        for row in rows:
            page = pages[row["source_id"]]
            row.update(
                page_id=page["page_id"], path=page["path"], site_ref=page["site_ref"]
            )
            row["destinations"] = destinations.get(row["source_id"], 0)
            domain, clicks = top.get(row["source_id"], (None, 0))
            row["top_domain"] = (
                {"domain": domain, "clicks": clicks} if domain is not None else None
            )
        return rows


@fresh
def domains(filters):
    """The Domains report (:class:`DomainReport`)."""
    return DomainReport(filters)


@fresh
def urls(filters):
    """The URLs report (:class:`UrlReport`)."""
    return UrlReport(filters)


@fresh
def exit_pages(filters):
    """The Exit pages report (:class:`ExitPageReport`)."""
    return ExitPageReport(filters)


# PostgreSQL's memory for the pair reports' hashes (work_mem), per hash.
PAIR_WORK_MEM = "32MB"


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
        values = {"g": F(group), "d": F(distinct), "n": F("clicks")}
        if top:
            values["t"] = F(top)
        query = part.values(**values).order_by().query
        try:
            sql, part_params = query.get_compiler(using=part.db).as_sql()
        except EmptyResultSet:  # a filter that matches nothing (no ids)
            continue
        selects.append(f"SELECT * FROM ({sql}) AS p{len(selects)}")  # noqa: S608
        params.extend(part_params)
    if not selects:
        return {}, {}
    union = " UNION ALL ".join(selects)
    connection = connections[parts[0].db]
    postgresql = connection.vendor == "postgresql"
    # One statement for both answers (kind 0: the distinct count, kind 1:
    # clicks per value). DISTINCT then COUNT(*) lets the database hash
    # instead of sorting every row. PostgreSQL reads the parts once per
    # answer, in parallel, rather than writing them to a temporary table
    # (NOT MATERIALIZED): a month of day rows is hundreds of thousands.
    sql = (
        f"WITH u AS {'NOT MATERIALIZED ' if postgresql else ''}({union}) "  # noqa: S608
        "SELECT 0, g, NULL, COUNT(*) FROM (SELECT DISTINCT g, d FROM u) AS x "
        "GROUP BY g"
    )
    if top:
        # Sums per (group, value); the greatest is picked below, which costs
        # less than sorting them in SQL with a window function.
        sql += " UNION ALL SELECT 1, g, t, SUM(n) FROM u GROUP BY g, t"
    counts, tops = {}, {}
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if postgresql:
            # The hashes of a month's pairs outgrow the default 4 MB and
            # would spill to disk; this transaction only, one statement.
            cursor.execute(f"SET LOCAL work_mem = '{PAIR_WORK_MEM}'")
        cursor.execute(sql, params)
        for kind, group_value, value, number in cursor.fetchall():
            if not kind:
                counts[group_value] = number
                continue
            best = tops.get(group_value)
            if best is None or (number, best[0]) > (best[1], value):
                tops[group_value] = (value, number)
    return counts, tops


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
