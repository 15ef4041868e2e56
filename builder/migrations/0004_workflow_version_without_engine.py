"""A workflow no longer names its engine (the active draft engine or an experiment arm
chooses it, in production and preview alike): stored definitions lose their "engine" key,
so they validate against builder/workflow.schema.json again, and the column goes."""

from django.db import migrations


def drop_engine_key(apps, schema_editor):
    WorkflowVersion = apps.get_model("builder", "WorkflowVersion")
    for version in WorkflowVersion.objects.only("id", "definition").iterator():
        if isinstance(version.definition, dict) and "engine" in version.definition:
            definition = {k: v for k, v in version.definition.items() if k != "engine"}
            # update(): published versions are immutable to save(), not to this migration.
            WorkflowVersion.objects.filter(id=version.id).update(definition=definition)


class Migration(migrations.Migration):
    dependencies = [("builder", "0003_out_of_area_travel_canon")]

    operations = [
        migrations.RunPython(drop_engine_key, migrations.RunPython.noop),
        migrations.RemoveField(model_name="workflowversion", name="engine"),
    ]
