"""Review actions on drafts: claim, approve, edit-and-approve, reject and skip.

Each is a conditional update (see ``draft_transition``), so of two coworkers acting on
one draft exactly one wins; the other gets ``DraftConflict`` naming the draft's state.
Opening a draft in the review queue claims it for REVIEW_CLAIM_SECONDS, so two
coworkers working the queue are shown different drafts.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from core.clock import now
from core.untrusted import normalise
from engines.gate import reply_gate
from engines.holds import HoldReason
from prospects.deciding.decision_gate import PERSON_ONLY_RULES, Gate2Rule
from prospects.deciding.safety_memory import remembered_safety
from prospects.drafting.pace import send_cancel, send_schedule
from prospects.drafting.transitions import draft_transition
from prospects.experiments.guardrails import guard_arm
from prospects.models import Correction, Draft, ReasonTag, awaiting_review
from prospects.review.labels import move_label_confirm
from prospects.review.textdiff import edit_distance
from prospects.vocabulary import say

# A reviewed draft the bridge refused may be approved again: that only retries the send.
# A send the bridge may have taken (bridge_unknown) goes again under the same key, so a
# bridge that has it drops the second.
RESEND_HOLDS = (HoldReason.NO_BRIDGE, HoldReason.BRIDGE_ERROR, HoldReason.BRIDGE_UNKNOWN)
# What ``_person_only_holds`` reads of a draft.
_HOLD_FIELDS = ("thread_id", "decision__message_id", "decision__gate2_results")


class DraftConflict(Exception):
    """The draft is no longer awaiting this user's review (someone got there first)."""

    def __init__(self, draft: Draft, user=None, message: str = ""):
        super().__init__(message or conflict_message(draft, user))
        self.draft = draft


def conflict_message(draft: Draft, user=None) -> str:
    if draft.status != Draft.Status.HELD:
        return f"This draft is already {draft.get_status_display().lower()}."
    if draft.reviewed_at is not None:
        return "This draft was already reviewed."
    if claimed_by_other(draft, user):
        return f"{draft.review_claimed_by} is reviewing this draft."
    return "This draft cannot be reviewed now."


def claimed_by_other(draft: Draft, user) -> bool:
    return (
        draft.review_claimed_by_id is not None
        and draft.review_claimed_by_id != getattr(user, "id", None)
        and draft.review_claimed_until is not None
        and draft.review_claimed_until > now()
    )


def review_claim(*, draft_id, user) -> bool:
    """Marks the draft as open by ``user``; False when it is not free for them."""
    return bool(
        Draft.objects.awaiting_review(user)
        .filter(id=draft_id)
        .update(
            review_claimed_by=user,
            review_claimed_until=now() + timedelta(seconds=settings.REVIEW_CLAIM_SECONDS),
        )
    )


# What an approval sets, with or without an edit: the bridge takes it from here.
APPROVED = {
    "status": Draft.Status.APPROVED,
    "hold_reason": "",
    "hold_detail": "",
    "dispatch_claimed_at": None,
}


def _review(draft_id, user, *, reason: str, when: Q | None = None, **changes) -> Draft:
    """Applies ``user``'s review action to a held draft awaiting their review (or matching
    ``when``); raises ``DraftConflict`` when it is not theirs to act on any more."""
    draft = draft_transition(
        draft_id,
        allowed_from=[Draft.Status.HELD],
        when=when if when is not None else awaiting_review(user),
        user=user,
        reason=reason,
        reviewed_by=user,
        reviewed_at=now(),
        review_claimed_by=None,
        review_claimed_until=None,
        **changes,
    )
    if draft is None:
        raise DraftConflict(
            Draft.objects.select_related("review_claimed_by").get(id=draft_id), user
        )
    return draft


def draft_approve(*, draft_id, user, override: bool = False, reason: str = "") -> Draft:
    """Approves a draft awaiting review (or retries the send of one the bridge refused)
    and schedules its send at a human pace (``drafting.pace``) once the approval commits.

    Approving without an edit confirms the decision's move (a label for the classifier).
    Never sends nothing: an empty draft raises ``ValidationError`` on ``body``. A draft
    that failed the validation gate, or that Gate-2 holds for a person (a safety rule, the
    thread's safety memory, a move only a person answers), needs ``override`` (a person's
    explicit "send anyway") and a one-line ``reason``, both recorded with the rules it
    overrode; without them, ``ValidationError`` on ``override`` or ``reason`` names them.
    """
    current = Draft.objects.filter(id=draft_id).values("body", "gate_failed", *_HOLD_FIELDS).first()
    if current is None:
        raise Draft.DoesNotExist(draft_id)
    if not normalise(current["body"]).strip():
        raise ValidationError({"body": "This draft is empty: edit it, or draft it again."})
    _refuse_unreadably_long(current["body"])
    overridden = _overridden_rules(
        current["gate_failed"], _person_only_holds(current), override=override, reason=reason
    )
    resend = Q(hold_reason__in=RESEND_HOLDS, reviewed_at__isnull=False)
    with transaction.atomic():
        draft = _review(
            draft_id,
            user,
            reason=_history_reason("approve", overridden),
            # The body is what the gate judged: if it changed meanwhile, this approval is
            # stale.
            when=(awaiting_review(user) | resend) & Q(body=current["body"]),
            overridden_rules=overridden,
            override_reason=reason.strip() if overridden else "",
            **APPROVED,
        )
        # Approved as drafted: the person agrees with the move the draft answers.
        move_label_confirm(decision_id=draft.decision_id, user=user)
        send_schedule(draft)
    return draft


def _refuse_unreadably_long(body: str) -> None:
    """No override sends more than the gate reads (``reply_gate.READ_CHARS``)."""
    if len(body) > reply_gate.READ_CHARS:
        raise ValidationError(
            {
                "body": f"This reply is {len(body):,} characters; no reply is sent past "
                f"{reply_gate.READ_CHARS:,}: shorten it."
            }
        )


def _person_only_holds(draft: dict) -> list[str]:
    """The Gate-2 rules that keep this draft for a person: those its decision failed, and
    the thread's safety memory if a message tripped a safety rule since."""
    held = [
        result["rule"]
        for result in draft["decision__gate2_results"]
        if not result["passed"] and result["rule"] in PERSON_ONLY_RULES
    ]
    if Gate2Rule.SAFETY_MEMORY not in held and remembered_safety(
        draft["thread_id"], besides_message_id=draft["decision__message_id"]
    ):
        held.append(Gate2Rule.SAFETY_MEMORY.value)
    return held


def _overridden_rules(
    gate_failed: list[str], person_only: list[str], *, override: bool, reason: str
) -> list[str]:
    """The rules a send overrides; ``ValidationError`` when some hold it and no one said to
    send anyway, with a reason."""
    rules = [*gate_failed, *person_only]
    if rules and not override:
        held_by = []
        if gate_failed:
            failed = "; ".join(say("reply_gate", rule).lower() for rule in gate_failed)
            held_by.append(f"It fails the validation gate ({failed})")
        if person_only:
            why = "; ".join(say("decision_gate", rule).lower() for rule in person_only)
            held_by.append(f"Gate-2 holds it for a person ({why})")
        raise ValidationError(
            {"override": f"{'; '.join(held_by)}: send anyway only if you are sure, and say why."}
        )
    if rules and not normalise(reason or "").strip():
        raise ValidationError(
            {"reason": "Say in one line why this reply may go out despite the hold."}
        )
    return rules


# History's change reason holds 100 characters; the person's reason is the draft's own
# override_reason, kept in the same history row.
CHANGE_REASON_CHARS = 100


def _history_reason(action: str, overridden: list[str]) -> str:
    if not overridden:
        return action
    return f"{action}:override {','.join(overridden)}"[:CHANGE_REASON_CHARS]


def clean_reason_tags(tags) -> list[str]:
    """Known tags, deduplicated in the order given; raises ValidationError otherwise."""
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        raise ValidationError({"reason_tags": "Give a list of reason tags."})
    unknown = sorted(set(tags) - set(ReasonTag.values))
    if unknown:
        raise ValidationError(
            {
                "reason_tags": f"Unknown reason tag(s): {', '.join(unknown)}. "
                f"Known: {', '.join(ReasonTag.values)}."
            }
        )
    return list(dict.fromkeys(tags))


def draft_correct(
    *, draft_id, user, body: str, reason_tags=(), override: bool = False, reason: str = ""
) -> Draft:
    """Edit-and-approve: records a correction, then dispatches the corrected text.

    An unchanged body is a plain approval (nothing was corrected). The corrected text
    passes the validation gate like any draft, and Gate-2's person-only holds stay:
    either needs ``override`` and a ``reason``, recorded with the rules. Raises
    ``ValidationError`` for an empty body (invisible characters alone are empty), unknown
    tags or a hold without override and reason, ``DraftConflict`` when the draft is not
    awaiting this user's review.
    """
    body = (body or "").strip()
    if not normalise(body).strip():
        raise ValidationError({"body": "The corrected reply cannot be empty."})
    _refuse_unreadably_long(body)
    tags = clean_reason_tags(list(reason_tags))
    current = Draft.objects.filter(id=draft_id).values("body", "hold_reason", *_HOLD_FIELDS).first()
    if current is None:
        raise Draft.DoesNotExist(draft_id)
    original = current["body"]
    if current["hold_reason"] == HoldReason.BRIDGE_UNKNOWN and body != original.strip():
        # The bridge may have delivered the first text: an edit under the same key would be
        # dropped there and recorded as sent here.
        raise ValidationError(
            {
                "body": "This reply may already have been delivered: approve it to post it "
                "again as it was, or reject it."
            }
        )
    if body == original.strip():
        return draft_approve(draft_id=draft_id, user=user, override=override, reason=reason)
    # The gate reads the text only for a draft awaiting this user's review: anyone else
    # is told who has it, and cannot make the server read text it will never send.
    if not Draft.objects.awaiting_review(user).filter(id=draft_id).exists():
        raise DraftConflict(
            Draft.objects.select_related("review_claimed_by").get(id=draft_id), user
        )
    verdict = reply_gate.check(body, max_chars=settings.DRAFT_MAX_CHARS)
    overridden = _overridden_rules(
        verdict.as_json()["failed"],
        _person_only_holds(current),
        override=override,
        reason=reason,
    )
    with transaction.atomic():
        # The body only changes through this transition, so ``original`` is what it replaces.
        draft = _review(
            draft_id,
            user,
            reason=_history_reason("correct", overridden),
            when=awaiting_review(user) & Q(body=original),
            body=body,
            overridden_rules=overridden,
            override_reason=reason.strip() if overridden else "",
            **APPROVED,
        )
        _record_correction(draft, user, Correction.Kind.EDITED, original, body, tags)
        send_schedule(draft)
    return draft


def draft_send_cancel(*, draft_id, user) -> Draft:
    """Takes an approved reply back before it leaves (``drafting.pace.send_cancel``): it
    waits in the review queue again. ``DraftConflict`` once it has left or is leaving."""
    draft = send_cancel(draft_id=draft_id, user=user)
    if draft is None:
        current = Draft.objects.get(id=draft_id)  # DoesNotExist for an unknown draft
        raise DraftConflict(
            current,
            user,
            "This reply has already left, or is being sent now."
            if current.status in (Draft.Status.APPROVED, Draft.Status.SENT)
            else conflict_message(current, user),
        )
    return draft


def draft_reject(*, draft_id, user, reason_tags=()) -> Draft:
    """Rejects a draft awaiting review and records the rejection as a correction."""
    tags = clean_reason_tags(list(reason_tags))
    with transaction.atomic():
        draft = _review(draft_id, user, reason="reject", status=Draft.Status.REJECTED)
        _record_correction(draft, user, Correction.Kind.REJECTED, draft.body, None, tags)
    if draft.experiment_arm:
        guard_arm(draft.experiment_arm)
    return draft


def draft_skip(*, draft_id, user) -> Draft | None:
    """Hands the draft back to the queue for someone else; None when it was not theirs."""
    return draft_transition(
        draft_id,
        allowed_from=[Draft.Status.HELD],
        when=Q(review_claimed_by=user),
        user=user,
        reason="skip",
        review_claimed_by=None,
        review_claimed_until=None,
    )


def _record_correction(draft: Draft, user, kind, original: str, corrected, tags) -> Correction:
    decision = draft.decision
    return Correction.objects.create(
        draft=draft,
        kind=kind,
        original_text=original,
        corrected_text=corrected,
        reason_tags=tags,
        edit_distance=edit_distance(original, corrected) if corrected is not None else None,
        author=user,
        workflow_version_id=draft.workflow_version_id,
        engine_id=draft.engine_id,
        experiment_arm=draft.experiment_arm,
        template_key=decision.template_key,
        inbound_text=decision.message.body,
    )
