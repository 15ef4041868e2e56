"""``GET/PUT /api/settings/pipeline/``: the admin's pipeline settings, checked and saved by
the same service as the panel's Pipeline page (prospects/pipeline_settings.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from core.fields import StrictCharField, StrictFloatField, StrictIntegerField, StrictTextField
from core.roles import Allows, can_change_engine
from core.serializers import BodySerializer
from engines.id_field import EngineIdField
from engines.ids import Provider
from prospects.models import Mode, WithoutWorkflow
from prospects.pipeline_settings import (
    CAP_RANGE,
    MAX_DAILY_SEND_CAP,
    MAX_REASON_LENGTH,
    THRESHOLD_RANGE,
    pipeline_settings_changes_summary,
    pipeline_settings_update,
    pipeline_values,
)
from prospects.selectors import pipeline_settings


class PipelineSettingsSerializer(BodySerializer):
    default_mode = serializers.ChoiceField(
        choices=Mode.choices, help_text="The send mode of template keys not in auto_send_keys."
    )
    auto_send_keys = serializers.ListField(
        child=StrictCharField(max_length=120),
        help_text="Template keys whose drafts are sent without review.",
    )
    without_workflow = serializers.ChoiceField(
        choices=WithoutWorkflow.choices,
        help_text="What a model engine's draft does when no published workflow matches.",
    )
    engine_wait_fallback = serializers.ChoiceField(
        choices=WithoutWorkflow.choices,
        help_text="What a live draft does when its model build is not ready in time.",
    )
    escalation_engine = EngineIdField(
        allow_blank=True,
        providers=(Provider.DO_GPU, Provider.ENDPOINT),
        help_text="The model build that gets one more try at a draft the validation gate "
        "refused, credited with the draft it writes; never the draft engine itself. "
        "Empty: no escalation.",
    )
    # The bounds are the service's; here they are written into the schema.
    uncertain_move_threshold = StrictFloatField(
        min_value=0,
        max_value=1,
        error_messages={"min_value": THRESHOLD_RANGE, "max_value": THRESHOLD_RANGE},
        help_text="0 to 1: a draft whose classifier is less confident is held; 0 never holds.",
    )
    daily_send_cap = StrictIntegerField(
        allow_null=True,
        min_value=1,
        max_value=MAX_DAILY_SEND_CAP,
        error_messages={"min_value": CAP_RANGE, "max_value": CAP_RANGE},
        help_text="At most this many replies a day (UTC) are sent without a person; null: no cap.",
    )


class PipelineSettingsChangeSerializer(PipelineSettingsSerializer):
    """Any of the settings (those left out stay as they are), and why."""

    reason = StrictTextField(
        max_length=MAX_REASON_LENGTH, help_text="Why: kept in the history with who changed it."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name == "reason"


class PipelineSettingsChangedSerializer(PipelineSettingsSerializer):
    changed = serializers.ListField(
        child=serializers.CharField(), help_text="What changed, in words; empty when nothing."
    )


class PipelineSettingsView(generics.GenericAPIView):
    """How replies are sent: admin only. A PUT is checked by the same rules as the panel's
    Pipeline page, needs a ``reason``, and is kept in history with who and why; field
    errors answer 400 by field."""

    permission_classes = [Allows(can_change_engine)]
    serializer_class = PipelineSettingsChangeSerializer

    def get_object(self):
        return pipeline_settings()

    @extend_schema(responses=PipelineSettingsSerializer)
    def get(self, request):
        return Response(PipelineSettingsSerializer(pipeline_values(self.get_object())).data)

    @extend_schema(
        request=PipelineSettingsChangeSerializer, responses=PipelineSettingsChangedSerializer
    )
    def put(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        before = pipeline_values(self.get_object())
        row = pipeline_settings_update(changes=changes, reason=reason, user=request.user)
        after = pipeline_values(row)
        return Response(
            PipelineSettingsChangedSerializer(
                {**after, "changed": pipeline_settings_changes_summary(before, after)}
            ).data
        )
