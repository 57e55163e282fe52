"""Create the demo's pages, site, admin user and months of click history.

Safe to run again: existing pages and users are kept, and the history is only
written when the site has none (``--reset-history`` rewrites it).
"""

import datetime
import json
import math
import random
import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site

from home import demo_content
from home.models import BlogIndexPage, BlogPage, ContentPage, HomePage
from wagtail_outbound import inventory
from wagtail_outbound.models import (
    DailyClicks,
    Link,
    OutboundSettings,
    SourcePage,
    fingerprint,
)
from wagtail_outbound.rollups import rebuild as rebuild_rollups
from wagtail_outbound.urlnorm import normalise_url

ADMIN_USERNAME = ADMIN_PASSWORD = "admin"

# (domain, link text, paths): the demo's own links come first so the pages'
# links have history; the rest fill a realistic long tail.
CATALOGUE = [
    (
        "github.com",
        "GitHub",
        [
            "/wagtail/wagtail",
            "/wagtail/bakerydemo",
            "/django/django",
            "/wagtail/wagtail/releases",
            "/wagtail/wagtail/issues",
            "/astral-sh/uv",
            "/astral-sh/ruff",
            "/pytest-dev/pytest",
            "/encode/httpx",
            "/microsoft/playwright-python",
            "/psf/requests",
            "/pallets/flask",
            "/wagtail-outbound/wagtail-outbound",
            "/wagtail/wagtail-localize",
            "/jazzband/django-tables2",
            "/torchbox/wagtail-grapple",
        ],
    ),
    (
        "docs.wagtail.org",
        "Wagtail docs",
        [
            "/en/stable/",
            "/en/stable/getting_started/tutorial.html",
            "/en/stable/reference/hooks.html",
            "/en/stable/topics/streamfield.html",
            "/en/stable/advanced_topics/customisation/page_editing_interface.html",
            "/en/stable/reference/contrib/settings.html",
            "/en/stable/releases/8.0.html",
            "/en/stable/extending/rich_text_internals.html",
        ],
    ),
    (
        "docs.djangoproject.com",
        "Django docs",
        [
            "/en/5.2/",
            "/en/5.2/topics/db/queries/",
            "/en/5.2/ref/settings/",
            "/en/5.2/topics/testing/",
            "/en/5.2/howto/deployment/",
            "/en/5.2/ref/models/expressions/",
            "/en/5.2/topics/cache/",
        ],
    ),
    ("www.djangoproject.com", "Django", ["/", "/download/", "/weblog/"]),
    ("wagtail.org", "Wagtail", ["/", "/blog/", "/features/", "/wagtail-space/"]),
    (
        "developer.mozilla.org",
        "MDN",
        [
            "/en-US/docs/Web/HTML",
            "/en-US/docs/Web/API/Navigator/sendBeacon",
            "/en-US/docs/Web/HTTP/Headers/Content-Security-Policy",
            "/en-US/docs/Web/CSS/grid",
            "/en-US/docs/Web/Accessibility",
        ],
    ),
    ("www.python.org", "Python", ["/", "/downloads/", "/psf/"]),
    (
        "docs.python.org",
        "Python docs",
        [
            "/3/library/",
            "/3/library/datetime.html",
            "/3/tutorial/",
            "/3/library/asyncio.html",
        ],
    ),
    ("www.digitalocean.com", "DigitalOcean", ["/?refcode=outbounddemo"]),
    ("fly.io", "Try Fly.io", ["/?ref=outbound-demo", "/docs/django/"]),
    ("render.com", "Try Render", ["/?ref=outbound-demo", "/docs/deploy-django"]),
    ("stackoverflow.com", "Stack Overflow", None),
    (
        "pypi.org",
        "PyPI",
        [
            "/project/wagtail/",
            "/project/wagtail-outbound/",
            "/project/Django/",
            "/project/django-tables2/",
            "/project/crawlerdetect/",
        ],
    ),
    (
        "www.amazon.com",
        "Django for Beginners",
        [
            "/dp/1735467200?tag=outbounddemo-20",
            "/dp/1801810982?tag=outbounddemo-20",
        ],
    ),
    ("www.youtube.com", "YouTube", None),
    ("en.wikipedia.org", "Wikipedia", None),
    ("news.ycombinator.com", "Hacker News", None),
    ("web.dev", "web.dev", ["/learn/accessibility", "/learn/performance", "/vitals/"]),
    ("webaim.org", "WebAIM", ["/resources/contrastchecker/", "/projects/million/"]),
    ("www.a11yproject.com", "A11Y Project", ["/checklist/", "/posts/"]),
    ("fosstodon.org", "Mastodon", ["/@wagtail", "/@djangoproject"]),
    ("www.reddit.com", "Reddit", None),
    ("www.postgresql.org", "PostgreSQL", ["/", "/docs/17/index.html"]),
    ("www.w3.org", "W3C", ["/WAI/standards-guidelines/wcag/", "/TR/html52/"]),
    ("plausible.io", "Plausible", ["/docs/outbound-link-click-tracking", "/"]),
    ("matomo.org", "Matomo", ["/faq/", "/"]),
    ("noyb.eu", "noyb", ["/en"]),
    ("gdpr.eu", "GDPR guide", ["/cookies/", "/what-is-gdpr/"]),
    (
        "www.packtpub.com",
        "Web Development with Django",
        [
            "/product/web-development-with-django",
        ],
    ),
    ("caniuse.com", "Can I use", None),
    ("www.smashingmagazine.com", "Smashing Magazine", None),
    ("css-tricks.com", "CSS-Tricks", None),
    ("realpython.com", "Real Python", None),
    ("learndjango.com", "LearnDjango", None),
    ("www.netlify.com", "Netlify", ["/"]),
    ("www.torchbox.com", "Torchbox", ["/", "/work/"]),
    ("letsencrypt.org", "Let's Encrypt", ["/getting-started/", "/docs/"]),
    ("redis.io", "Redis", ["/docs/latest/"]),
    ("www.sqlite.org", "SQLite", ["/about.html", "/wal.html", "/lang_upsert.html"]),
    ("www.cloudflare.com", "Cloudflare", None),
    ("www.linkedin.com", "LinkedIn", ["/company/wagtail-cms/"]),
    ("www.theguardian.com", "The Guardian", None),
    ("www.bbc.co.uk", "BBC", None),
    # An IDN host: stored as punycode, shown readable by the reports.
    ("bücher.example", "Bücher", ["/", "/django/"]),
]
# Long-tail paths for domains listed without any.
WORDS = [
    "questions/tagged/django",
    "watch",
    "wiki/Hyperlink",
    "item",
    "r/django",
    "python-testing",
    "css-grid-guide",
    "accessibility-basics",
    "privacy",
    "deployment",
    "caching",
    "web-performance",
    "forms",
    "search",
    "images",
    "static-files",
    "security",
    "i18n",
    "rest-apis",
    "async-views",
    "dark-mode",
    "core-web-vitals",
    "content-modelling",
    "seo-basics",
    "headless-cms",
    "page-speed",
    "tutorials/getting-started",
    "fonts",
    "responsive-images",
    "open-source",
    "newsletters",
    "analytics",
    "wiki/Web_analytics",
    "wiki/Django_(web_framework)",
    "r/webdev",
    "questions/tagged/wagtail",
    "playlist",
    "sitemaps",
    "redirects",
    "cookies",
]
# Affiliate URLs carry the seed's event/category on their clicks.
AFFILIATE = {
    "www.digitalocean.com": ("affiliate_click", "conversion"),
    "fly.io/?ref": ("affiliate_click", "conversion"),
    "render.com/?ref": ("affiliate_click", "conversion"),
    "www.amazon.com": ("affiliate_click", "books"),
    "www.packtpub.com": ("affiliate_click", "books"),
}


class Command(BaseCommand):
    help = "Create the demo pages, an admin user and months of outbound clicks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=8000, help="Port the demo is served on."
        )
        parser.add_argument(
            "--days", type=int, default=180, help="Days of click history."
        )
        parser.add_argument(
            "--reset-history",
            action="store_true",
            help="Delete this site's click history and write it again.",
        )

    def handle(self, *args, port, days, reset_history, **options):
        started = time.monotonic()
        with transaction.atomic():
            site, pages = build_site(port)
            OutboundSettings.for_site(site)
            created_admin = ensure_admin()
        # Publishing keeps the link inventory current; a database seeded
        # before it existed gets it here.
        totals = inventory.build(site)
        self.stdout.write(
            f"Link inventory: {totals.links} outbound links on {totals.pages} pages."
        )
        has_history = DailyClicks.objects.filter(site=site).exists()
        if reset_history or not has_history:
            if has_history:
                DailyClicks.objects.filter(site=site).delete()
            end = timezone.localdate() - datetime.timedelta(days=1)
            # Pages whose tracking switch is off have no clicks.
            sources = [
                (page.relative_url(site), page.pk)
                for page in pages
                if page.track_outbound_clicks
            ]
            history = generate_history(
                sources, end - datetime.timedelta(days=days - 1), end
            )
            with transaction.atomic():
                write_click_history(site, history)
            total = sum(history.values())
            self.stdout.write(
                f"Wrote {total} clicks over {days} days "
                f"({len(history)} daily counters)."
            )
        else:
            self.stdout.write("Click history already present (--reset-history).")
        self.stdout.write(f"Seeded in {time.monotonic() - started:.1f} s.")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo site:  http://127.0.0.1:{port}/\n"
                f"Admin:      http://127.0.0.1:{port}/admin/  "
                f"login {ADMIN_USERNAME} / password {ADMIN_PASSWORD}"
                + ("" if created_admin else " (unless you changed it)")
            )
        )


def build_site(port):
    """Return the default site, pointed at the demo's home page, and the
    demo's pages (creating whatever is missing)."""
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        home = add_page(root, HomePage, slug="outbound-demo", **demo_content.HOME)
    site = Site.objects.filter(is_default_site=True).first() or Site(
        is_default_site=True
    )
    site.hostname, site.port, site.root_page = "127.0.0.1", port, home
    site.site_name = "Outbound demo"
    site.save()
    # Wagtail's "Welcome to your new Wagtail site!" page is no longer used.
    for welcome in root.get_children().exact_type(Page):
        if not Site.objects.filter(root_page=welcome).exists():
            welcome.delete()

    pages = [home]
    for spec in demo_content.PAGES:
        pages.append(ensure_child(home, ContentPage, **spec))
    blog = ensure_child(home, BlogIndexPage, **demo_content.BLOG)
    pages.append(blog)
    for spec in demo_content.POSTS:
        pages.append(ensure_child(blog, BlogPage, **spec))
    return site, pages


def ensure_child(parent, model, slug, **fields):
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    return existing or add_page(parent, model, slug=slug, **fields)


def add_page(parent, model, *, body=None, **fields):
    page = model(show_in_menus=parent.depth == 2, **fields)
    if body is not None:
        page.body = json.dumps(body)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def ensure_admin():
    """Create the admin/admin superuser when missing; True when created."""
    User = get_user_model()
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        return False
    User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
    return True


def zipf(count, exponent):
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


def link_text(text, path, position):
    """The domain's name, followed by the path's words for deeper URLs."""
    words = path.split("?")[0].strip("/").replace("-", " ").replace("_", " ")
    return (
        f"{text} \u2013 {words.replace('/', ' ')}" if position > 1 and words else text
    )


def generate_history(sources, start, end, seed=2026):
    """Return ``{(day, url, text, source_path, page_id, event, category): clicks}``.

    ``sources`` are ``(path, page_id)`` pairs. Deterministic: a skewed (Zipf)
    choice of domains, URLs and source pages, a traffic trend, quieter
    weekends and one post that went viral.
    """
    rng = random.Random(seed)
    # A page deleted since: its clicks stay, with no page id.
    sources = [*sources, ("/blog/launch-announcement/", None)]
    source_weights = zipf(len(sources), 0.8)

    links = []  # (url, text, event, category, weight, sources)
    for rank, (domain, text, paths) in enumerate(CATALOGUE, start=1):
        if paths is None:
            count = max(4, round(48 / rank**0.45))
            paths = ["/" + word for word in rng.sample(WORDS, min(count, len(WORDS)))]
            paths += [f"/{rng.choice(WORDS)}/{n}" for n in range(count - len(paths))]
        for position, path in enumerate(paths, start=1):
            url, _domain = normalise_url(f"https://{domain}{path}")
            event, category = next(
                (labels for key, labels in AFFILIATE.items() if key in url), ("", "")
            )
            on_pages = rng.sample(
                range(len(sources)), k=min(len(sources), rng.choice((1, 1, 2, 3)))
            )
            links.append(
                (
                    url,
                    link_text(text, path, position),
                    event,
                    category,
                    1 / rank**1.1 / position**0.9,
                    on_pages,
                )
            )
    link_weights = [link[4] for link in links]

    viral_day = end - datetime.timedelta(days=40)
    history = Counter()
    span = max((end - start).days, 1)
    day = start
    while day <= end:
        trend = 60 + 140 * (day - start).days / span
        weekly = 0.55 if day.weekday() >= 5 else 1.0
        volume = trend * weekly * rng.uniform(0.8, 1.2)
        volume *= 1 + 6 * math.exp(-abs((day - viral_day).days) / 2)
        for link in rng.choices(links, weights=link_weights, k=round(volume)):
            url, text, event, category, _weight, on_pages = link
            index = rng.choices(
                on_pages, weights=[source_weights[i] for i in on_pages]
            )[0]
            path, page_id = sources[index]
            history[(day, url, text, path, page_id, event, category)] += 1
        day += datetime.timedelta(days=1)
    return history


def write_click_history(site, history):
    """Write generated clicks straight into the counter tables.

    The one place in the demo that knows wagtail_outbound's storage layout:
    keep it in step with wagtail_outbound.recording.
    """
    links = {}
    for _day, url, text, *_rest in history:
        links.setdefault(url, text)
    existing = set(
        Link.objects.filter(url_hash__in=[fingerprint(u) for u in links]).values_list(
            "url_hash", flat=True
        )
    )
    Link.objects.bulk_create(
        [
            Link(
                url=url,
                url_hash=fingerprint(url),
                domain=normalise_url(url)[1],
                text=text,
            )
            for url, text in links.items()
            if fingerprint(url) not in existing
        ],
        batch_size=500,
    )
    link_ids = dict(
        Link.objects.filter(url_hash__in=[fingerprint(u) for u in links]).values_list(
            "url_hash", "pk"
        )
    )

    paths = {(path, page_id) for _day, _url, _text, path, page_id, *_ in history}
    existing = set(
        SourcePage.objects.filter(site=site).values_list("path_hash", flat=True)
    )
    SourcePage.objects.bulk_create(
        [
            SourcePage(site=site, path=path, path_hash=fingerprint(path), page_id=pid)
            for path, pid in paths
            if fingerprint(path) not in existing
        ],
        batch_size=500,
    )
    source_ids = dict(
        SourcePage.objects.filter(site=site).values_list("path_hash", "pk")
    )

    DailyClicks.objects.bulk_create(
        [
            DailyClicks(
                site=site,
                day=day,
                link_id=link_ids[fingerprint(url)],
                source_id=source_ids[fingerprint(path)],
                event=event,
                category=category,
                clicks=clicks,
            )
            for (day, url, _text, path, _pid, event, category), clicks in (
                history.items()
            )
        ],
        batch_size=1000,
    )
    # Reports may read roll-up tables derived from the daily counters.
    rebuild_rollups()
