"""What the live-latency and engine-saturation benchmarks share: a 3-step chain on the
fixed-latency server and threads with a decision for a drafting job to re-draft."""

from datetime import UTC, datetime

from builder.services import workflow_create, workflow_publish
from config.celery import app as celery_app
from prospects.inbound.ingest import Inbound, inbound_ingest

STEPS = 3


def three_step_workflow(slug: str) -> None:
    """Two think steps and the draft, for every message (on the active draft engine)."""
    version = workflow_create(
        slug=slug,
        definition={
            "name": "Bench: three steps",
            "appliesTo": {"archetypes": [], "states": [], "templateKeys": []},
            "context": [{"text": "Be brief."}],
            "steps": [
                {"think": "What do they want?"},
                {"think": "What moves them to a time?"},
                {"draft": "Write the reply.", "maxChars": 300},
            ],
            "priority": 100,
        },
    )
    workflow_publish(version=version, note="bench")


def inbound(prefix: str, key: str, body: str) -> Inbound:
    return Inbound(
        external_id=f"{prefix}-{key}",
        thread=f"{prefix}-{key}",
        sender="Bench",
        body=body,
        received_at=datetime.now(UTC),
    )


def threads_to_redraft(prefix: str, count: int) -> list:
    """Threads with a decision to re-draft, made by ingesting while the draft engine is
    still the template one; their own live drafts are drafted inline here, as they are
    not what is measured."""
    celery_app.conf.task_always_eager = True
    try:
        return [
            inbound_ingest(
                inbound=inbound(prefix, f"job-{n}", "Hi there, nice to meet you")
            ).decision.thread_id
            for n in range(count)
        ]
    finally:
        celery_app.conf.task_always_eager = False
