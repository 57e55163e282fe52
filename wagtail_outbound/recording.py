"""The write path.

The collect endpoint appends each click to the inbox (``inbox.append``: one
``INSERT``, durable when the endpoint answers). :mod:`.aggregation` takes
pending clicks in batches and counts them here: the server resolves each
source page, spends the site's budget of new keys, and adds every batch to the
daily counters and the roll-ups with one upsert per table, in the transaction
that removes the batch from the inbox.
"""

import dataclasses
import datetime
from collections import Counter, defaultdict

from django.db import connections, transaction

from . import budget, rollups, sources
from .models import (
    OTHER_DOMAIN,
    OTHER_LABEL,
    OTHER_PATH,
    OTHER_URL,
    DailyClicks,
    Label,
    Link,
    SourcePage,
    fingerprint,
)
from .periods import click_day

EVENT, CATEGORY = Label.Kind.EVENT.value, Label.Kind.CATEGORY.value


@dataclasses.dataclass(frozen=True)
class Click:
    """One click to count. ``page_id`` is set by trusted callers only
    (imports, seeding); the endpoint's clicks get theirs from the server."""

    site_id: int
    day: datetime.date
    url: str
    domain: str
    path: str
    text: str = ""
    event: str = ""
    category: str = ""
    page_id: int | None = None
    trusted: bool = False


def record_click(site, beacon, day=None, page_id=None):
    """Count one validated :class:`~.beacon.Beacon` now, without the inbox.

    For server-side code (imports, seeding, tests): ``page_id`` (or the
    beacon's), when given, is trusted as the page that served the click.
    """
    site_id = getattr(site, "pk", site)
    if page_id is None:
        page_id = beacon.page_id
    count(
        [
            Click(
                site_id=site_id,
                day=day or click_day(),
                url=beacon.url,
                domain=beacon.domain,
                path=beacon.source_path,
                text=beacon.text,
                event=beacon.event,
                category=beacon.category,
                page_id=page_id,
                trusted=page_id is not None,
            )
        ]
    )


def count(clicks):
    """Count ``clicks`` (a list of :class:`Click`) in the current transaction
    or one of its own. Returns how many were counted: clicks from pages that
    may not be tracked (not live, private, switched off) are dropped."""
    using = DailyClicks.objects.db
    # No savepoint inside the aggregator's transaction: it is all or nothing.
    with transaction.atomic(using=using, savepoint=False):
        pages = sources.resolve(clicks)
        clicks = [click for click in clicks if pages[click.site_id, click.path].counted]
        if not clicks:
            return 0
        allowance = budget.Allowance(using)
        source_ids = _sources(clicks, pages, allowance)
        links = _links(clicks, allowance)
        labels = _labels(clicks, allowance)
        counters = Counter()
        for click in clicks:
            link_id, domain = links[click.url]
            counters[
                click.site_id,
                click.day,
                link_id,
                source_ids[click.site_id, click.path],
                labels[click.site_id, EVENT, click.event],
                labels[click.site_id, CATEGORY, click.category],
                domain,
            ] += 1
        counters = _fold_new_counters(counters, allowance)
        allowance.save()
        _add(counters, using)
    return len(clicks)


def _fold_new_counters(counters, allowance):
    """Counters for combinations not counted yet today (a known link from a
    known page it was not clicked from) spend the site's budget too; beyond
    it they count under the overflow link and page, so no client can add
    rows without bound by combining known keys."""
    existing = set(
        DailyClicks.objects.filter(
            site_id__in={key[0] for key in counters},
            day__in={key[1] for key in counters},
            link_id__in={key[2] for key in counters},
            source_id__in={key[3] for key in counters},
        ).values_list("site_id", "day", "link_id", "source_id", "event", "category")
    )
    folded = Counter()
    overflow = {}  # site id -> (overflow link id, overflow page id)
    for key, clicks in sorted(counters.items(), key=lambda item: str(item[0])):
        site_id, day, _link, _source, event, category, _domain = key
        if key[:6] in existing or allowance.spend(site_id, budget.COUNTERS):
            folded[key] += clicks
        else:
            if site_id not in overflow:
                overflow[site_id] = _overflow_keys(site_id)
            link_id, source_id = overflow[site_id]
            folded[site_id, day, link_id, source_id, event, category, OTHER_DOMAIN] += (
                clicks
            )
    return folded


def _overflow_keys(site_id):
    """The overflow link's and the site's overflow page's ids."""
    link, _ = Link.objects.get_or_create(
        url_hash=fingerprint(OTHER_URL),
        defaults={"url": OTHER_URL, "domain": OTHER_DOMAIN},
    )
    source, _ = SourcePage.objects.get_or_create(
        site_id=site_id,
        path_hash=fingerprint(OTHER_PATH),
        defaults={"path": OTHER_PATH},
    )
    return link.pk, source.pk


def _add(counters, using):
    """Add ``{(site, day, link, source, event, category, domain): clicks}`` to
    the daily counters and every roll-up: one upsert per table."""
    _upsert(
        DailyClicks,
        ["site_id", "day", "link_id", "source_id", "event", "category"],
        [(*key[:6], clicks) for key, clicks in counters.items()],
        using,
    )
    for model in rollups.ROLLUPS:
        _upsert(
            model, rollups.columns(model), rollups.batch_rows(model, counters), using
        )


def _links(clicks, allowance):
    """``{url: (link id, domain)}``. A URL not seen before becomes a link while
    its site's budget lasts, else it counts under the overflow link. Each
    click's text is a vote for the link's text (see ``Link.text_votes``)."""
    first_site = {}
    votes = defaultdict(list)
    for click in clicks:
        first_site.setdefault(click.url, click.site_id)
        if click.text:
            votes[click.url].append(click.text)
    hashes = {fingerprint(url): url for url in first_site}
    found = _known_links(hashes)
    new = [url for url in first_site if url not in found]
    granted = [url for url in new if allowance.spend(first_site[url], budget.LINKS)]
    if len(granted) < len(new):
        granted.append(OTHER_URL)
        hashes[fingerprint(OTHER_URL)] = OTHER_URL
    if granted:
        domains = {click.url: click.domain for click in clicks}
        Link.objects.bulk_create(
            [
                Link(
                    url=url,
                    url_hash=fingerprint(url),
                    domain=domains.get(url, OTHER_DOMAIN),
                )
                for url in granted
            ],
            ignore_conflicts=True,  # another batch may create it meanwhile
        )
        found.update(_known_links({h: u for h, u in hashes.items() if u in granted}))
    _vote(found, votes)
    other = found.get(OTHER_URL)
    return {
        url: (found[url]["pk"], found[url]["domain"])
        if url in found
        else (other["pk"], OTHER_DOMAIN)
        for url in first_site
    }


def _known_links(hashes):
    rows = Link.objects.filter(url_hash__in=list(hashes)).order_by("pk")
    rows = rows.select_for_update()
    return {
        hashes[row["url_hash"]]: row
        for row in rows.values("pk", "url_hash", "domain", "text", "text_votes")
    }


def _vote(links, votes):
    """Boyer-Moore majority vote: a text equal to the link's adds one, another
    takes one away and replaces the text when the margin reaches zero. The
    text most clicks carry wins, and a few forged beacons move only the margin.
    The links are locked (``select_for_update``), so concurrent batches vote
    in turn."""
    for url, texts in votes.items():
        row = links.get(url)
        if row is None:
            continue
        text, margin = row["text"], row["text_votes"]
        for candidate in texts:
            if margin == 0:
                text, margin = candidate, 1
            elif candidate == text:
                margin += 1
            else:
                margin -= 1
        if (text, margin) != (row["text"], row["text_votes"]):
            Link.objects.filter(pk=row["pk"]).update(text=text, text_votes=margin)


def _sources(clicks, pages, allowance):
    """``{(site id, path): source page id}``, creating the pages not seen
    before while the site's budget lasts (then the overflow page). The page
    id is what the server resolved, updated when another page serves the
    path now."""
    wanted = {(click.site_id, click.path) for click in clicks}
    found = {}
    for site_id in {site_id for site_id, _path in wanted}:
        paths = [path for sid, path in wanted if sid == site_id]
        rows = _known_sources(site_id, paths)
        new = sorted(path for path in paths if path not in rows)
        granted = [path for path in new if allowance.spend(site_id, budget.SOURCES)]
        if len(granted) < len(new):
            granted.append(OTHER_PATH)
        if granted:
            SourcePage.objects.bulk_create(
                [
                    SourcePage(
                        site_id=site_id,
                        path=path,
                        path_hash=fingerprint(path),
                        page_id=pages[site_id, path].page_id
                        if path != OTHER_PATH
                        else None,
                    )
                    for path in granted
                ],
                ignore_conflicts=True,
            )
            rows.update(_known_sources(site_id, granted))
        for path in paths:
            if path not in rows:
                found[site_id, path] = rows[OTHER_PATH][0]
                continue
            pk, page_id = rows[path]
            found[site_id, path] = pk
            resolved = pages[site_id, path].page_id
            if resolved is not None and page_id != resolved:
                SourcePage.objects.filter(pk=pk).update(page_id=resolved)
    return found


def _known_sources(site_id, paths):
    hashes = {fingerprint(path): path for path in paths}
    rows = SourcePage.objects.filter(site_id=site_id, path_hash__in=list(hashes))
    return {
        hashes[path_hash]: (pk, page_id)
        for pk, path_hash, page_id in rows.values_list("pk", "path_hash", "page_id")
    }


def _labels(clicks, allowance):
    """``{(site id, kind, value): stored value}``: a label not seen on the
    site before is listed while the budget lasts, else it counts as
    ``OTHER_LABEL``."""
    wanted = set()
    for click in clicks:
        wanted.add((click.site_id, EVENT, click.event))
        wanted.add((click.site_id, CATEGORY, click.category))
    result = {key: key[2] for key in wanted if key[2] in ("", OTHER_LABEL)}
    asked = [key for key in wanted if key not in result]
    if not asked:
        return result
    known = set(
        Label.objects.filter(
            site_id__in={site_id for site_id, _kind, _value in asked},
            value__in={value for _site, _kind, value in asked},
        ).values_list("site_id", "kind", "value")
    )
    day = min(click.day for click in clicks)
    new = []
    for key in sorted(asked):
        site_id, kind, value = key
        if key in known or allowance.spend(site_id, budget.LABELS):
            result[key] = value
            if key not in known:
                new.append(
                    Label(site_id=site_id, kind=kind, value=value, first_day=day)
                )
        else:
            result[key] = OTHER_LABEL
    Label.objects.bulk_create(new, ignore_conflicts=True)
    return result


def _upsert(model, keys, rows, using=None):
    """Add ``rows`` of ``(*keys, clicks)`` to ``model``'s counters in one
    statement per 500 rows (INSERT ... ON CONFLICT works on SQLite and
    PostgreSQL). Rows go in key order, so concurrent batches lock them in the
    same order and cannot deadlock."""
    table = model._meta.db_table
    columns = ", ".join([*keys, "clicks"])
    row_sql = "(" + ", ".join(["%s"] * (len(keys) + 1)) + ")"
    rows = sorted(rows, key=lambda row: tuple(map(str, row[:-1])))
    with connections[using or model.objects.db].cursor() as cursor:
        for first in range(0, len(rows), 500):
            chunk = rows[first : first + 500]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names are ours)
                f"VALUES {', '.join([row_sql] * len(chunk))} "
                f"ON CONFLICT ({', '.join(keys)}) "
                f"DO UPDATE SET clicks = {table}.clicks + EXCLUDED.clicks",
                [value for row in chunk for value in row],
            )
