"""The demo's pages, as data. Every kind of link the seed documents appears
somewhere: tracked external links (https and http), internal and relative links,
mailto and tel, data-insights-no-track, and affiliate links carrying
data-insights-event / data-insights-category, in rich text (RichTextField and
the StreamField's RichTextBlock) and in templates (base.html, link buttons)."""

import datetime


def paragraph(html):
    return {"type": "paragraph", "value": html}


def heading(text):
    return {"type": "heading", "value": text}


def button(url, text, event="", category="", track=True):
    return {
        "type": "link_button",
        "value": {
            "url": url,
            "text": text,
            "event": event,
            "category": category,
            "track": track,
        },
    }


HOME = {
    "title": "Where do our readers go next?",
    "intro": (
        '<p>This small <a href="https://wagtail.org/">Wagtail</a> site shows '
        "<b>wagtail-outbound</b> at work: every click on a link to another "
        "website is counted, privately, with no template edits. Open the "
        '<a href="/admin/">admin</a> to see the reports.</p>'
    ),
    "body": [
        heading("Try it"),
        paragraph(
            '<p>Click <a href="https://github.com/wagtail/wagtail">Wagtail on '
            'GitHub</a> or the <a href="https://docs.wagtail.org/en/stable/">'
            "Wagtail documentation</a>, come back, and find the click under "
            'Reports. Links to <a href="/about/">our own pages</a> and '
            '<a href="blog/">relative links</a> are never counted.</p>'
        ),
        button("https://www.djangoproject.com/", "Learn Django"),
    ],
}

PAGES = [
    {
        "slug": "about",
        "title": "About",
        "intro": (
            "<p>We write about building fast, accessible websites with "
            '<a href="https://www.python.org/">Python</a> and '
            '<a href="http://www.sqlite.org/about.html">SQLite</a>.</p>'
        ),
        "body": [
            heading("Get in touch"),
            paragraph(
                '<p>Write to <a href="mailto:hello@example.com">'
                "hello@example.com</a> or call "
                '<a href="tel:+441234567890">+44 1234 567890</a>: neither link '
                "is an outbound click. Follow us on "
                '<a href="https://fosstodon.org/@wagtail">Mastodon</a>.</p>'
            ),
        ],
    },
    {
        "slug": "resources",
        "title": "Resources",
        "intro": "<p>The references we keep open all day.</p>",
        "body": [
            heading("Documentation"),
            paragraph(
                "<ul>"
                '<li><a href="https://docs.djangoproject.com/en/5.2/">Django '
                "documentation</a></li>"
                '<li><a href="https://developer.mozilla.org/en-US/docs/Web/HTML">'
                "MDN: HTML</a></li>"
                '<li><a href="https://docs.python.org/3/library/">The Python '
                "standard library</a></li>"
                '<li><a href="https://www.w3.org/WAI/standards-guidelines/wcag/">'
                "WCAG overview</a></li>"
                "</ul>"
            ),
            heading("Advertising"),
            paragraph(
                # The rich-text "No tracking" mark, as the editor's toolbar stores it.
                '<p><a href="https://ads.example.net/offer?slot=resources">'
                '<span data-outbound-no-track="true">Sponsored: hosting at half '
                "price</span></a> (not counted: marked “No tracking” in the "
                "editor).</p>"
            ),
            button(
                "https://ads.example.net/offer?slot=button",
                "Sponsored offer (not counted)",
                track=False,
            ),
        ],
    },
    {
        "slug": "partners",
        "title": "Partners",
        # The per-page switch of OutboundTrackingMixin: this page gets no tracker.
        "track_outbound_clicks": False,
        "intro": (
            "<p>Clicks on this page are not counted at all: its \u201cTrack "
            "outbound link clicks\u201d switch is off (Settings tab).</p>"
        ),
        "body": [
            paragraph(
                '<p><a href="https://www.torchbox.com/">Torchbox</a> and '
                '<a href="https://www.netlify.com/">Netlify</a> support us.</p>'
            ),
        ],
    },
]

BLOG = {
    "slug": "blog",
    "title": "Blog",
    "intro": "<p>Notes on the web, privacy and the tools we use.</p>",
}

POSTS = [
    {
        "slug": "choosing-a-host",
        "title": "Choosing a host for a small Wagtail site",
        "date": datetime.date(2026, 9, 14),
        "intro": "<p>Three places we have run Wagtail, and what they cost.</p>",
        "body": [
            paragraph(
                "<p>All three run Django happily; "
                '<a href="https://www.postgresql.org/">PostgreSQL</a> is the '
                "database we pick every time.</p>"
            ),
            # The seed's affiliate pattern, in rich text...
            paragraph(
                '<p><a href="https://www.digitalocean.com/?refcode=outbounddemo" '
                'data-insights-event="affiliate_click" '
                'data-insights-category="conversion">DigitalOcean</a> '
                "(affiliate link)</p>"
            ),
            # ...and as an editor-controlled link button.
            button(
                "https://fly.io/?ref=outbound-demo",
                "Try Fly.io",
                event="affiliate_click",
                category="conversion",
            ),
            button(
                "https://render.com/?ref=outbound-demo",
                "Try Render",
                event="affiliate_click",
                category="conversion",
            ),
        ],
    },
    {
        "slug": "privacy-friendly-analytics",
        "title": "Analytics without cookies",
        "date": datetime.date(2026, 10, 2),
        "intro": "<p>What you can learn without tracking people.</p>",
        "body": [
            paragraph(
                "<p>Counting clicks is not tracking people. Read what "
                '<a href="https://noyb.eu/en">noyb</a> and the '
                '<a href="https://gdpr.eu/cookies/">GDPR guide to cookies</a> '
                "say, then compare "
                '<a href="https://plausible.io/docs/outbound-link-click-tracking">'
                "Plausible</a> and "
                '<a href="https://matomo.org/faq/">Matomo</a>.</p>'
            ),
        ],
    },
    {
        "slug": "accessibility-checklist",
        "title": "A ten-minute accessibility checklist",
        "date": datetime.date(2026, 10, 28),
        "intro": "<p>Small fixes that help every visitor.</p>",
        "body": [
            paragraph(
                '<p>Start with <a href="https://webaim.org/resources/contrastchecker/">'
                "WebAIM's contrast checker</a> and "
                '<a href="https://www.a11yproject.com/checklist/">the A11Y '
                "Project checklist</a>.</p>"
            ),
            button("https://web.dev/learn/accessibility", "Learn accessibility"),
        ],
    },
    {
        "slug": "books-we-recommend",
        "title": "Books we recommend",
        "date": datetime.date(2026, 11, 16),
        "intro": "<p>Our shelf, with affiliate links that fund the site.</p>",
        "body": [
            button(
                "https://www.amazon.com/dp/1735467200?tag=outbounddemo-20",
                "Django for Beginners",
                event="affiliate_click",
                category="books",
            ),
            button(
                "https://www.packtpub.com/product/web-development-with-django",
                "Web Development with Django",
                event="affiliate_click",
                category="books",
            ),
        ],
    },
]
