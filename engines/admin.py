from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from engines.models import EngineBuild

admin.site.register(EngineBuild, SimpleHistoryAdmin)
