"""REST API for review: approve, correct and reject drafts; list and label decisions;
corrections."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.datetimes import UtcDateTimeField, UtcIsoDateTimeFilter
from core.fields import StrictBooleanField, StrictCharField
from core.roles import Allows, can_read_corrections, can_review
from core.serializers import BodySerializer
from engines.moves import all_moves
from prospects.drafting.queue import draft_again
from prospects.inbound.api import DraftSerializer
from prospects.models import Correction, Decision, Draft, MoveLabel, ReasonTag
from prospects.review.decision_filters import DecisionFilter, decisions_to_label
from prospects.review.labels import (
    MAX_LABELS_AT_ONCE,
    move_label_correct,
    move_labels_set,
    moves_listed,
)
from prospects.review.services import (
    DraftConflict,
    draft_approve,
    draft_correct,
    draft_reject,
    draft_send_cancel,
)

Reviewers = Allows(can_review)
CorrectionReaders = Allows(can_read_corrections)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    draft = DraftSerializer()


class ReasonTagsSerializer(BodySerializer):
    reason_tags = serializers.ListField(
        child=serializers.ChoiceField(choices=ReasonTag.choices), required=False, max_length=20
    )


class OverrideSerializer(BodySerializer):
    override = StrictBooleanField(
        required=False,
        default=False,
        help_text="Send even though the text fails the gate or Gate-2 holds it for a person.",
    )
    reason = StrictCharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=300,
        help_text="With override: one line on why it may go out, recorded on the draft.",
    )


class CorrectSerializer(ReasonTagsSerializer, OverrideSerializer):
    body = StrictCharField(max_length=4000)


class ApproveSerializer(OverrideSerializer):
    pass


class ReviewActionView(APIView):
    """Runs one review action; 409 with the draft's state when it is not awaiting review."""

    permission_classes = [Reviewers]
    input_serializer = ReasonTagsSerializer

    def act(self, draft: Draft, data: dict) -> Draft:
        raise NotImplementedError

    def post(self, request, pk):
        draft = get_object_or_404(Draft, id=pk)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            draft = self.act(draft, serializer.validated_data)
        except DraftConflict as conflict:
            return Response(
                {"detail": str(conflict), "draft": DraftSerializer(conflict.draft).data},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(DraftSerializer(draft).data)


class DraftApproveView(ReviewActionView):
    input_serializer = ApproveSerializer

    @extend_schema(
        request=ApproveSerializer, responses={200: DraftSerializer, 409: ConflictSerializer}
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, draft, data):
        return draft_approve(
            draft_id=draft.id,
            user=self.request.user,
            override=data["override"],
            reason=data["reason"],
        )


class DraftAgainView(ReviewActionView):
    """A held draft with no body goes back to the worker (`queued`)."""

    input_serializer = serializers.Serializer

    @extend_schema(request=None, responses={200: DraftSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, draft, data):
        return draft_again(draft_id=draft.id, user=self.request.user)


class DraftCorrectView(ReviewActionView):
    input_serializer = CorrectSerializer

    @extend_schema(
        request=CorrectSerializer, responses={200: DraftSerializer, 409: ConflictSerializer}
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, draft, data):
        return draft_correct(
            draft_id=draft.id,
            user=self.request.user,
            body=data["body"],
            reason_tags=data.get("reason_tags", []),
            override=data["override"],
            reason=data["reason"],
        )


class DraftCancelSendView(ReviewActionView):
    """An approved reply waiting for its release time goes back to the review queue."""

    input_serializer = serializers.Serializer

    @extend_schema(request=None, responses={200: DraftSerializer, 409: ConflictSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, draft, data):
        return draft_send_cancel(draft_id=draft.id, user=self.request.user)


class DraftRejectView(ReviewActionView):
    @extend_schema(
        request=ReasonTagsSerializer, responses={200: DraftSerializer, 409: ConflictSerializer}
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def act(self, draft, data):
        return draft_reject(
            draft_id=draft.id, user=self.request.user, reason_tags=data.get("reason_tags", [])
        )


class MoveLabelInputSerializer(BodySerializer):
    move = serializers.ChoiceField(
        choices=all_moves(),
        error_messages={"invalid_choice": moves_listed()},
        help_text="The right move (one of the twelve).",
    )
    reason = StrictCharField(
        max_length=300, required=False, default="", help_text="One sentence: why."
    )


class MoveLabelSerializer(serializers.ModelSerializer):
    created_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = MoveLabel
        fields = [
            "id",
            "decision",
            "source",
            "move",
            "is_prospect",
            "reason",
            "classifier",
            "decided_move",
            "created_at",
        ]


class DecisionLabelView(APIView):
    """A person's move for a decision ("wrong move"), bound to the classifier that decided
    it; classifier training and evaluations read these labels."""

    permission_classes = [Reviewers]

    @extend_schema(request=MoveLabelInputSerializer, responses={200: MoveLabelSerializer})
    def post(self, request, pk):
        get_object_or_404(Decision, id=pk)
        serializer = MoveLabelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        label = move_label_correct(decision_id=pk, user=request.user, **serializer.validated_data)
        return Response(MoveLabelSerializer(label).data)


class LabelledDecisionSerializer(serializers.ModelSerializer):
    """A decision as the Decisions page shows it: the message, what was decided and how
    sure the classifier was, and the label people gave it."""

    sender = serializers.CharField(source="message.sender", read_only=True)
    body = serializers.CharField(source="message.body", read_only=True)
    thread = serializers.UUIDField(source="thread_id", read_only=True)
    label = MoveLabelSerializer(read_only=True, allow_null=True)
    created_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "thread",
            "sender",
            "body",
            "move",
            "is_prospect",
            "template_key",
            "classified_by",
            "confidence",
            "label",
            "created_at",
        ]


class DecisionsToLabelView(generics.ListAPIView):
    """The labelling queue: decisions least certain first; filter by move, classifier,
    confidence, date and whether a person labelled them. (``GET /api/decisions/`` is the
    clients' list, newest first.)"""

    permission_classes = [Reviewers]
    serializer_class = LabelledDecisionSerializer
    filterset_class = DecisionFilter
    queryset = decisions_to_label().select_related("label__author")


class BulkLabelInputSerializer(BodySerializer):
    decisions = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=MAX_LABELS_AT_ONCE
    )
    move = serializers.ChoiceField(
        choices=all_moves(),
        error_messages={"invalid_choice": moves_listed()},
        help_text="The move for every decision listed.",
    )
    reason = StrictCharField(
        max_length=300, required=False, default="", help_text="One sentence: why."
    )


class BulkLabelledSerializer(serializers.Serializer):
    labelled = serializers.IntegerField()


class DecisionBulkLabelView(APIView):
    """Labels several decisions with one move at once (spam that got no draft, say)."""

    permission_classes = [Reviewers]

    @extend_schema(request=BulkLabelInputSerializer, responses={200: BulkLabelledSerializer})
    def post(self, request):
        serializer = BulkLabelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        labelled = move_labels_set(
            decision_ids=data["decisions"],
            move=data["move"],
            reason=data["reason"],
            user=request.user,
        )
        return Response({"labelled": labelled})


class CorrectionSerializer(serializers.ModelSerializer):
    draft = serializers.UUIDField(source="draft_id", read_only=True)
    author = serializers.CharField(source="author.username", default=None, read_only=True)

    class Meta:
        model = Correction
        fields = [
            "id",
            "draft",
            "kind",
            "original_text",
            "corrected_text",
            "reason_tags",
            "edit_distance",
            "author",
            "created_at",
            "workflow_version",
            "engine_id",
            "experiment_arm",
            "template_key",
        ]


class CorrectionFilter(django_filters.FilterSet):
    engine = django_filters.CharFilter(field_name="engine_id")
    workflow_version = django_filters.UUIDFilter(field_name="workflow_version_id")
    since = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    kind = django_filters.ChoiceFilter(choices=Correction.Kind.choices)

    class Meta:
        model = Correction
        fields = ["engine", "workflow_version", "since", "kind"]


class CorrectionListView(generics.ListAPIView):
    permission_classes = [CorrectionReaders]
    serializer_class = CorrectionSerializer
    filterset_class = CorrectionFilter
    queryset = Correction.objects.select_related("author").order_by("-created_at", "id")


class CorrectionDetailView(generics.RetrieveAPIView):
    permission_classes = [CorrectionReaders]
    serializer_class = CorrectionSerializer
    queryset = Correction.objects.select_related("author")
