"""REST API for an experiment's results, promotion and rollback (CRUD: builder)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.api import WorkflowEditors, _valid
from builder.experiments_api import ExperimentSerializer, experiment_response, experiments_with_arms
from core.fields import StrictBooleanField, StrictCharField
from core.serializers import BodySerializer
from prospects.experiments.services import (
    EngineFlipUnconfirmed,
    experiment_promote,
    experiment_rollback,
    results_csv,
    results_for,
)


def results_json(results) -> dict:
    experiment = results.experiment
    return {
        "experiment": ExperimentSerializer(experiment).data,
        "metric": experiment.metric,
        "min_sample": experiment.min_sample,
        "winner": results.winner.arm.key if results.winner else None,
        "arms": [result.as_json() for result in results.arms],
    }


class ExperimentResultsView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        experiment = get_object_or_404(experiments_with_arms(), id=pk)
        return Response(results_json(results_for(experiment)))


class ExperimentResultsCsvView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, pk):
        experiment = get_object_or_404(experiments_with_arms(), id=pk)
        return csv_download(experiment)


def csv_download(experiment) -> HttpResponse:
    response = HttpResponse(results_csv(results_for(experiment)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{experiment.slug}-results.csv"'
    return response


class ExperimentPromoteSerializer(BodySerializer):
    arm = StrictCharField(max_length=20, required=False, allow_blank=True, default="")
    confirm_engine = StrictBooleanField(default=False)


class ExperimentRollbackSerializer(BodySerializer):
    confirm_engine = StrictBooleanField(default=False)


def _unconfirmed(error: EngineFlipUnconfirmed) -> ValidationError:
    return ValidationError({"confirm_engine": [str(error)]})


class ExperimentPromoteView(APIView):
    """Promotes the named arm, or the winner; an engine flip needs an admin's confirmation."""

    permission_classes = [WorkflowEditors]

    @extend_schema(request=ExperimentPromoteSerializer, responses=ExperimentSerializer)
    def post(self, request, pk):
        experiment = get_object_or_404(experiments_with_arms(), id=pk)
        data = _valid(ExperimentPromoteSerializer, request.data)
        try:
            experiment = experiment_promote(
                experiment=experiment,
                user=request.user,
                arm_key=data["arm"],
                confirm_engine=data["confirm_engine"],
            )
        except EngineFlipUnconfirmed as error:
            raise _unconfirmed(error) from error
        return experiment_response(experiment)


class ExperimentRollbackView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(request=ExperimentRollbackSerializer, responses=ExperimentSerializer)
    def post(self, request, pk):
        experiment = get_object_or_404(experiments_with_arms(), id=pk)
        data = _valid(ExperimentRollbackSerializer, request.data)
        try:
            experiment = experiment_rollback(
                experiment=experiment, user=request.user, confirm_engine=data["confirm_engine"]
            )
        except EngineFlipUnconfirmed as error:
            raise _unconfirmed(error) from error
        return experiment_response(experiment)
