from django.contrib import admin

from builder.models import Snippet, SnippetVersion, Workflow, WorkflowVersion

admin.site.register(Snippet)
admin.site.register(SnippetVersion)
admin.site.register(Workflow)
admin.site.register(WorkflowVersion)
