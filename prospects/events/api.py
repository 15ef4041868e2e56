"""REST API for integrators' webhooks (admins only): input serializer -> service -> output
serializer; a service's field errors answer 400 by field (``core.api_errors``)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_errors import StateConflict
from core.fields import StrictBooleanField, StrictCharField
from core.roles import Allows, can_manage_webhooks
from core.serializers import BodySerializer
from prospects.events.models import EventName, WebhookDelivery, WebhookSubscription
from prospects.events.services import (
    delivery_send_again,
    subscription_create,
    subscription_deactivate,
    subscription_update,
)

Admins = Allows(can_manage_webhooks)


class SubscriptionInputSerializer(BodySerializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventName.choices),
        allow_empty=False,
        min_length=1,
        max_length=10,
    )
    description = StrictCharField(required=False, allow_blank=True, max_length=200)
    active = StrictBooleanField(required=False)


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "description", "active", "created_at", "updated_at"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "status",
            "attempts",
            "next_try_at",
            "last_error",
            "last_status_code",
            "idempotency_key",
            "payload",
            "created_at",
            "delivered_at",
        ]


class WebhookListView(generics.ListAPIView):
    permission_classes = [Admins]
    serializer_class = SubscriptionSerializer
    queryset = WebhookSubscription.objects.all()

    @extend_schema(request=SubscriptionInputSerializer, responses={201: SubscriptionSerializer})
    def post(self, request):
        serializer = SubscriptionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription = subscription_create(
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            user=request.user,
        )
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = [Admins]

    @extend_schema(responses=SubscriptionSerializer)
    def get(self, request, pk):
        subscription = get_object_or_404(WebhookSubscription, id=pk)
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(request=SubscriptionInputSerializer, responses=SubscriptionSerializer)
    def patch(self, request, pk):
        subscription = get_object_or_404(WebhookSubscription, id=pk)
        serializer = SubscriptionInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subscription_update(subscription=subscription, **serializer.validated_data)
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Stops the subscription (no new events); its deliveries stay in the log.",
    )
    def delete(self, request, pk):
        subscription = get_object_or_404(WebhookSubscription, id=pk)
        subscription_deactivate(subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListView(generics.ListAPIView):
    permission_classes = [Admins]
    serializer_class = DeliverySerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=WebhookDelivery.Status.values),
            OpenApiParameter(
                "subscription", type=OpenApiTypes.UUID, description="A subscription's id."
            ),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        deliveries = WebhookDelivery.objects.all()
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in WebhookDelivery.Status.values:
                raise serializers.ValidationError({"status": f"Unknown status: {wanted}."})
            deliveries = deliveries.filter(status=wanted)
        subscription = self.request.query_params.get("subscription")
        if subscription:
            try:
                subscription_id = serializers.UUIDField().to_internal_value(subscription)
            except serializers.ValidationError as invalid:
                raise serializers.ValidationError({"subscription": invalid.detail}) from invalid
            deliveries = deliveries.filter(subscription_id=subscription_id)
        return deliveries


class DeliveryRedeliverView(APIView):
    permission_classes = [Admins]

    @extend_schema(
        request=None,
        responses={200: DeliverySerializer},
        description="Sends a failed or given-up delivery again, under its Idempotency-Key; "
        "409 for one that is delivered or still pending.",
    )
    def post(self, request, pk):
        delivery = get_object_or_404(WebhookDelivery, id=pk)
        if not delivery_send_again(delivery=delivery):
            problem = f"Only a failed or given-up delivery is sent again, not {delivery.status}."
            raise StateConflict({"status": [problem]})
        return Response(DeliverySerializer(delivery).data)
