"""Audit rows for conditional updates.

django-simple-history records ``save()``, not queryset ``.update()``; a state change made
as a conditional update (only one caller wins) writes its history row with this, in the
same transaction.
"""

from django.db import models

from core.clock import now

# django-simple-history's history_change_reason is a varchar(100).
CHANGE_REASON_LENGTH = 100


def change_reason(text: str) -> str:
    """``text`` as a history row can keep it: cut to fit, with an ellipsis, where the full
    words are kept on the row itself (a cue's ``clear_reason``)."""
    if len(text) <= CHANGE_REASON_LENGTH:
        return text
    return text[: CHANGE_REASON_LENGTH - 1] + "…"


def history_record_update(model: type[models.Model], pk, *, reason: str, user=None):
    """Writes a change row ("~") of the row ``pk`` as it is now; returns the row."""
    row = model.objects.get(pk=pk)
    history = model.history.model
    history.objects.create(
        history_date=now(),
        history_type="~",
        history_user=user,
        history_change_reason=change_reason(reason),
        **{field.attname: getattr(row, field.attname) for field in history.tracked_fields},
    )
    return row
