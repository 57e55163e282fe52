"""Every place where wagtail-outbound plugs into Wagtail.

Each hook delegates to the module that owns the behaviour.
"""

from django.urls import include, path
from wagtail import hooks

from . import admin_urls, dashboard, injection, menu, overlay, permissions, rich_text


# order=1 puts this inside Wagtail's view-restriction check (order 0), so
# password and login pages of restricted pages never get the tracker.
@hooks.register("on_serve_page", order=1)
def add_outbound_tracker(next_serve):
    return injection.serve_with_tracker(next_serve)


# The "No tracking" toolbar control for links in rich text, on by default.
# order=100: after Wagtail's own features, so that it can follow "link".
@hooks.register("register_rich_text_features", order=100)
def register_no_track_feature(features):
    rich_text.register(features)


# Reports: the permission, its menu item, admin URLs, dashboard and page actions.
@hooks.register("register_permissions")
def register_report_permission():
    return permissions.permissions_for_group_editor()


@hooks.register("register_admin_menu_item")
def register_reports_menu_item():
    return menu.menu_item()


@hooks.register("register_admin_urls")
def register_report_urls():
    return [path("outbound/", include(admin_urls))]


@hooks.register("construct_homepage_panels")
def add_dashboard_panels(request, panels):
    dashboard.add_panels(request, panels)


@hooks.register("construct_homepage_summary_items")
def add_clicks_summary_item(request, items):
    dashboard.add_summary_item(request, items)


@hooks.register("register_page_header_buttons")
def add_page_header_button(page, user, view_name=None, next_url=None):
    return menu.page_buttons(page, user)


@hooks.register("register_page_listing_more_buttons")
def add_page_listing_button(page, user, next_url=None):
    return menu.page_buttons(page, user)


# Counts drawn on the page's links, in the preview panel and on the live page,
# through an "Outbound clicks" item for users who may see the reports.
@hooks.register("construct_wagtail_userbar")
def add_outbound_clicks_userbar_item(request, items, page=None):
    overlay.add_userbar_item(request, items, page)
