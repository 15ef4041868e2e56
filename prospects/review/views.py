"""Panel pages for review: the queue, the review actions on a draft, corrections, and the
scores of a workflow's versions."""

import django_filters
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST

from builder.models import Workflow
from builder.selectors import workflow_version_choices
from builder.versions import version_state
from core.forms import add_service_error
from core.roles import (
    allow,
    can_clear_safety,
    can_read_corrections,
    can_review,
    has_any_role,
)
from engines.holds import HoldReason
from engines.moves import move_meaning, move_name
from prospects import selectors
from prospects.deciding.safety_memory import open_safety_cues
from prospects.drafting.queue import draft_again
from prospects.models import Correction, Draft
from prospects.review.forms import (
    ApproveForm,
    CorrectForm,
    DraftAgainForm,
    MoveForm,
    QueueFiltersForm,
    RejectForm,
    SkipForm,
    template_key_choices,
)
from prospects.review.labels import move_label_correct
from prospects.review.services import (
    DraftConflict,
    draft_approve,
    draft_correct,
    draft_reject,
    draft_skip,
    review_claim,
)
from prospects.review.textdiff import word_diff
from prospects.scores import Scores, draft_scores
from prospects.vocabulary import say

QUEUE_SIDEBAR = 30
QUEUE_COUNT_CAP = 999
CORRECTIONS_PER_PAGE = 25
MAX_SKIPPED = 500
ANY = "Any"


class ByWorkflowVersion(django_filters.FilterSet):
    """A filter on the workflow version, its choices read as plain (id, label) rows rather
    than model instances, and only when the form is drawn or a version is asked for: the
    review actions' panes never draw it."""

    workflow_version = django_filters.ChoiceFilter(label="Workflow version", empty_label=ANY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["workflow_version"].extra["choices"] = SimpleLazyObject(
            workflow_version_choices
        )


class ReviewQueueFilter(ByWorkflowVersion):
    template_key = django_filters.ChoiceFilter(
        field_name="decision__template_key",
        label="Reply",
        choices=SimpleLazyObject(template_key_choices),
        empty_label=ANY,
    )
    engine = django_filters.CharFilter(field_name="engine_id", label="Engine")
    hold_reason = django_filters.ChoiceFilter(
        label="Hold reason", choices=HoldReason.choices, empty_label=ANY
    )

    class Meta:
        model = Draft
        fields = ["template_key", "workflow_version", "engine", "hold_reason"]


def _queue(request, filter_data: QueryDict) -> ReviewQueueFilter:
    skipped = request.session.get("review_skipped", [])
    queue = selectors.review_queue(request.user).exclude(id__in=skipped)
    return ReviewQueueFilter(filter_data, queryset=queue)


def _neighbours(queue, listed: list, draft: Draft) -> tuple:
    """The ids of the drafts before and after ``draft`` in the queue. ``listed`` is the
    head of the queue (the sidebar's ids): read off it unless ``draft`` is past its end."""
    if draft.id in listed:
        at = listed.index(draft.id)
        before = listed[at - 1] if at else None
        if at + 1 < len(listed) or len(listed) < QUEUE_SIDEBAR:
            return before, listed[at + 1] if at + 1 < len(listed) else None
    ids = queue.values_list("id", flat=True)
    earlier = Q(created_at__lt=draft.created_at) | Q(created_at=draft.created_at, id__lt=draft.id)
    later = Q(created_at__gt=draft.created_at) | Q(created_at=draft.created_at, id__gt=draft.id)
    return (
        ids.filter(earlier).order_by("-created_at", "-id").first(),
        ids.filter(later).first(),
    )


def _pane(request, filter_data: QueryDict, *, at=None, extra=None, refused=None):
    """The review pane: the draft ``at`` (else the oldest in the queue), claimed for the
    user, with its thread, decision, chain and exemplars, its action forms, and the queue
    beside it. ``refused`` is an action's form with errors, shown if its draft is."""
    queue_filter = _queue(request, filter_data)
    queue = queue_filter.qs if queue_filter.is_valid() else Draft.objects.none()
    sidebar = list(selectors.queue_sidebar(queue, QUEUE_SIDEBAR))
    listed = [item.id for item in sidebar]
    current = queue.values_list("id", flat=True).filter(id=at).first() if at else None
    for candidate in [current, *listed[:5]]:
        if candidate is not None and review_claim(draft_id=candidate, user=request.user):
            current = candidate
            break
    else:
        current = None
    context = {
        "filter": queue_filter,
        "filters": filter_data.urlencode(),
        "filtered": any(filter_data.values()),
        "queue": sidebar,
        # Counting past the cap would read every held draft on each action; unordered,
        # the count stops at the cap instead of sorting every match first.
        "queue_count": queue.order_by()[: QUEUE_COUNT_CAP + 1].count(),
        "queue_count_cap": QUEUE_COUNT_CAP,
        "queue_preview_chars": selectors.QUEUE_PREVIEW_CHARS,
        **(extra or {}),
    }
    if current is not None:
        draft = selectors.review_item(current)
        previous, following = _neighbours(queue, listed, draft)
        action_forms = {form_class.action: form_class(draft=draft) for form_class in PANE_FORMS}
        if refused is not None and refused.draft.id != draft.id:
            refused = None
        if refused is not None:
            action_forms[refused.action] = refused
        context |= {
            "forms": action_forms,
            "refused": refused,
            "draft": draft,
            "previous": previous,
            "next": following,
            "recent_messages": selectors.recent_messages(draft),
            "safety_cues": open_safety_cues(draft.thread_id),
            "can_clear_safety": can_clear_safety(request.user),
            "thread_id": draft.thread_id,
            "exemplars": selectors.retrieved_corrections(draft),
        }
    return context


@allow(can_review)
def review_queue(request):
    filter_data = request.GET.copy()
    at = filter_data.pop("at", [None])[-1]
    return render(
        request, "prospects/review.html", _pane(request, filter_data, at=_uuid_or_none(at))
    )


@allow(can_review)
@require_POST
def review_action_hx(request, draft_id, action):
    """Approve, correct, reject or skip, then the pane for the next draft in the queue."""
    if action not in ACTIONS:
        raise Http404
    form_class, act = ACTIONS[action]
    filters = QueueFiltersForm(request.POST)
    filter_data = filters.cleaned_data["filters"] if filters.is_valid() else QueryDict(mutable=True)
    draft = get_object_or_404(Draft.objects.select_related("decision"), id=draft_id)
    form = form_class(request.POST, draft=draft)
    extra = {}
    if form.is_valid():
        try:
            extra = act(request, draft, form.cleaned_data)
        except DraftConflict as conflict:
            messages.warning(request, str(conflict))
        except ValidationError as invalid:
            add_service_error(form, invalid)
    if form.errors:
        # The coworker stays on this draft, with what they typed and the errors beside it.
        # An open form's errors are where the coworker is; a button's show in a box above
        # the buttons, which the page scrolls to, as the buttons may be stuck far below it.
        refused = render(
            request,
            "prospects/_review_pane.html",
            _pane(request, filter_data, at=draft.id, refused=form),
            status=400,
        )
        refused["HX-Reswap"] = "innerHTML" + ("" if form.form_id else " show:#review-refusal:top")
        return refused
    # A move correction labels the decision; the draft itself still waits for its review.
    stay = draft.id if action == "move" else None
    return render(
        request, "prospects/_review_pane.html", _pane(request, filter_data, at=stay, extra=extra)
    )


def _approve(request, draft: Draft, data: dict) -> dict:
    draft_approve(
        draft_id=draft.id, user=request.user, override=data["override"], reason=data["reason"]
    )
    messages.success(request, "Approved; it is on its way.")
    return {}


def _again(request, draft: Draft, data: dict) -> dict:
    draft_again(draft_id=draft.id, user=request.user)
    messages.success(request, "Queued for the worker to draft again.")
    return {}


def _correct(request, draft: Draft, data: dict) -> dict:
    original = draft.body
    corrected = draft_correct(
        draft_id=draft.id,
        user=request.user,
        body=data["body"],
        reason_tags=data["reason_tags"],
        override=data["override"],
        reason=data["reason"],
    )
    messages.success(request, "Corrected and approved; the correction is recorded.")
    correction = Correction.objects.filter(draft=corrected).first()
    return {"last_diff": word_diff(original, corrected.body), "last_correction": correction}


def _reject(request, draft: Draft, data: dict) -> dict:
    draft_reject(draft_id=draft.id, user=request.user, reason_tags=data["reason_tags"])
    messages.success(request, "Rejected; the rejection is recorded.")
    return {}


def _move(request, draft: Draft, data: dict) -> dict:
    label = move_label_correct(
        decision_id=draft.decision_id, move=data["move"], reason=data["reason"], user=request.user
    )
    messages.success(
        request,
        f"Move recorded as {move_name(label.move)} ({move_meaning(label.move)}); "
        "the classifier learns from it.",
    )
    return {}


def _skip(request, draft: Draft, data: dict) -> dict:
    draft_skip(draft_id=draft.id, user=request.user)
    skipped = request.session.get("review_skipped", [])
    request.session["review_skipped"] = [*skipped, str(draft.id)][-MAX_SKIPPED:]
    messages.info(request, "Skipped; it stays in the queue for others.")
    return {}


ACTIONS = {
    "approve": (ApproveForm, _approve),
    "again": (DraftAgainForm, _again),
    "correct": (CorrectForm, _correct),
    "reject": (RejectForm, _reject),
    "move": (MoveForm, _move),
    "skip": (SkipForm, _skip),
}

# The forms the pane draws for a draft (the other actions are buttons).
PANE_FORMS = (ApproveForm, CorrectForm, RejectForm, MoveForm)


def _uuid_or_none(value):
    try:
        return Draft._meta.pk.to_python(value) if value else None
    except ValidationError:
        return None


class CorrectionFilter(ByWorkflowVersion):
    engine = django_filters.CharFilter(field_name="engine_id", label="Engine")
    kind = django_filters.ChoiceFilter(
        label="Kind", choices=Correction.Kind.choices, empty_label=ANY
    )
    template_key = django_filters.ChoiceFilter(
        label="Reply", choices=SimpleLazyObject(template_key_choices), empty_label=ANY
    )

    class Meta:
        model = Correction
        fields = ["engine", "workflow_version", "kind", "template_key"]


@allow(can_read_corrections)
def correction_list(request):
    corrections = CorrectionFilter(request.GET, queryset=selectors.corrections_list())
    rows = corrections.qs if corrections.is_valid() else Correction.objects.none()
    page = Paginator(rows, CORRECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "prospects/corrections.html",
        {"filter": corrections, "page": page, "query": query.urlencode()},
    )


@allow(can_read_corrections)
def correction_detail(request, correction_id):
    correction = get_object_or_404(selectors.corrections_list(), id=correction_id)
    diff = (
        word_diff(correction.original_text, correction.corrected_text)
        if correction.corrected_text is not None
        else None
    )
    return render(
        request, "prospects/correction_detail.html", {"correction": correction, "diff": diff}
    )


@allow(has_any_role)
def workflow_scores_hx(request, workflow_id):
    """Scores per version, loaded into the builder's workflow page."""
    workflow = get_object_or_404(Workflow, id=workflow_id)
    versions = list(workflow.versions.select_related("workflow").order_by("-number"))
    scores = draft_scores(
        "workflow_version", Draft.objects.filter(workflow_version__workflow=workflow)
    )
    rows = [
        (version, version_state(version), scores.get(version.id, Scores())) for version in versions
    ]
    return render(request, "prospects/_version_scores.html", {"rows": rows})


def _review_action(request, draft_id, action):
    draft = get_object_or_404(Draft, id=draft_id)
    status = 200
    try:
        draft = action(draft_id=draft.id, user=request.user)
    except DraftConflict as conflict:
        draft = conflict.draft
        now_is = say("draft_status", draft.status).lower()
        messages.warning(request, f"Someone already acted on this draft: it is {now_is}.")
    except ValidationError as invalid:
        # No fields here to put it beside: the refusal shows in the draft, as an alert.
        messages.error(request, " ".join(invalid.messages) + " (The review queue can do it.)")
        status = 400
    return render(
        request, "prospects/_draft.html", {"draft": draft, "can_review": True}, status=status
    )


@allow(can_review)
@require_POST
def draft_approve_hx(request, draft_id):
    return _review_action(request, draft_id, draft_approve)


@allow(can_review)
@require_POST
def draft_reject_hx(request, draft_id):
    return _review_action(request, draft_id, draft_reject)
