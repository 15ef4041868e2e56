from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from prospects.models import Decision, Draft, InboundMessage, PipelineSettings, Thread

admin.site.register(Thread)
admin.site.register(InboundMessage)
admin.site.register(Decision)
admin.site.register(Draft, SimpleHistoryAdmin)
admin.site.register(PipelineSettings, SimpleHistoryAdmin)
