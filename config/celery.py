import os

from celery import Celery
from celery.signals import task_prerun

import core.logs  # noqa: F401 - connects the signals that tag records with the task id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("prospector")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _retire_old_connections(task=None, **kwargs) -> None:
    """What Django does at the start of each request, at the start of each task: a
    connection past CONN_MAX_AGE or failing its health check is replaced. Not for an
    eager task, which runs inside its caller's transaction (as Celery's own fixup)."""
    from django.db import close_old_connections

    if not getattr(task.request, "is_eager", False):
        close_old_connections()
