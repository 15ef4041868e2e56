"""Panel pages for integrators' webhooks: subscriptions, and the log of their deliveries
with "Send again". Admins only (``can_manage_webhooks``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.forms import add_service_error
from core.roles import allow, can_manage_webhooks
from prospects.events.forms import SubscriptionForm
from prospects.events.models import WebhookDelivery, WebhookSubscription
from prospects.events.services import (
    delivery_send_again,
    subscription_create,
    subscription_deactivate,
    subscription_update,
)

DELIVERIES_PER_PAGE = 25


def _list_page(request, form: SubscriptionForm, status: int = 200):
    return render(
        request,
        "prospects/webhooks.html",
        {"subscriptions": WebhookSubscription.objects.select_related("created_by"), "form": form},
        status=status,
    )


@allow(can_manage_webhooks)
def webhook_list(request):
    return _list_page(request, SubscriptionForm())


@allow(can_manage_webhooks)
@require_POST
def webhook_create(request):
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        try:
            subscription_create(user=request.user, **form.cleaned_data)
        except ValidationError as invalid:
            add_service_error(form, invalid)
        else:
            messages.success(request, f"Subscribed {form.cleaned_data['url']}.")
            return redirect("prospects:webhook_list")
    return _list_page(request, form, status=400)


@allow(can_manage_webhooks)
def webhook_edit(request, subscription_id):
    subscription = get_object_or_404(WebhookSubscription, id=subscription_id)
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                subscription_update(subscription=subscription, active=True, **form.cleaned_data)
            except ValidationError as invalid:
                add_service_error(form, invalid)
            else:
                messages.success(request, f"Saved {subscription.url}.")
                return redirect("prospects:webhook_list")
    else:
        form = SubscriptionForm(
            initial={
                "url": subscription.url,
                "events": subscription.events,
                "description": subscription.description,
            }
        )
    return render(
        request,
        "prospects/webhook_edit.html",
        {"subscription": subscription, "form": form},
        status=400 if form.errors else 200,
    )


@allow(can_manage_webhooks)
@require_POST
def webhook_deactivate(request, subscription_id):
    subscription = get_object_or_404(WebhookSubscription, id=subscription_id)
    subscription_deactivate(subscription=subscription)
    messages.success(request, f"{subscription.url} gets no new events.")
    return redirect("prospects:webhook_list")


@allow(can_manage_webhooks)
def delivery_list(request):
    deliveries = WebhookDelivery.objects.select_related("subscription")
    shown = request.GET.get("status", "")
    if shown in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=shown)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "prospects/webhook_deliveries.html",
        {
            "page": page,
            "shown": shown if shown in WebhookDelivery.Status.values else "",
            "statuses": WebhookDelivery.Status.values,
            "may_send_again": (WebhookDelivery.Status.FAILED, WebhookDelivery.Status.GAVE_UP),
        },
    )


@allow(can_manage_webhooks)
@require_POST
def delivery_send_again_view(request, delivery_id):
    delivery = get_object_or_404(WebhookDelivery, id=delivery_id)
    if delivery_send_again(delivery=delivery):
        messages.success(request, "Queued to be sent again.")
    else:
        messages.info(request, "That delivery is not failed or given up: nothing to send again.")
    return redirect("prospects:webhook_delivery_list")
