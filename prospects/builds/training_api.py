"""REST: training runs (admin starts them; admin and operators read them)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField
from core.roles import Allows, can_read_training, can_train
from core.serializers import BodySerializer
from engines.id_field import EngineIdField
from engines.models.training import TrainingRun
from engines.training.runs import run_for_droplet, training_job, training_run_report
from prospects.builds.training_runs import training_run_start

TrainingAccess = Allows(can_read_training, write=can_train)


class TrainingRunCreateSerializer(BodySerializer):
    source_engine_ids = serializers.ListField(
        child=EngineIdField(),
        allow_empty=False,
        min_length=1,
        max_length=20,
    )
    parent_engine_id = EngineIdField(required=False, allow_blank=True, default="")
    head = serializers.ChoiceField(choices=TrainingRun.Head.choices, default="voice")
    new_engine_id = EngineIdField(required=False, allow_blank=True, default="")
    hyper_parameters = serializers.DictField(required=False, default=dict)
    base_model = StrictCharField(required=False, allow_blank=True, default="", max_length=300)


class TrainingRunSerializer(serializers.ModelSerializer):
    build = serializers.CharField(source="build.engine_id", default=None, read_only=True)

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "head",
            "status",
            "status_detail",
            "placement",
            "base_model",
            "parent_engine_id",
            "source_engine_ids",
            "new_engine_id",
            "data_sha256",
            "data_lines",
            "hyper_parameters",
            "device",
            "metrics",
            "adapter_dir",
            "build",
            "created_at",
            "started_at",
            "finished_at",
        ]


class TrainingRunDetailSerializer(TrainingRunSerializer):
    class Meta(TrainingRunSerializer.Meta):
        fields = [*TrainingRunSerializer.Meta.fields, "log"]


class TrainingRunListView(generics.ListAPIView):
    permission_classes = [TrainingAccess]
    serializer_class = TrainingRunSerializer
    queryset = TrainingRun.objects.select_related("build").defer("snapshot", "log")

    @extend_schema(request=TrainingRunCreateSerializer, responses={201: TrainingRunSerializer})
    def post(self, request):
        serializer = TrainingRunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = training_run_start(**serializer.validated_data, user=request.user)
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_201_CREATED)


class TrainingRunDetailView(generics.RetrieveAPIView):
    permission_classes = [TrainingAccess]
    serializer_class = TrainingRunDetailSerializer
    queryset = TrainingRun.objects.select_related("build").defer("snapshot")


def bearer_token(request) -> str:
    """The token of an ``Authorization: Bearer`` header: what a droplet authenticates with
    (a run's report token, an instance's credentials token); "" when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class TrainingJobSerializer(serializers.Serializer):
    base_model = serializers.CharField()
    head = serializers.CharField()
    hyper_parameters = serializers.DictField()
    lines = serializers.ListField(child=serializers.CharField())


class TrainingReportSerializer(BodySerializer):
    status = serializers.ChoiceField(choices=["running", "succeeded", "failed"])
    log = serializers.ListField(
        child=StrictCharField(allow_blank=True, max_length=2000),
        required=False,
        default=list,
        max_length=500,
    )
    metrics = serializers.DictField(required=False, default=dict)
    adapter_dir = StrictCharField(required=False, allow_blank=True, max_length=500)
    device = StrictCharField(required=False, allow_blank=True, max_length=16)
    detail = StrictCharField(required=False, allow_blank=True, max_length=4000)


class TrainingJobView(APIView):
    """For the training droplet: its run's data, with ``Authorization: Bearer <token>``.
    Not a user's token: the service checks this one against the run."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=TrainingJobSerializer)
    def get(self, request, pk):
        return Response(training_job(pk, bearer_token(request)))


class HoldsRunToken(BasePermission):
    """The run's own report token, checked before the body is read: a stranger's body is
    never parsed."""

    def has_permission(self, request, view) -> bool:
        if not hasattr(view, request.method.lower()):
            return True  # a method the view does not answer: DRF's 405, not a token check
        run_for_droplet(view.kwargs["pk"], bearer_token(request))
        return True


class TrainingReportView(APIView):
    """For the training droplet: progress, then how the run ended."""

    authentication_classes = []
    permission_classes = [HoldsRunToken]

    @extend_schema(request=TrainingReportSerializer, responses=TrainingRunSerializer)
    def post(self, request, pk):
        serializer = TrainingReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = training_run_report(pk, bearer_token(request), **serializer.validated_data)
        return Response(TrainingRunSerializer(run).data)
