"""REST: evaluations of served builds (admin starts them; admin and operators read them)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from core.serializers import BodySerializer
from engines.id_field import EngineIdField
from engines.models.training import Evaluation
from prospects.builds.evaluation_runs import evaluation_start
from prospects.builds.training_api import TrainingAccess
from prospects.builds.tuning import Split


class EvaluationCreateSerializer(BodySerializer):
    engine_id = EngineIdField()
    head = serializers.ChoiceField(choices=Evaluation.Head.choices, default="voice")
    split = serializers.ChoiceField(choices=[s.value for s in Split], default="eval")


class EvaluationSerializer(serializers.ModelSerializer):
    engine_id = serializers.CharField(source="build.engine_id", read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "engine_id",
            "head",
            "split",
            "status",
            "status_detail",
            "cases_sha256",
            "metrics",
            "created_at",
            "finished_at",
        ]


class EvaluationListView(generics.ListAPIView):
    permission_classes = [TrainingAccess]
    serializer_class = EvaluationSerializer
    queryset = Evaluation.objects.select_related("build").defer("cases")

    @extend_schema(request=EvaluationCreateSerializer, responses={201: EvaluationSerializer})
    def post(self, request):
        serializer = EvaluationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evaluation = evaluation_start(**serializer.validated_data, user=request.user)
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)


class EvaluationDetailView(generics.RetrieveAPIView):
    permission_classes = [TrainingAccess]
    serializer_class = EvaluationSerializer
    queryset = Evaluation.objects.select_related("build").defer("cases")
