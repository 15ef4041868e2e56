"""REST API for drafting jobs: input serializer -> service -> output serializer."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.models import WorkflowVersion
from core.roles import Allows, can_start_jobs, has_any_role
from core.serializers import BodySerializer
from engines.id_field import EngineIdField
from prospects.drafting.runner import backlog, linked_draft
from prospects.jobs.services import job_cancel, job_create, job_progress, job_retry_failed
from prospects.models import DraftJob, DraftJobItem
from prospects.selectors import with_progress

JobStarters = Allows(has_any_role, write=can_start_jobs)


class JobFilterSerializer(BodySerializer):
    draft_status = serializers.CharField(required=False, max_length=32)
    hold_reason = serializers.CharField(required=False, max_length=32)
    template_key = serializers.CharField(required=False, max_length=100)
    engine = serializers.CharField(required=False, max_length=120)


class JobCreateSerializer(BodySerializer):
    thread_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=10_000,
        allow_empty=False,
        min_length=1,
    )
    filter = JobFilterSerializer(required=False)
    engine_id = EngineIdField(required=False, allow_blank=True, default="")
    workflow_version = serializers.PrimaryKeyRelatedField(
        queryset=WorkflowVersion.objects.all(), required=False, allow_null=True, default=None
    )


class JobItemSerializer(serializers.ModelSerializer):
    thread = serializers.UUIDField(source="thread_id")
    draft = serializers.SerializerMethodField()

    class Meta:
        model = DraftJobItem
        fields = ["id", "thread", "status", "engine_id", "attempts", "last_error", "draft"]

    def get_draft(self, item) -> str | None:
        draft = linked_draft(item)
        return str(draft.id) if draft else None


class JobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = DraftJob
        fields = [
            "id",
            "status",
            "scope",
            "engine_id",
            "workflow_version",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
        ]

    def get_progress(self, job) -> dict:
        progress = job_progress(job)
        return {
            "total": progress.total,
            "drafted": progress.drafted,
            "held": progress.held,
            "failed": progress.failed,
            "pending": progress.pending,
            "cancelled": progress.cancelled,
            "percent": progress.percent,
        }


class JobListView(generics.ListAPIView):
    permission_classes = [JobStarters]
    serializer_class = JobSerializer
    queryset = with_progress(DraftJob.objects.all())

    @extend_schema(request=JobCreateSerializer, responses={201: JobSerializer})
    def post(self, request):
        serializer = JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = job_create(
            user=request.user,
            thread_ids=data.get("thread_ids"),
            filters=data.get("filter"),
            engine_id=data["engine_id"],
            workflow_version=data["workflow_version"],
        )
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)


class JobDetailView(APIView):
    permission_classes = [JobStarters]

    @extend_schema(responses=JobSerializer)
    def get(self, request, pk):
        job = get_object_or_404(DraftJob, id=pk)
        items = job.items.select_related("draft")[:1000]
        return Response(
            {**JobSerializer(job).data, "items": JobItemSerializer(items, many=True).data}
        )


class JobCancelView(APIView):
    permission_classes = [JobStarters]

    @extend_schema(request=None, responses=JobSerializer)
    def post(self, request, pk):
        job = get_object_or_404(DraftJob, id=pk)
        job_cancel(job=job)
        job.refresh_from_db()
        return Response(JobSerializer(job).data)


class JobRetryView(APIView):
    permission_classes = [JobStarters]

    @extend_schema(request=None, responses=JobSerializer)
    def post(self, request, pk):
        job = get_object_or_404(DraftJob, id=pk)
        retried = job_retry_failed(job=job)
        job.refresh_from_db()
        return Response({**JobSerializer(job).data, "retried": retried})


class BacklogView(APIView):
    permission_classes = [JobStarters]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response({"engines": backlog()})
