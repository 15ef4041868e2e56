from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from prospects.models import Decision, Draft, InboundMessage, PipelineSettings, Thread

admin.site.register(Thread)
admin.site.register(InboundMessage)
admin.site.register(Decision)
admin.site.register(Draft, SimpleHistoryAdmin)


@admin.register(PipelineSettings)
class PipelineSettingsAdmin(SimpleHistoryAdmin):
    # The active engine changes only through draft_engine_set (registry check, history).
    readonly_fields = ["draft_engine"]
