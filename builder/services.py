from pathlib import Path

import yaml
from django.db import transaction

from builder.models import CanonEntry

DEFAULT_CANON_FILE = Path(__file__).parent / "fixtures" / "canon.yaml"


@transaction.atomic
def canon_set(*, template_key: str, text: str, user=None) -> CanonEntry:
    """Creates or updates the canon for a key; every change is kept in its history."""
    entry = CanonEntry.objects.select_for_update().filter(template_key=template_key).first()
    entry = entry or CanonEntry(template_key=template_key)
    entry.text = text
    entry.updated_by = user
    entry.full_clean()
    entry.save()
    return entry


def canon_load_file(*, path: Path = DEFAULT_CANON_FILE, overwrite: bool = False) -> int:
    """Loads ``template_key: text`` pairs from YAML; keeps edited entries unless ``overwrite``."""
    entries = yaml.safe_load(path.read_text())
    loaded = 0
    for template_key, text in entries.items():
        if overwrite or not CanonEntry.objects.filter(template_key=template_key).exists():
            canon_set(template_key=template_key, text=text.strip())
            loaded += 1
    return loaded
