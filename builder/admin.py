from django.contrib import admin

from builder.models import Snippet, SnippetVersion, Workflow, WorkflowVersion
from core.admin import EvidenceAdmin, EvidenceHistoryAdmin

admin.site.register(Snippet)
# Versions are immutable once written (a snippet's always, a workflow's once published),
# and the live version moves only by publishing: drafts and decisions cite all three.
admin.site.register([SnippetVersion, WorkflowVersion], EvidenceAdmin)
admin.site.register(Workflow, EvidenceHistoryAdmin)
