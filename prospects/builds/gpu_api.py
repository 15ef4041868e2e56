"""REST API for the on-demand GPU: state, spend and the admin's hold/release levers."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import Allows, can_use_gpu_levers, has_any_role
from core.serializers import BodySerializer
from engines.gpu.droplet_access import CredentialsClosed, credentials_hand_over
from engines.gpu.lifecycle import provision_blocker
from engines.gpu.selectors import gpu_builds, gpu_spend, gpu_timeline
from engines.gpu.services import gpu_hold_warm, gpu_release_now
from engines.id_field import EngineIdField
from engines.ids import Provider
from engines.models.gpu import GpuInstance, GpuTransition
from engines.selectors import gpu_account_connected
from engines.services import MAX_HOLD_MINUTES
from prospects.builds.gpu import build_loads
from prospects.builds.training_api import bearer_token

GpuLevers = Allows(has_any_role, write=can_use_gpu_levers)


class GpuInstanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = GpuInstance
        fields = [
            "id",
            "state",
            "droplet_id",
            "endpoint_url",
            "size_slug",
            "hourly_price",
            "created_at",
            "billed_from",
            "ready_at",
            "billed_until",
            "last_error",
        ]


class GpuBuildSerializer(serializers.Serializer):
    engine_id = serializers.CharField()
    state = serializers.CharField()
    instances = GpuInstanceSerializer(many=True)
    backlog = serializers.IntegerField()
    oldest_age_seconds = serializers.IntegerField()
    idle_grace_seconds = serializers.IntegerField()
    hold_warm_until = serializers.DateTimeField(allow_null=True)
    spent_today = serializers.FloatField()
    spent_month = serializers.FloatField()
    cold_starts_today = serializers.IntegerField()


class GpuTransitionSerializer(serializers.ModelSerializer):
    engine_id = serializers.CharField(source="instance.engine_id")
    instance = serializers.UUIDField(source="instance_id")

    class Meta:
        model = GpuTransition
        fields = ["at", "engine_id", "instance", "from_state", "to_state", "reason", "detail"]


class GpuSpendSerializer(serializers.Serializer):
    today = serializers.FloatField()
    month = serializers.FloatField()
    cold_starts_today = serializers.IntegerField()


class GpuOverviewSerializer(serializers.Serializer):
    provider_configured = serializers.BooleanField()
    provision_blocked = serializers.CharField(
        help_text="Why nothing is provisioned now (no hourly price, budget spent), or empty."
    )
    spend = GpuSpendSerializer()
    builds = GpuBuildSerializer(many=True)
    timeline = GpuTransitionSerializer(many=True)


class GpuView(APIView):
    permission_classes = [GpuLevers]

    @extend_schema(responses=GpuOverviewSerializer)
    def get(self, request):
        overview = {
            "provider_configured": gpu_account_connected(),
            "provision_blocked": provision_blocker(),
            "spend": gpu_spend(),
            "builds": gpu_builds(build_loads()),
            "timeline": gpu_timeline(),
        }
        return Response(GpuOverviewSerializer(overview).data)


class GpuHoldSerializer(BodySerializer):
    engine_id = EngineIdField(providers=(Provider.DO_GPU,))
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_HOLD_MINUTES)


class GpuReleaseSerializer(BodySerializer):
    engine_id = EngineIdField(providers=(Provider.DO_GPU,))


class GpuHoldView(APIView):
    permission_classes = [GpuLevers]

    @extend_schema(request=GpuHoldSerializer, responses=GpuHoldSerializer)
    def post(self, request):
        serializer = GpuHoldSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = gpu_hold_warm(**serializer.validated_data, user=request.user)
        return Response({**serializer.validated_data, "until": action.until})


class GpuReleaseView(APIView):
    permission_classes = [GpuLevers]

    @extend_schema(request=GpuReleaseSerializer, responses=GpuReleaseSerializer)
    def post(self, request):
        serializer = GpuReleaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        released = gpu_release_now(**serializer.validated_data, user=request.user)
        return Response({**serializer.validated_data, "released": released})


class DropletCredentialsSerializer(serializers.Serializer):
    files = serializers.DictField(child=serializers.CharField())


class HandoverGone(APIException):
    status_code = status.HTTP_410_GONE


class DropletCredentialsView(APIView):
    """For a booting droplet: its credentials, once, with ``Authorization: Bearer <token>``
    (the one-time token in its user data). Not a user's token: every user gets what an
    anonymous caller gets."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses=DropletCredentialsSerializer)
    def post(self, request, pk):
        try:
            files = credentials_hand_over(pk, bearer_token(request))
        except CredentialsClosed as error:
            raise HandoverGone(str(error)) from error
        # Secrets: no cache on the way may keep a copy.
        return Response({"files": files}, headers={"Cache-Control": "no-store"})
