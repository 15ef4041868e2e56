"""REST API for workflows and snippets: input serializer -> service -> output serializer."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from builder import selectors
from builder.definition import RETIRED_KEYS, DefinitionInvalid, without_retired_keys
from builder.diff import version_diff
from builder.models import Snippet, SnippetVersion, Workflow, WorkflowVersion
from builder.resolve import Situation, resolve_workflow
from builder.services import (
    snippet_save,
    workflow_archive,
    workflow_create,
    workflow_publish,
    workflow_rollback,
    workflow_save_draft,
)
from core.fields import StrictCharField, StrictSlugField, StrictTextField
from core.pagination import PageSizePagination, page_of
from core.roles import Allows, can_edit_workflows, has_any_role
from core.serializers import BodySerializer

WorkflowEditors = Allows(has_any_role, write=can_edit_workflows)


def _definition_errors(invalid: DefinitionInvalid) -> ValidationError:
    return ValidationError({"definition": invalid.errors})


class VersionSerializer(serializers.ModelSerializer):
    workflow = serializers.UUIDField(source="workflow_id", read_only=True)
    label = serializers.CharField(read_only=True)
    author = serializers.StringRelatedField(allow_null=True)
    published_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = WorkflowVersion
        fields = [
            "id",
            "workflow",
            "label",
            "number",
            "status",
            "definition",
            "pinned_snippets",
            "author",
            "notes",
            "created_at",
            "published_at",
            "published_by",
            "publish_note",
        ]


class VersionWrittenSerializer(VersionSerializer):
    """A version just written, with what was dropped from the posted definition."""

    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "warnings"]


def _written(version: WorkflowVersion, warnings: list[str]) -> Response:
    version.warnings = warnings
    return Response(VersionWrittenSerializer(version).data, status=status.HTTP_201_CREATED)


class WorkflowSerializer(serializers.ModelSerializer):
    live_version = VersionSerializer(allow_null=True)

    class Meta:
        model = Workflow
        fields = ["id", "slug", "created_at", "live_version"]


@extend_schema_field(
    {
        "type": "object",
        "description": "A workflow definition: name, appliesTo, context, steps. Its full "
        "rules are the JSON Schema builder/workflow.schema.json (draft 2020-12), checked "
        "on write; a definition that breaks them is a 400 naming each step and field.",
    }
)
class DefinitionField(serializers.JSONField):
    pass


class WorkflowCreateSerializer(BodySerializer):
    slug = StrictSlugField(max_length=100)
    definition = DefinitionField()
    notes = StrictTextField(
        multiline=True, required=False, allow_blank=True, default="", max_length=2000
    )


class VersionCreateSerializer(BodySerializer):
    definition = DefinitionField()
    notes = StrictTextField(
        multiline=True, required=False, allow_blank=True, default="", max_length=2000
    )


class NoteSerializer(BodySerializer):
    note = StrictTextField(multiline=True, max_length=2000)


class RollbackSerializer(BodySerializer):
    note = StrictTextField(
        multiline=True, required=False, allow_blank=True, default="", max_length=2000
    )


class WorkflowListView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=WorkflowVersion.Status.values),
            OpenApiParameter("template_key", str),
        ],
        operation_id="workflows_list",
        responses=page_of(WorkflowSerializer),
    )
    def get(self, request):
        if "engine" in request.query_params:
            # Silently ignoring it would answer every workflow to an old client's filter.
            raise ValidationError({"engine": [RETIRED_KEYS["engine"]]})
        status_filter = request.query_params.get("status", "")
        if status_filter and status_filter not in WorkflowVersion.Status.values:
            raise ValidationError({"status": [f"Must be one of {WorkflowVersion.Status.values}."]})
        workflows = selectors.workflows_list(
            status=status_filter,
            template_key=request.query_params.get("template_key", ""),
        )
        return _paginated(request, workflows, WorkflowSerializer)

    @extend_schema(request=WorkflowCreateSerializer, responses={201: VersionWrittenSerializer})
    def post(self, request):
        data, warnings = _definition_input(WorkflowCreateSerializer, request.data)
        try:
            version = workflow_create(author=request.user, **data)
        except DefinitionInvalid as invalid:
            raise _definition_errors(invalid) from invalid
        return _written(version, warnings)


def _paginated(request, items, serializer_class) -> Response:
    paginator = PageSizePagination()
    page = paginator.paginate_queryset(items, request)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _definition_input(serializer_class, data) -> tuple[dict, list[str]]:
    """Valid input, its definition without keys that older installs wrote (an export
    from one must still load), and a warning per key dropped."""
    validated = dict(_valid(serializer_class, data))
    validated["definition"], warnings = without_retired_keys(validated["definition"])
    return validated, warnings


class WorkflowDetailView(generics.RetrieveAPIView):
    permission_classes = [WorkflowEditors]
    serializer_class = WorkflowSerializer
    queryset = Workflow.objects.select_related(
        "live_version__workflow", "live_version__author", "live_version__published_by"
    )


class VersionListView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request, pk):
        workflow = get_object_or_404(Workflow, id=pk)
        versions = workflow.versions.select_related("workflow", "author", "published_by")
        return Response(VersionSerializer(versions, many=True).data)

    @extend_schema(request=VersionCreateSerializer, responses={201: VersionWrittenSerializer})
    def post(self, request, pk):
        workflow = get_object_or_404(Workflow, id=pk)
        data, warnings = _definition_input(VersionCreateSerializer, request.data)
        try:
            version = workflow_save_draft(workflow=workflow, author=request.user, **data)
        except DefinitionInvalid as invalid:
            raise _definition_errors(invalid) from invalid
        return _written(version, warnings)


def _version(pk, number) -> WorkflowVersion:
    return get_object_or_404(
        WorkflowVersion.objects.select_related("workflow"), workflow_id=pk, number=number
    )


class VersionDetailView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(responses=VersionSerializer)
    def get(self, request, pk, number):
        return Response(VersionSerializer(_version(pk, number)).data)


class VersionPublishView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(request=NoteSerializer, responses=VersionSerializer)
    def post(self, request, pk, number):
        version = _version(pk, number)
        note = _valid(NoteSerializer, request.data)["note"]
        try:
            version = workflow_publish(version=version, user=request.user, note=note)
        except DefinitionInvalid as invalid:
            raise _definition_errors(invalid) from invalid
        except ValueError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(VersionSerializer(version).data)


class VersionRollbackView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(request=RollbackSerializer, responses={201: VersionSerializer})
    def post(self, request, pk, number):
        note = _valid(RollbackSerializer, request.data)["note"]
        try:
            version = workflow_rollback(version=_version(pk, number), user=request.user, note=note)
        except DefinitionInvalid as invalid:
            raise _definition_errors(invalid) from invalid
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionArchiveView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(request=None, responses=VersionSerializer)
    def post(self, request, pk, number):
        try:
            version = workflow_archive(version=_version(pk, number))
        except ValueError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(VersionSerializer(version).data)


class DiffQuerySerializer(serializers.Serializer):
    a = serializers.IntegerField(min_value=1)
    b = serializers.IntegerField(min_value=1)


class DiffView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(parameters=[DiffQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        query = _valid(DiffQuerySerializer, request.query_params)
        a, b = _version(pk, query["a"]), _version(pk, query["b"])
        return Response(
            {
                "a": a.label,
                "b": b.label,
                "sections": {
                    diff.section: {
                        "label": diff.label,
                        "changed": diff.changed,
                        "unified": diff.unified,
                    }
                    for diff in version_diff(a, b)
                },
            }
        )


class ResolveQuerySerializer(serializers.Serializer):
    archetype = StrictCharField(max_length=100)
    state = StrictCharField(max_length=100)
    template_key = StrictCharField(max_length=100)


class ResolveView(APIView):
    """Which live workflow version would run for a situation, without running it."""

    permission_classes = [WorkflowEditors]

    @extend_schema(parameters=[ResolveQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = _valid(ResolveQuerySerializer, request.query_params)
        version = resolve_workflow(Situation(**query))
        return Response(
            {"situation": query, "version": VersionSerializer(version).data if version else None}
        )


class SnippetSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True)
    version = serializers.IntegerField(source="latest_number", read_only=True)
    text = serializers.CharField(source="latest_text", read_only=True)

    class Meta:
        model = Snippet
        fields = ["id", "ref", "kind", "key", "version", "text"]


class SnippetWriteSerializer(BodySerializer):
    kind = serializers.ChoiceField(choices=Snippet.Kind.choices)
    key = StrictCharField(max_length=100, validators=Snippet._meta.get_field("key").validators)
    text = StrictTextField(multiline=True, max_length=8000, allow_blank=True, trim_whitespace=False)


class SnippetTextSerializer(BodySerializer):
    text = StrictTextField(multiline=True, max_length=8000, allow_blank=True, trim_whitespace=False)


class SnippetVersionSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = SnippetVersion
        fields = ["number", "text", "author", "created_at"]


class SnippetListView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(operation_id="snippets_list", responses=page_of(SnippetSerializer))
    def get(self, request):
        return _paginated(request, selectors.snippets_with_latest(), SnippetSerializer)

    @extend_schema(request=SnippetWriteSerializer, responses={201: SnippetSerializer})
    def post(self, request):
        data = _valid(SnippetWriteSerializer, request.data)
        version = snippet_save(author=request.user, **data)
        snippet = selectors.snippets_with_latest().get(id=version.snippet_id)
        return Response(SnippetSerializer(snippet).data, status=status.HTTP_201_CREATED)


class SnippetDetailView(APIView):
    permission_classes = [WorkflowEditors]

    @extend_schema(operation_id="snippets_history", responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        snippet = get_object_or_404(Snippet, id=pk)
        versions = snippet.versions.select_related("author")
        return Response(
            {
                "snippet": SnippetSerializer(selectors.snippets_with_latest().get(id=pk)).data,
                "versions": SnippetVersionSerializer(versions, many=True).data,
            }
        )

    @extend_schema(request=SnippetTextSerializer, responses=SnippetSerializer)
    def put(self, request, pk):
        snippet = get_object_or_404(Snippet, id=pk)
        text = _valid(SnippetTextSerializer, request.data)["text"]
        snippet_save(kind=snippet.kind, key=snippet.key, text=text, author=request.user)
        return Response(SnippetSerializer(selectors.snippets_with_latest().get(id=pk)).data)
