"""REST API for the send pace: read by any role, set by an admin with a reason."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import ClockTimeField, StrictCharField
from core.roles import Allows, can_change_engine, has_any_role
from core.serializers import BodyModelSerializer
from prospects.drafting.pace import REASON_MAX_CHARS, send_pace, send_pace_update
from prospects.models import SendPace


class SendPaceSerializer(BodyModelSerializer):
    quiet_start = ClockTimeField(
        help_text="From this time, in the client's time zone, replies wait."
    )
    quiet_end = ClockTimeField(
        help_text="Replies that waited leave after this time; the same as the start: none."
    )

    class Meta:
        model = SendPace
        fields = [
            "quiet_start",
            "quiet_end",
            "typing_chars_per_minute",
            "min_delay_seconds",
            "max_delay_seconds",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class SendPaceInputSerializer(SendPaceSerializer):
    reason = StrictCharField(max_length=REASON_MAX_CHARS, help_text="Why, kept in the history.")

    class Meta(SendPaceSerializer.Meta):
        fields = [*SendPaceSerializer.Meta.fields, "reason"]


class SendPaceView(APIView):
    """Quiet hours (in each thread's time zone) and the typing delay's bounds."""

    permission_classes = [Allows(has_any_role, write=can_change_engine)]

    @extend_schema(responses=SendPaceSerializer)
    def get(self, request):
        return Response(SendPaceSerializer(send_pace()).data)

    @extend_schema(request=SendPaceInputSerializer, responses=SendPaceSerializer)
    def put(self, request):
        serializer = SendPaceInputSerializer(send_pace(), data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        try:
            row = send_pace_update(changes=changes, reason=reason, user=request.user)
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return Response(SendPaceSerializer(row).data)
