from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from config.admin import EvidenceAdmin, EvidenceHistoryAdmin
from prospects.models import (
    Correction,
    Decision,
    Draft,
    InboundMessage,
    MoveLabel,
    PipelineSettings,
    Thread,
)

admin.site.register([Thread, InboundMessage, Decision], EvidenceAdmin)
admin.site.register([Draft, Correction, MoveLabel], EvidenceHistoryAdmin)


@admin.register(PipelineSettings)
class PipelineSettingsAdmin(SimpleHistoryAdmin):
    # The active engine changes only through draft_engine_set (registry check, history).
    readonly_fields = ["draft_engine"]
