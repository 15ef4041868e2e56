"""Installs that loaded canon before `out_of_area` offered travel (../shared/MOVES.md) get
the new key's canon, so those drafts are written instead of held
`unknown_template_key`. A fresh install gets it from builder/fixtures/canon.yaml."""

from django.db import migrations

KEY = "out_of_area.travel"
TEXT = (
    "Thank you for thinking of me! I do outcalls and travel for bookings. Tell me your city "
    "and the dates you have in mind, and I'll see what I can arrange."
)


def add_travel_canon(apps, schema_editor):
    Snippet = apps.get_model("builder", "Snippet")
    SnippetVersion = apps.get_model("builder", "SnippetVersion")
    canon = Snippet.objects.filter(kind="canon")
    if not canon.exists() or canon.filter(key=KEY).exists():
        return
    snippet = Snippet.objects.create(kind="canon", key=KEY)
    SnippetVersion.objects.create(snippet=snippet, number=1, text=TEXT)


class Migration(migrations.Migration):
    dependencies = [("builder", "0002_experiments")]

    operations = [migrations.RunPython(add_travel_canon, migrations.RunPython.noop)]
