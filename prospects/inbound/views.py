"""Panel pages for threads: the list with search, and one thread's messages, decisions and
drafts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.forms import add_service_error
from core.roles import (
    allow,
    can_clear_safety,
    can_record_outcome,
    can_review,
    has_any_role,
)
from engines.selectors import selectable_engine_ids
from prospects import selectors
from prospects.deciding.safety_memory import open_safety_cues, safety_memory_clear
from prospects.inbound.forms import OutcomeForm, SafetyClearForm
from prospects.models import Outcome, Thread, ThreadOutcome
from prospects.outcomes import outcome_latest, outcome_record
from prospects.waiting import WaitingReader

THREADS_PER_PAGE = 25


@allow(has_any_role)
def thread_list(request):
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.threads_search(query), THREADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "query": query, "engine_ids": selectable_engine_ids()}
    template = "prospects/_thread_list.html" if request.htmx else "prospects/thread_list.html"
    return render(request, template, context)


@allow(has_any_role)
def thread_detail(request, thread_id):
    return _thread_page(request, thread_id)


def _thread_page(request, thread_id, *, safety_clear_form=None, outcome_form=None, status=200):
    get_object_or_404(Thread, id=thread_id)
    thread = selectors.thread_with_history(thread_id)
    reader = WaitingReader()
    for draft in thread.drafts.all():
        draft.waiting = reader.for_draft(draft)
    return render(
        request,
        "prospects/thread_detail.html",
        {
            "thread": thread,
            "thread_id": thread_id,
            "can_review": can_review(request.user),
            "outcome": outcome_latest(thread_id),
            "outcome_choices": Outcome.choices,
            "can_record_outcome": can_record_outcome(request.user),
            "outcome_form": outcome_form or OutcomeForm(auto_id="outcome_%s"),
            **safety_banner(request.user, thread_id, form=safety_clear_form),
        },
        status=status,
    )


def safety_banner(user, thread_id, *, form=None) -> dict:
    """What ``_safety_banner.html`` shows: the thread's open cues, and for an admin the
    form that clears them."""
    return {
        "safety_cues": open_safety_cues(thread_id),
        "can_clear_safety": can_clear_safety(user),
        "safety_clear_form": form or SafetyClearForm(auto_id="safety_%s"),
    }


@allow(can_clear_safety)
@require_POST
def thread_safety_clear(request, thread_id):
    get_object_or_404(Thread, id=thread_id)
    form = SafetyClearForm(request.POST, auto_id="safety_%s")
    if form.is_valid():
        try:
            cleared = safety_memory_clear(
                thread_id=thread_id, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as invalid:
            add_service_error(form, invalid)
    if form.errors:
        return _thread_page(request, thread_id, safety_clear_form=form, status=400)
    messages.success(
        request, f"Cleared {cleared} safety cue(s): replies here follow the send mode again."
    )
    return redirect("prospects:thread_detail", thread_id=thread_id)


@allow(can_record_outcome)
@require_POST
def thread_outcome(request, thread_id):
    thread = get_object_or_404(Thread, id=thread_id)
    form = OutcomeForm(request.POST, auto_id="outcome_%s")
    if form.is_valid():
        try:
            recorded = outcome_record(
                thread=thread,
                outcome=form.cleaned_data["outcome"],
                user=request.user,
                source=ThreadOutcome.Source.PANEL,
                note=form.cleaned_data["note"],
            )
        except ValidationError as invalid:
            add_service_error(form, invalid)
    if form.errors:
        return _thread_page(request, thread_id, outcome_form=form, status=400)
    words = recorded.outcome.get_outcome_display()
    if recorded.created:
        messages.success(
            request,
            f"Outcome recorded: {words}. The thread is now "
            f"{recorded.outcome.thread.get_state_display()}.",
        )
    else:
        messages.info(request, f"The outcome was already {words}: nothing changed.")
    return redirect("prospects:thread_detail", thread_id=thread_id)
