"""REST API for engine builds: the admin's engine switches and the builds' tuning exports."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.datetimes import UtcDateTimeField
from core.fields import StrictFloatField
from core.roles import Allows, can_change_engine, can_read_corrections, has_any_role
from core.serializers import BodySerializer
from engines.id_field import EngineIdField
from prospects.builds.tuning import Format, Split, tuning_jsonl
from prospects.engine_switch import (
    classifier_engine_set,
    draft_engine_set,
    uncertain_move_threshold_set,
)
from prospects.models import RULES, Outcome
from prospects.scores import draft_scores
from prospects.selectors import pipeline_settings

# ``?by=`` -> the Draft field the scores are grouped by.
SCORE_GROUPS = {"engine": "engine_id", "workflow_version": "workflow_version"}


class DraftEngineSerializer(BodySerializer):
    draft_engine = EngineIdField()


class ClassifierEngineSerializer(BodySerializer):
    classifier_engine = EngineIdField(also=(RULES,))


class EngineSettingView(generics.GenericAPIView):
    """One of the admin's switches: read by any role, set by an admin through its service
    (which checks the id and keeps the change in history)."""

    permission_classes = [Allows(has_any_role, write=can_change_engine)]
    field = ""

    def apply(self, *, engine_id: str, user):
        raise NotImplementedError

    def get_object(self):
        # The resource is the settings row itself (OPTIONS describes it through this).
        return pipeline_settings()

    def get(self, request):
        return Response({self.field: getattr(self.get_object(), self.field)})

    def put(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = self.apply(engine_id=serializer.validated_data[self.field], user=request.user)
        return Response({self.field: getattr(row, self.field)})


class ClassifierEngineView(EngineSettingView):
    """Who decides the moves of live messages: "rules", or a classifier build."""

    serializer_class = ClassifierEngineSerializer
    field = "classifier_engine"

    def apply(self, **change):
        return classifier_engine_set(**change)


class DraftEngineView(EngineSettingView):
    serializer_class = DraftEngineSerializer
    field = "draft_engine"

    def apply(self, **change):
        return draft_engine_set(**change)


class UncertainMoveThresholdSerializer(BodySerializer):
    uncertain_move_threshold = StrictFloatField(min_value=0.0, max_value=1.0)


class UncertainMoveThresholdView(generics.GenericAPIView):
    """How sure the classifier must be: a draft whose decision is less confident is held
    ``uncertain_move``. Read by any role, set by an admin, kept in history."""

    permission_classes = [Allows(has_any_role, write=can_change_engine)]
    serializer_class = UncertainMoveThresholdSerializer

    def get_object(self):
        return pipeline_settings()

    def get(self, request):
        return Response({"uncertain_move_threshold": self.get_object().uncertain_move_threshold})

    def put(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = uncertain_move_threshold_set(
            threshold=serializer.validated_data["uncertain_move_threshold"], user=request.user
        )
        return Response({"uncertain_move_threshold": row.uncertain_move_threshold})


class TuningExportQuerySerializer(serializers.Serializer):
    engine = EngineIdField()
    format = serializers.ChoiceField(choices=[f.value for f in Format])
    since = UtcDateTimeField(required=False)
    split = serializers.ChoiceField(choices=[s.value for s in Split], default=Split.ALL.value)
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        required=False,
        help_text="Only drafts sent before a recorded thread outcome of this kind.",
    )


def tuning_response(
    *, engine: str, format: str, since=None, split: str = "all", outcome: str | None = None
):
    """The export as a streamed JSONL download (the panel serves the same one)."""
    lines = tuning_jsonl(
        engine_id=engine, fmt=Format(format), since=since, split=Split(split), outcome=outcome
    )
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
    parts = [engine, format, *([outcome] if outcome else []), *([split] if split != "all" else [])]
    name = "-".join(parts) + ".jsonl"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class TuningExportView(APIView):
    """An engine build's reviewed drafts as fine-tuning JSONL, streamed."""

    permission_classes = [Allows(can_read_corrections)]

    @extend_schema(
        parameters=[TuningExportQuerySerializer],
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR},
    )
    def get(self, request):
        query = TuningExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return tuning_response(**query.validated_data)


class ScoresRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True, help_text="The engine id, or the workflow version's id."
    )
    drafts = serializers.IntegerField()
    reviewed = serializers.IntegerField()
    accepted_unedited = serializers.IntegerField()
    corrected = serializers.IntegerField()
    rejected = serializers.IntegerField()
    held_by_engine = serializers.IntegerField()
    accepted_rate = serializers.FloatField(allow_null=True)
    mean_edit_distance = serializers.FloatField(allow_null=True)
    rejection_rate = serializers.FloatField(allow_null=True)
    hold_rate = serializers.FloatField(allow_null=True)
    threads_sent = serializers.IntegerField()
    threads_booked = serializers.IntegerField()
    booking_rate = serializers.FloatField(
        allow_null=True, help_text="Threads booked after a sent draft / threads with one sent."
    )


class ScoresQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=list(SCORE_GROUPS), default="engine")


class ScoresView(APIView):
    """How drafts fared, per engine build or per workflow version: acceptance, edits,
    holds, and bookings (prospects/scores.py)."""

    permission_classes = [Allows(has_any_role)]

    @extend_schema(parameters=[ScoresQuerySerializer], responses=ScoresRowSerializer(many=True))
    def get(self, request):
        query = ScoresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scores = draft_scores(SCORE_GROUPS[query.validated_data["by"]])
        rows = [
            {"key": None if key is None else str(key), **score.as_json()}
            for key, score in scores.items()
        ]
        return Response(ScoresRowSerializer(rows, many=True).data)
