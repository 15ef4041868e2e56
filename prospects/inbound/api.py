"""REST API for inbound messages, their threads and drafts: input serializer -> service ->
output serializer."""

import json

import django_filters
from django.conf import settings
from django.http import Http404
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.taxonomy import Archetype
from core.datetimes import UtcIsoDateTimeFilter
from core.fields import StrictCharField
from core.roles import Allows, can_clear_safety, can_ingest, can_record_outcome, has_any_role
from core.serializers import BodySerializer
from core.untrusted import strip_invisible
from engines.holds import WaitReason
from prospects.deciding.safety_memory import safety_memory_clear
from prospects.drafting.pace import known_time_zone, time_zone_names
from prospects.inbound.ingest import Inbound, inbound_ingest
from prospects.models import (
    Decision,
    Draft,
    InboundMessage,
    Outcome,
    OutcomeAttribution,
    SafetyCue,
    Thread,
    ThreadOutcome,
)
from prospects.outcomes import outcome_record
from prospects.selectors import drafts_list, thread_with_history
from prospects.waiting import WaitingReader

MAX_BATCH = 100
MAX_METADATA_CHARS = 10_000


class TimeZoneNameField(StrictCharField):
    """An IANA time zone name this server's tz database holds."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not known_time_zone(value):
            raise serializers.ValidationError(
                f"{value!r} is not a time zone this server knows: use an IANA name such as "
                "Europe/Lisbon."
            )
        return value


class TimeZoneNameSchema(OpenApiSerializerFieldExtension):
    """The names as an enum, read from the tz database when the schema is generated."""

    target_class = TimeZoneNameField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": sorted(time_zone_names())}


class InboundInputSerializer(BodySerializer):
    external_id = StrictCharField(max_length=200)
    thread = StrictCharField(max_length=200)
    sender = StrictCharField(max_length=200)
    body = StrictCharField(max_length=settings.INBOUND_MAX_BODY_CHARS, trim_whitespace=False)
    received_at = serializers.DateTimeField()
    archetype = serializers.ChoiceField(choices=Archetype.choices, required=False)
    time_zone = TimeZoneNameField(
        max_length=64,
        required=False,
        help_text="The client's IANA time zone, e.g. Europe/Lisbon: replies leave outside "
        "quiet hours there. Left out: read from the sender's phone number, or the install's "
        "default.",
    )
    metadata = serializers.DictField(required=False, default=dict)

    def validate_body(self, value):
        if not strip_invisible(value).text.strip():
            raise serializers.ValidationError("The body is blank (invisible characters aside).")
        return value

    def validate_metadata(self, value):
        if len(json.dumps(value)) > MAX_METADATA_CHARS:
            raise serializers.ValidationError(
                f"Metadata is limited to {MAX_METADATA_CHARS} characters of JSON."
            )
        return value


class WaitingSerializer(serializers.Serializer):
    """Why a queued draft is not drafted yet (``prospects.waiting``)."""

    reason = serializers.ChoiceField(choices=WaitReason.choices)
    detail = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    position = serializers.IntegerField(help_text="Its place in its engine's line; 1 is next.")


class DraftSerializer(serializers.ModelSerializer):
    thread = serializers.UUIDField(source="thread_id", read_only=True)
    decision = serializers.UUIDField(source="decision_id", read_only=True)
    waiting = serializers.SerializerMethodField()

    @extend_schema_field(WaitingSerializer(allow_null=True))
    def get_waiting(self, draft):
        # One reader per response: each engine's state is read once, not once per draft.
        waiting = self.context.setdefault("waiting", WaitingReader()).for_draft(draft)
        return WaitingSerializer(waiting).data if waiting else None

    class Meta:
        model = Draft
        fields = [
            "id",
            "thread",
            "decision",
            "status",
            "body",
            "hold_reason",
            "hold_detail",
            "waiting",
            "gate_failed",
            "engine_id",
            "workflow_version",
            "experiment_arm",
            "engine_latency_ms",
            "retrieved_corrections",
            "escalation",
            "overridden_rules",
            "override_reason",
            "created_at",
            "reviewed_at",
            "release_at",
            "sent_at",
        ]


class DecisionSerializer(serializers.ModelSerializer):
    message = serializers.UUIDField(source="message_id", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "message",
            "is_prospect",
            "move",
            "classified_by",
            "confidence",
            "classifier_problem",
            "trace",
            "archetype",
            "state",
            "template_key",
            "gate2_results",
            "mode",
            "engine_id",
            "workflow_version",
            "experiment_arm",
            "created_at",
        ]


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "external_id",
            "sender",
            "body",
            "original_body",
            "invisible_removed",
            "received_at",
            "metadata",
        ]


class IngestResultSerializer(serializers.Serializer):
    created = serializers.BooleanField()
    thread = serializers.UUIDField(source="decision.thread_id")
    message = MessageSerializer()
    decision = DecisionSerializer()
    draft = DraftSerializer(allow_null=True)


class SafetyCueSerializer(serializers.ModelSerializer):
    message = serializers.UUIDField(source="message_id", read_only=True)
    cleared_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = SafetyCue
        fields = [
            "id",
            "message",
            "category",
            "words",
            "created_at",
            "cleared_at",
            "cleared_by",
            "clear_reason",
        ]


class ThreadSerializer(serializers.ModelSerializer):
    messages = MessageSerializer(many=True)
    decisions = DecisionSerializer(many=True)
    drafts = DraftSerializer(many=True)
    safety_cues = SafetyCueSerializer(many=True)
    person_only = serializers.SerializerMethodField(
        help_text="A safety cue no admin has cleared: every reply is held for a person."
    )

    def get_person_only(self, thread) -> bool:
        return any(cue.cleared_at is None for cue in thread.safety_cues.all())

    class Meta:
        model = Thread
        fields = [
            "id",
            "handle",
            "archetype",
            "state",
            "created_at",
            "last_message_at",
            "person_only",
            "messages",
            "decisions",
            "drafts",
            "safety_cues",
        ]


class InboundView(APIView):
    """Ingest one inbound message, or a list of up to 100."""

    permission_classes = [Allows(can_ingest)]

    @extend_schema(
        request=InboundInputSerializer,
        responses={201: IngestResultSerializer, 200: IngestResultSerializer},
        description="201 when the message is new, 200 for a duplicate (its first answer). "
        "A list of up to 100 messages answers a list, in order.",
    )
    def post(self, request):
        many = isinstance(request.data, list)
        if many and not 1 <= len(request.data) <= MAX_BATCH:
            raise serializers.ValidationError(
                {"non_field_errors": [f"Send between 1 and {MAX_BATCH} messages."]}
            )
        serializer = InboundInputSerializer(data=request.data, many=many)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data if many else [serializer.validated_data]
        results = [inbound_ingest(inbound=Inbound(**item)) for item in items]
        created = any(result.created for result in results)
        data = IngestResultSerializer(results, many=True).data
        return Response(
            data if many else data[0],
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DraftFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Draft.Status.choices)
    engine = django_filters.CharFilter(field_name="engine_id")
    since = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Draft
        fields = ["status", "engine", "since"]


class DraftListView(generics.ListAPIView):
    permission_classes = [Allows(has_any_role)]
    serializer_class = DraftSerializer
    filterset_class = DraftFilter
    queryset = drafts_list()


class DraftDetailView(generics.RetrieveAPIView):
    permission_classes = [Allows(has_any_role)]
    serializer_class = DraftSerializer
    queryset = drafts_list()


class ThreadDetailView(APIView):
    permission_classes = [Allows(has_any_role)]

    @extend_schema(responses=ThreadSerializer)
    def get(self, request, pk):
        try:
            thread = thread_with_history(pk)
        except Thread.DoesNotExist:
            raise Http404 from None
        return Response(ThreadSerializer(thread).data)


class SafetyClearSerializer(BodySerializer):
    reason = StrictCharField(max_length=300, help_text="Why the thread may be answered again.")


class SafetyClearedSerializer(serializers.Serializer):
    cleared = serializers.IntegerField(help_text="How many safety cues were cleared.")


class ThreadSafetyClearView(APIView):
    """An admin releases a thread from its safety memory, with a reason (recorded)."""

    permission_classes = [Allows(can_clear_safety)]

    @extend_schema(request=SafetyClearSerializer, responses={200: SafetyClearedSerializer})
    def post(self, request, pk):
        if not Thread.objects.filter(id=pk).exists():
            raise Http404
        serializer = SafetyClearSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cleared = safety_memory_clear(
            thread_id=pk, user=request.user, reason=serializer.validated_data["reason"]
        )
        return Response({"cleared": cleared})


class OutcomeInputSerializer(BodySerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = StrictCharField(max_length=500, required=False, default="", allow_blank=True)


class OutcomeAttributionSerializer(serializers.ModelSerializer):
    draft = serializers.UUIDField(source="draft_id", read_only=True)
    workflow_version = serializers.CharField(
        source="workflow_version.label", allow_null=True, read_only=True
    )

    class Meta:
        model = OutcomeAttribution
        fields = ["draft", "workflow_version", "engine_id", "experiment_arm"]


class ThreadOutcomeSerializer(serializers.ModelSerializer):
    thread = serializers.UUIDField(source="thread_id", read_only=True)
    thread_state = serializers.CharField(source="thread.state", read_only=True)
    recorded_by = serializers.StringRelatedField(allow_null=True)
    attributions = OutcomeAttributionSerializer(many=True, read_only=True)

    class Meta:
        model = ThreadOutcome
        fields = [
            "id",
            "thread",
            "thread_state",
            "outcome",
            "source",
            "note",
            "recorded_by",
            "recorded_at",
            "attributions",
        ]


class ThreadOutcomeView(APIView):
    """Record how a thread ended: 201 with the new outcome, or 200 with the thread's
    latest when it is already that outcome (nothing changes)."""

    permission_classes = [Allows(can_record_outcome)]

    @extend_schema(
        request=OutcomeInputSerializer,
        responses={201: ThreadOutcomeSerializer, 200: ThreadOutcomeSerializer},
    )
    def post(self, request, pk):
        try:
            thread = Thread.objects.get(id=pk)
        except Thread.DoesNotExist:
            raise Http404 from None
        serializer = OutcomeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recorded = outcome_record(
            thread=thread,
            user=request.user,
            source=ThreadOutcome.Source.API,
            **serializer.validated_data,
        )
        return Response(
            ThreadOutcomeSerializer(recorded.outcome).data,
            status=status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK,
        )
