"""The services enqueue tasks by name: every name they use is a registered task."""

import ast
from pathlib import Path

from celery import current_app

import prospects.enqueue

TASK_PREFIX = "prospects.tasks."


def enqueued_names() -> set[str]:
    tree = ast.parse(Path(prospects.enqueue.__file__).read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "_task"
        and isinstance(node.args[0], ast.Constant)
    }


def test_every_task_the_services_enqueue_is_registered():
    names = enqueued_names()
    assert len(names) == 8
    missing = {name for name in names if TASK_PREFIX + name not in current_app.tasks}
    assert not missing
