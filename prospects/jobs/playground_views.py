"""The playground page: thin views over prospects/jobs/playground.py."""

import uuid

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from core.roles import allow, can_run_preview_on_model
from prospects.jobs.forms import PlaygroundForm
from prospects.jobs.playground import playground_run_request
from prospects.models import PlaygroundRun

RECENT_RUNS = 10


def _page(request, form, run=None, status: int = 200):
    recent = PlaygroundRun.objects.filter(requested_by=request.user)[:RECENT_RUNS]
    return render(
        request,
        "prospects/playground.html",
        {"form": form, "run": run, "recent": recent},
        status=status,
    )


@allow(can_run_preview_on_model)
def playground(request):
    """The form, and the run named in ``?run=`` (runs are the team's, as preview runs are;
    the list below the form is the user's own)."""
    run = None
    if run_id := request.GET.get("run"):
        run = PlaygroundRun.objects.filter(id=_uuid_or_none(run_id)).first()
    initial = {"text": run.text, "engine_id": run.engine_id} if run else None
    if run:
        initial |= {"thread_state": run.thread_state, "archetype": run.archetype}
    return _page(request, PlaygroundForm(initial=initial), run)


@allow(can_run_preview_on_model)
@require_POST
def playground_run(request):
    """Queues the text for the worker; the page then polls the run."""
    form = PlaygroundForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        run = playground_run_request(user=request.user, **form.cleaned_data)
    except ValueError as refused:
        form.add_error("engine_id", str(refused))
        return _page(request, form, status=400)
    return redirect(f"{request.path.removesuffix('run/')}?run={run.id}")


@allow(can_run_preview_on_model)
def playground_run_hx(request, run_id):
    """The run's stages, polled until it is finished; 286 stops the polling."""
    run = get_object_or_404(PlaygroundRun, id=run_id)
    response = render(request, "prospects/_playground_run.html", {"run": run})
    if run.is_finished:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
