"""Trigram indexes for the panel's ``icontains`` searches, on PostgreSQL only.

They are not in the models' Meta because the zero-setup demo runs on SQLite, which has
neither the extension nor GIN indexes.
"""

from django.db import migrations

INDEXES = {
    "thread_handle_trgm": ("prospects_thread", "handle"),
    "message_sender_trgm": ("prospects_inboundmessage", "sender"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            # Django's icontains compares UPPER(column::text) on PostgreSQL.
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("prospects", "0005_inbound_invisible_removed")]

    operations = [migrations.RunPython(create, drop)]
