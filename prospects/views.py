"""The panel: thin views over selectors and services."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from builder.models import WorkflowVersion
from config.roles import can_change_engine, can_review, role_required
from engines.selectors import model_endpoints, selectable_engine_ids
from prospects import selectors
from prospects.models import Draft, Thread
from prospects.preview import can_run_on_model, preview_build
from prospects.services import DraftConflict, draft_approve, draft_engine_set, draft_reject

THREADS_PER_PAGE = 25


@role_required
def dashboard(request):
    return render(
        request,
        "prospects/dashboard.html",
        {
            "counts": selectors.draft_counts_by_status(),
            "settings_row": selectors.pipeline_settings(),
            "decisions": selectors.recent_decisions(),
            "endpoints": model_endpoints(),
        },
    )


@role_required
def thread_list(request):
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.threads_search(query), THREADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "query": query}
    template = "prospects/_thread_list.html" if request.htmx else "prospects/thread_list.html"
    return render(request, template, context)


@role_required
def thread_detail(request, thread_id):
    get_object_or_404(Thread, id=thread_id)
    return render(
        request,
        "prospects/thread_detail.html",
        {
            "thread": selectors.thread_with_history(thread_id),
            "can_review": can_review(request.user),
        },
    )


def _review_action(request, draft_id, action):
    if not can_review(request.user):
        raise PermissionDenied
    draft = get_object_or_404(Draft, id=draft_id)
    try:
        draft = action(draft_id=draft.id, user=request.user)
    except DraftConflict as conflict:
        draft = conflict.draft
        messages.warning(request, f"Someone already acted on this draft: it is {draft.status}.")
    return render(request, "prospects/_draft.html", {"draft": draft, "can_review": True})


@role_required
@require_POST
def draft_approve_hx(request, draft_id):
    return _review_action(request, draft_id, draft_approve)


@role_required
@require_POST
def draft_reject_hx(request, draft_id):
    return _review_action(request, draft_id, draft_reject)


@role_required
def engine_settings(request):
    row = selectors.pipeline_settings()
    return render(
        request,
        "prospects/settings.html",
        {
            "settings_row": row,
            "engine_ids": selectable_engine_ids(),
            "history": selectors.settings_history(),
            "can_change": can_change_engine(request.user),
        },
    )


@role_required
@require_POST
def engine_change_hx(request):
    """Step one asks for confirmation; step two (``confirm=yes``) flips the engine."""
    if not can_change_engine(request.user):
        raise PermissionDenied
    engine_id = request.POST.get("draft_engine", "")
    row = selectors.pipeline_settings()
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "prospects/_engine_confirm.html",
            {"current": row.draft_engine, "engine_id": engine_id},
        )
    try:
        draft_engine_set(engine_id=engine_id, user=request.user)
    except ValidationError as error:
        return render(
            request,
            "prospects/_engine_form.html",
            {
                "settings_row": row,
                "engine_ids": selectable_engine_ids(),
                "error": " ".join(error.message_dict["draft_engine"]),
                "can_change": True,
            },
        )
    messages.success(request, f"Draft engine is now {engine_id}.")
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("prospects:settings")


@role_required
def workflow_preview(request, workflow_id, number):
    """Runs a workflow version on a chosen thread (template engine; prompts per step)."""
    version = get_object_or_404(
        WorkflowVersion.objects.select_related("workflow"), workflow_id=workflow_id, number=number
    )
    threads = selectors.threads_with_decisions()
    thread_id = request.GET.get("thread", "")
    preview = None
    if thread_id:
        thread = get_object_or_404(Thread, id=_uuid_or_404(thread_id))
        on_model = request.GET.get("run") == "model"
        preview = preview_build(version=version, thread=thread, on_model=on_model)
    return render(
        request,
        "prospects/workflow_preview.html",
        {
            "version": version,
            "threads": threads,
            "thread_id": thread_id,
            "preview": preview,
            "can_run_on_model": can_run_on_model(version),
        },
    )


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise Http404("No such thread.") from error
