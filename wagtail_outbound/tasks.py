"""Background tasks, for sites that run a django-tasks worker.

Django 6 ships the tasks framework as ``django.tasks``; Wagtail 7 and 8 bring
the ``django-tasks`` package with the same API.
"""

try:
    from django.tasks import task
except ImportError:
    from django_tasks import task

from .aggregation import aggregate
from .retention import prune


@task()
def aggregate_outbound_clicks():
    """Count the clicks waiting in the inbox (``outbound_aggregate``)."""
    return aggregate()


@task()
def prune_outbound_history():
    """Delete click history older than each site's retention (``outbound_prune``)."""
    return prune()
