"""Lists for REST clients (a CRM): threads and decisions, filtered, newest first, walked
with a cursor (``core.pagination.CreatedCursorPagination``).

Each filter set is a list of independent filters over one queryset, so a new filter
(a thread's outcome, say) is one more line in its ``FilterSet``."""

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import generics, serializers

from builder.taxonomy import ThreadState
from core.datetimes import UtcDateTimeField, UtcIsoDateTimeFilter
from core.pagination import CreatedCursorPagination
from core.roles import Allows, has_any_role
from engines.moves import all_moves, move_name
from prospects.deciding.decision_gate import Gate2Result
from prospects.models import Decision, Draft, Outcome, Thread
from prospects.selectors import decisions_for_clients, threads_for_clients

MOVES = [(move, move_name(move)) for move in all_moves()]


class CreatedRangeFilter(django_filters.FilterSet):
    """ISO 8601 instants, any offset; a value that is not one answers 400 with the
    filter's name as the field."""

    created_after = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Created at or after"
    )
    created_before = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Created before"
    )


class ThreadListFilter(CreatedRangeFilter):
    state = django_filters.ChoiceFilter(choices=ThreadState.choices)
    move = django_filters.ChoiceFilter(
        field_name="latest_move", choices=MOVES, label="The latest decision's move"
    )
    template_key = django_filters.CharFilter(
        field_name="latest_template_key", label="The latest decision's template key"
    )
    outcome = django_filters.ChoiceFilter(
        choices=Outcome.choices, label="The thread's latest recorded outcome"
    )

    class Meta:
        model = Thread
        fields = ["state", "move", "template_key", "outcome", "created_after", "created_before"]


class DecisionListFilter(CreatedRangeFilter):
    thread = django_filters.UUIDFilter(field_name="thread_id")
    state = django_filters.ChoiceFilter(
        choices=ThreadState.choices, label="The thread's state when it was decided"
    )
    move = django_filters.ChoiceFilter(choices=MOVES)
    template_key = django_filters.CharFilter()

    class Meta:
        model = Decision
        fields = ["thread", "state", "move", "template_key", "created_after", "created_before"]


class ThreadRowSerializer(serializers.ModelSerializer):
    handle = serializers.CharField(
        read_only=True, help_text="The client's id of the thread, as sent on ingest."
    )
    latest_sender = serializers.CharField(
        read_only=True, allow_null=True, help_text="The sender of the latest message, as sent."
    )
    latest_external_id = serializers.CharField(
        read_only=True, allow_null=True, help_text="The client's id of the latest message."
    )
    created_at = UtcDateTimeField(read_only=True)
    updated_at = UtcDateTimeField(
        read_only=True, help_text="The latest of a message in, a decision's draft changing."
    )
    last_inbound_at = UtcDateTimeField(source="last_message_at", read_only=True)
    last_reply_sent_at = UtcDateTimeField(read_only=True, allow_null=True)
    latest_decision = serializers.UUIDField(
        source="latest_decision_id", read_only=True, allow_null=True
    )
    latest_move = serializers.CharField(read_only=True, allow_null=True)
    latest_template_key = serializers.CharField(read_only=True, allow_null=True)
    message_count = serializers.IntegerField(read_only=True)
    draft_count = serializers.IntegerField(read_only=True)
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        read_only=True,
        allow_null=True,
        help_text="The latest outcome recorded for the thread (booked, declined, ...).",
    )
    time_zone = serializers.CharField(
        read_only=True, help_text="IANA; blank: the install's default (quiet hours)."
    )
    person_only = serializers.BooleanField(
        read_only=True,
        help_text="A safety cue no admin has cleared: every reply is held for a person.",
    )

    class Meta:
        model = Thread
        fields = [
            "id",
            "handle",
            "latest_sender",
            "latest_external_id",
            "archetype",
            "state",
            "created_at",
            "updated_at",
            "last_inbound_at",
            "last_reply_sent_at",
            "latest_decision",
            "latest_move",
            "latest_template_key",
            "message_count",
            "draft_count",
            "outcome",
            "time_zone",
            "person_only",
        ]


class GateVerdictSerializer(serializers.Serializer):
    passed = serializers.BooleanField(help_text="Every Gate-2 rule passed.")
    failed_rules = serializers.ListField(child=serializers.CharField())


class DecisionRowSerializer(serializers.ModelSerializer):
    thread = serializers.UUIDField(source="thread_id", read_only=True)
    message = serializers.UUIDField(source="message_id", read_only=True)
    message_external_id = serializers.CharField(source="message.external_id", read_only=True)
    sender = serializers.CharField(source="message.sender", read_only=True)
    gate2 = serializers.SerializerMethodField()
    latest_draft = serializers.UUIDField(source="latest_draft_id", read_only=True, allow_null=True)
    latest_draft_status = serializers.ChoiceField(
        choices=Draft.Status.choices, read_only=True, allow_null=True
    )
    created_at = UtcDateTimeField(read_only=True)

    @extend_schema_field(GateVerdictSerializer)
    def get_gate2(self, decision) -> dict:
        verdict = Gate2Result(results=decision.gate2_results)
        return {"passed": not verdict.forces_hold, "failed_rules": verdict.failed_rules}

    class Meta:
        model = Decision
        fields = [
            "id",
            "thread",
            "message",
            "message_external_id",
            "sender",
            "is_prospect",
            "move",
            "confidence",
            "classified_by",
            "template_key",
            "mode",
            "state",
            "archetype",
            "gate2",
            "created_at",
            "latest_draft",
            "latest_draft_status",
        ]


class ThreadListView(generics.ListAPIView):
    """Threads newest first, with the fields a CRM keeps; filter by state, the latest
    decision's move and template key, and when the thread was created."""

    permission_classes = [Allows(has_any_role)]
    serializer_class = ThreadRowSerializer
    filterset_class = ThreadListFilter
    pagination_class = CreatedCursorPagination
    queryset = threads_for_clients()


class DecisionListView(generics.ListAPIView):
    """Decisions newest first, with their latest draft; filter by thread, state, move,
    template key and when they were made."""

    permission_classes = [Allows(has_any_role)]
    serializer_class = DecisionRowSerializer
    filterset_class = DecisionListFilter
    pagination_class = CreatedCursorPagination
    queryset = decisions_for_clients()
