"""Scheduled sends and the send pace: thin views over prospects/drafting/pace.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.forms import add_service_error
from core.roles import allow, can_change_engine, can_review, has_any_role
from prospects import selectors
from prospects.drafting.pace import PACE_FIELDS, send_pace, send_pace_update, thread_zone
from prospects.models import Draft, SendPace
from prospects.review.forms import SendPaceForm
from prospects.review.services import DraftConflict, draft_send_cancel

SENDS_PER_PAGE = 50


@allow(can_review)
def scheduled_sends(request):
    """Approved replies waiting for their release time, soonest first."""
    page = Paginator(selectors.scheduled_sends(), SENDS_PER_PAGE).get_page(request.GET.get("page"))
    for draft in page:
        zone = thread_zone(draft.thread.time_zone)
        draft.local_release = draft.release_at.astimezone(zone)
        draft.zone_name = str(zone)
    return render(request, "prospects/scheduled_sends.html", {"page": page})


@allow(can_review)
@require_POST
def send_cancel_view(request, draft_id):
    get_object_or_404(Draft, id=draft_id)
    try:
        draft_send_cancel(draft_id=draft_id, user=request.user)
    except DraftConflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, "Send cancelled: the reply is back in the review queue.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = ""
    return redirect(back or "prospects:scheduled_sends")


@allow(has_any_role)
def send_pace_settings(request):
    """Read by anyone; changed by an admin, with a reason."""
    row = send_pace()
    form = SendPaceForm(instance=row)
    status = 200
    if request.method == "POST":
        if not can_change_engine(request.user):
            raise PermissionDenied
        form = SendPaceForm(request.POST, instance=send_pace())
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in PACE_FIELDS}
            try:
                send_pace_update(
                    changes=changes, reason=form.cleaned_data["reason"], user=request.user
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Send pace saved.")
                return redirect("prospects:send_pace")
        status = 400
    return render(
        request,
        "prospects/send_pace.html",
        {
            "form": form,
            "can_change": can_change_engine(request.user),
            "history": SendPace.history.select_related("history_user")[:20],
        },
        status=status,
    )
