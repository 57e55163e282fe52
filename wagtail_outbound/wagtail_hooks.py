"""Every place where wagtail-outbound plugs into Wagtail.

Each hook delegates to the module that owns the behaviour.
"""

from wagtail import hooks

from . import injection


# order=1 puts this inside Wagtail's view-restriction check (order 0), so
# password and login pages of restricted pages never get the tracker.
@hooks.register("on_serve_page", order=1)
def add_outbound_tracker(next_serve):
    return injection.serve_with_tracker(next_serve)
