"""Background tasks, for sites that run a django-tasks worker.

Django 6 ships the tasks framework as ``django.tasks``; Wagtail 7 and 8 bring
the ``django-tasks`` package with the same API.
"""

try:
    from django.tasks import task
except ImportError:
    from django_tasks import task

from . import inventory
from .aggregation import aggregate
from .health import check_links
from .retention import prune


@task()
def aggregate_outbound_clicks():
    """Count the clicks waiting in the inbox (``outbound_aggregate``)."""
    return aggregate()


@task()
def prune_outbound_history():
    """Delete click history older than each site's retention (``outbound_prune``)."""
    return prune()


@task()
def check_outbound_links(limit=None):
    """Check the outbound links that are due (``outbound_check_links``);
    returns how many ended in each status."""
    return dict(check_links(limit=limit))


@task()
def refresh_page_links(page_id, moved=False):
    """Make the link inventory of one page match what it serves now (on
    publish, unpublish, move and delete: ``signals``)."""
    return inventory.refresh_page(page_id, moved=moved)
