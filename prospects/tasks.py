from celery import shared_task

from prospects.dispatch import draft_dispatch


@shared_task(acks_late=True, reject_on_worker_lost=True)
def dispatch_draft(draft_id: str) -> None:
    draft_dispatch(draft_id=draft_id)
