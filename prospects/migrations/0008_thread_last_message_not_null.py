"""Threads always carry their latest message time, so their index needs no NULLS LAST."""

from django.db import migrations, models
from django.db.models import F

import core.clock


def fill_missing(apps, schema_editor):
    Thread = apps.get_model("prospects", "Thread")
    Thread.objects.filter(last_message_at__isnull=True).update(last_message_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("prospects", "0007_panel_filter_indexes"),
    ]

    operations = [
        # Made by an earlier 0007 on PostgreSQL installs; absent elsewhere.
        migrations.RunSQL("DROP INDEX IF EXISTS thread_latest_first", migrations.RunSQL.noop),
        migrations.RunPython(fill_missing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="thread",
            name="last_message_at",
            field=models.DateTimeField(db_index=True, default=core.clock.now),
        ),
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(
                models.OrderBy(models.F("last_message_at"), descending=True),
                models.F("handle"),
                name="thread_by_latest",
            ),
        ),
    ]
