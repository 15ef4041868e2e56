"""REST API for experiments: CRUD, start and pause (results and promotion: prospects)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.api import WorkflowEditors, _paginated, _valid
from builder.experiments import (
    ARMS_AT_LEAST_TWO,
    arm_specs,
    experiment_create,
    experiment_delete,
    experiment_pause,
    experiment_start,
    experiment_update,
)
from builder.models import Experiment, Metric
from core.fields import StrictBooleanField, StrictCharField, StrictSlugField, StrictTextField
from core.pagination import page_of
from core.serializers import BodySerializer, FlatListSerializer
from engines.id_field import EngineIdField


class ArmSerializer(BodySerializer):
    key = StrictSlugField(max_length=20)
    workflow_version = serializers.UUIDField()
    engine_id = EngineIdField(checked=False)
    # Positive weights are checked with the other arm rules, which name arms[i].weight.
    weight = serializers.IntegerField(default=1)
    is_control = StrictBooleanField(default=False)

    class Meta:
        list_serializer_class = FlatListSerializer


class ScopeSerializer(BodySerializer):
    template_keys = serializers.ListField(child=StrictCharField(max_length=100), default=list)
    archetypes = serializers.ListField(child=StrictCharField(max_length=32), default=list)
    states = serializers.ListField(child=StrictCharField(max_length=16), default=list)


class ExperimentWriteSerializer(BodySerializer):
    slug = StrictSlugField(max_length=80)
    name = StrictTextField(max_length=200)
    scope = ScopeSerializer(required=False)
    metric = serializers.ChoiceField(choices=Metric.choices, default=Metric.ACCEPTED_UNEDITED)
    min_sample = serializers.IntegerField(min_value=1, max_value=1_000_000, default=100)
    arms = ArmSerializer(many=True, min_length=2, error_messages={"min_length": ARMS_AT_LEAST_TWO})


class ArmOutSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    workflow_version = serializers.UUIDField(source="workflow_version_id")
    workflow_version_label = serializers.CharField(source="workflow_version.label")
    engine_id = serializers.CharField()
    weight = serializers.IntegerField()
    is_control = serializers.BooleanField()
    paused_reason = serializers.CharField()
    paused_at = serializers.DateTimeField(allow_null=True)


class ExperimentSerializer(serializers.ModelSerializer):
    scope = serializers.SerializerMethodField()
    arms = ArmOutSerializer(many=True)
    champion = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)

    class Meta:
        model = Experiment
        fields = [
            "id",
            "slug",
            "name",
            "scope",
            "metric",
            "min_sample",
            "status",
            "status_reason",
            "arms",
            "created_at",
            "started_at",
            "finished_at",
            "champion",
            "rolled_back_at",
        ]

    def get_scope(self, experiment) -> dict:
        return {
            "template_keys": experiment.template_keys,
            "archetypes": experiment.archetypes,
            "states": experiment.states,
        }


def experiments_with_arms():
    return Experiment.objects.prefetch_related("arms__workflow_version__workflow").select_related(
        "champion"
    )


def experiment_response(experiment: Experiment, code=status.HTTP_200_OK) -> Response:
    fresh = experiments_with_arms().get(id=experiment.id)
    return Response(ExperimentSerializer(fresh).data, status=code)


def _written(data: dict) -> dict:
    return {
        "name": data["name"],
        "arms": arm_specs(data["arms"]),
        "scope": data.get("scope", {}),
        "metric": data["metric"],
        "min_sample": data["min_sample"],
    }


class ExperimentListView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Experiment.Status.values)],
        operation_id="experiments_list",
        responses=page_of(ExperimentSerializer),
    )
    def get(self, request):
        experiments = experiments_with_arms()
        status_filter = request.query_params.get("status", "")
        if status_filter:
            if status_filter not in Experiment.Status.values:
                raise ValidationError({"status": [f"Must be one of {Experiment.Status.values}."]})
            experiments = experiments.filter(status=status_filter)
        return _paginated(request, experiments, ExperimentSerializer)

    @extend_schema(request=ExperimentWriteSerializer, responses={201: ExperimentSerializer})
    def post(self, request):
        data = _valid(ExperimentWriteSerializer, request.data)
        experiment = experiment_create(slug=data["slug"], user=request.user, **_written(data))
        return experiment_response(experiment, status.HTTP_201_CREATED)


class ExperimentDetailView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(responses=ExperimentSerializer)
    def get(self, request, pk):
        return Response(
            ExperimentSerializer(get_object_or_404(experiments_with_arms(), id=pk)).data
        )

    @extend_schema(request=ExperimentWriteSerializer, responses=ExperimentSerializer)
    def put(self, request, pk):
        experiment = get_object_or_404(Experiment, id=pk)
        # The slug is the experiment's; a body that is not an object is the serializer's
        # to refuse, by name, not a TypeError here.
        body = request.data
        data = _valid(
            ExperimentWriteSerializer,
            {"slug": experiment.slug, **body} if isinstance(body, dict) else body,
        )
        return experiment_response(experiment_update(experiment=experiment, **_written(data)))

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        experiment_delete(experiment=get_object_or_404(Experiment, id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExperimentStartView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(request=None, responses=ExperimentSerializer)
    def post(self, request, pk):
        experiment = experiment_start(experiment=get_object_or_404(Experiment, id=pk))
        return experiment_response(experiment)


class ExperimentPauseView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(request=None, responses=ExperimentSerializer)
    def post(self, request, pk):
        experiment = experiment_pause(experiment=get_object_or_404(Experiment, id=pk))
        return experiment_response(experiment)
