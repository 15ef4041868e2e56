from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from builder.models import CanonEntry

admin.site.register(CanonEntry, SimpleHistoryAdmin)
