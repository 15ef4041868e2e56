"""The workflow preview page: thin views over prospects/jobs/preview.py."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from builder.models import WorkflowVersion
from core.roles import allow, can_run_preview_on_model, can_use_gpu_levers, has_any_role
from prospects import selectors
from prospects.jobs.forms import PreviewRunForm
from prospects.jobs.preview import preview_build, preview_run_request
from prospects.models import Thread, WorkflowPreviewRun


def _version(workflow_id, number) -> WorkflowVersion:
    return get_object_or_404(
        WorkflowVersion.objects.select_related("workflow"), workflow_id=workflow_id, number=number
    )


def _latest_run(version, thread) -> WorkflowPreviewRun | None:
    return WorkflowPreviewRun.objects.filter(version=version, thread=thread).first()


@allow(has_any_role)
def workflow_preview(request, workflow_id, number):
    """A version on a chosen thread: the engine the rule picks, the template output, the
    prompts per step, and the latest chain run on the model (made by the worker)."""
    return _preview_page(request, _version(workflow_id, number), request.GET.get("thread", ""))


def _preview_page(request, version, thread_id: str, run_form=None, status: int = 200):
    preview = run = None
    if thread_id:
        thread = get_object_or_404(Thread, id=_uuid_or_404(thread_id))
        preview = preview_build(version=version, thread=thread)
        run = _latest_run(version, thread)
    return render(
        request,
        "prospects/workflow_preview.html",
        {
            "version": version,
            "threads": selectors.threads_with_decisions(),
            "thread_id": thread_id,
            "preview": preview,
            "run": run,
            "run_form": run_form,
            "can_run": can_run_preview_on_model(request.user),
            "can_start_machine": can_use_gpu_levers(request.user),
        },
        status=status,
    )


@allow(can_run_preview_on_model)
@require_POST
def workflow_preview_run(request, workflow_id, number):
    """Queues the chain on the model for the worker; the page then polls the run."""
    version = _version(workflow_id, number)
    form = PreviewRunForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return render(request, "prospects/_preview_run.html", {"run_form": form}, status=400)
        return _preview_page(request, version, "", run_form=form, status=400)
    thread = form.cleaned_data["thread"]
    start_machine = form.cleaned_data["start_machine"]
    run, problem = None, ""
    if start_machine and not can_use_gpu_levers(request.user):
        problem = "Only an admin may start a GPU machine: ask one, or use the GPU page."
    else:
        try:
            run = preview_run_request(
                version=version, thread=thread, user=request.user, start_machine=start_machine
            )
        except ValueError as refused:
            problem = str(refused)
    if request.htmx:
        return render(request, "prospects/_preview_run.html", {"run": run, "run_error": problem})
    if problem:
        messages.error(request, problem)
    url = reverse("prospects:workflow_preview", args=[workflow_id, number])
    return redirect(f"{url}?thread={thread.id}")


@allow(has_any_role)
def preview_run_progress_hx(request, run_id):
    """The run's state, polled until it is done or failed; 286 stops the polling."""
    run = get_object_or_404(WorkflowPreviewRun, id=run_id)
    response = render(request, "prospects/_preview_run.html", {"run": run})
    if run.is_finished:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise Http404("No such thread.") from error
