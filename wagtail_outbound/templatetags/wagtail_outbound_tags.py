from django import template

from ..injection import tracker_tag

register = template.Library()


@register.simple_tag(takes_context=True)
def outbound_tracker(context):
    """Render the tracker tag, for pages that Wagtail does not serve.

    ``{% load wagtail_outbound_tags %}{% outbound_tracker %}`` before ``</body>``.
    On a Wagtail page that also gets the hook, the page still loads it once.
    """
    page = context.get("page")
    return tracker_tag(context.get("request"), page if hasattr(page, "pk") else None)
