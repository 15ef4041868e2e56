from django.contrib import admin

from core.admin import EvidenceAdmin, EvidenceHistoryAdmin
from prospects.models import (
    Correction,
    Decision,
    Draft,
    InboundMessage,
    MoveLabel,
    OutcomeAttribution,
    PipelineSettings,
    SafetyCue,
    Thread,
    ThreadOutcome,
)

admin.site.register([Thread, InboundMessage, Decision], EvidenceAdmin)
admin.site.register([Draft, Correction, MoveLabel, SafetyCue, ThreadOutcome], EvidenceHistoryAdmin)
admin.site.register(OutcomeAttribution, EvidenceAdmin)
# The pipeline settings change only through the panel and the API: the engine switches
# check the registry and ask for a confirmation, every setting is validated and kept in
# history with who changed it. Django admin shows them, with that history, and no form.
admin.site.register(PipelineSettings, EvidenceHistoryAdmin)
