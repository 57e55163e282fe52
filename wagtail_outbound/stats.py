"""Query API over recorded clicks, used by the admin reports.

Every function takes an optional Wagtail ``site`` (or site id) and an inclusive
``start``/``end`` ``datetime.date`` range (``None`` means unbounded), and
returns a lazy queryset of dictionaries sorted by clicks, largest first. Slice
it, iterate it, or order it differently::

    from wagtail_outbound import stats

    for row in stats.domain_totals(start=date(2026, 1, 1))[:10]:
        print(row["domain"], row["clicks"])
"""

from django.db.models import Count, F, Max, Sum

from .models import DailyClicks


def clicks(site=None, start=None, end=None):
    """The daily counters in range, for further filtering."""
    qs = DailyClicks.objects.all()
    if site is not None:
        qs = qs.filter(site=site)
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    return qs


def total_clicks(site=None, start=None, end=None):
    """Number of clicks in range."""
    return clicks(site, start, end).aggregate(total=Sum("clicks"))["total"] or 0


def domain_totals(site=None, start=None, end=None):
    """Rows of ``domain, clicks, urls`` (distinct URLs clicked)."""
    return (
        clicks(site, start, end)
        .values(domain=F("link__domain"))
        .annotate(clicks=Sum("clicks"), urls=Count("link", distinct=True))
        .order_by("-clicks", "domain")
    )


def url_totals(site=None, start=None, end=None, domain=None):
    """Rows of ``url, domain, text, clicks, sources, last_day``."""
    qs = clicks(site, start, end)
    if domain is not None:
        qs = qs.filter(link__domain=domain)
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
        clicks(site, start, end)
        .values("day")
        .annotate(clicks=Sum("clicks"))
        .order_by("day")
    )
