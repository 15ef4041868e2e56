"""Django admin for evidence: what the pipeline received, decided and drafted, and what
coworkers did about it, is shown there and never added, edited or deleted.

Evidence changes only through the pipeline and the review transitions, which check their
rules and write history; an admin form would bypass both.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class EvidenceHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history saves a revert posted here after checking view permission only.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
