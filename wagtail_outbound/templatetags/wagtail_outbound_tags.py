import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ..injection import tracker_tag

register = template.Library()

# A segment and the run of separators after it: "https://" stays one run, so
# no break falls between its two slashes.
_SEGMENT = re.compile(r"[^/.?&=#]+[/.?&=#]*|[/.?&=#]+")


@register.simple_tag(takes_context=True)
def outbound_tracker(context):
    """Render the tracker tag, for pages that Wagtail does not serve.

    ``{% load wagtail_outbound_tags %}{% outbound_tracker %}`` before ``</body>``.
    On a Wagtail page that also gets the hook, the page still loads it once.
    """
    page = context.get("page")
    return tracker_tag(context.get("request"), page if hasattr(page, "pk") else None)


@register.filter
def outbound_breakable(value):
    """Escape ``value`` as text and let it wrap after ``/ . ? & = #``.

    ``<wbr>`` marks where a long URL or domain may break in a narrow table
    cell, so it never breaks inside a word. Every piece is escaped, even when
    ``value`` is marked safe: URLs and domains come from visitors.
    """
    parts = _SEGMENT.findall("" if value is None else str(value))
    return mark_safe("<wbr>".join(escape(part) for part in parts))  # noqa: S308
