"""The snippet versions that exported workflows use, in one file beside them.

``snippets/versions.yaml`` keeps the shape of builder/fixtures/snippets.yaml (kind -> key
-> text) with the version number between key and text, so a folder of workflows loads on
an install that has none of their snippets. It sits in a subfolder because every
``*.yaml`` beside the workflows is a workflow file.
"""

from pathlib import Path

import yaml
from django.core.exceptions import ValidationError

from builder.models import Snippet, SnippetVersion
from builder.safe_yaml import yaml_file_load
from builder.selectors import snippet_version
from builder.services import snippet_version_restore

SNIPPETS_FILE = Path("snippets") / "versions.yaml"

# ("kind:key", version number) -> text
SnippetTexts = dict[tuple[str, int], str]


class _Dumper(yaml.SafeDumper):
    """Writes multi-line texts as literal blocks, so the file reads like the fixtures."""


def _text(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def snippet_versions_export(directory: Path, wanted: set[tuple[str, int]]) -> Path | None:
    """Writes the texts of ``wanted`` (ref, number) versions; None when there are none."""
    document: dict[str, dict[str, dict[int, str]]] = {}
    for ref, number in sorted(wanted):
        found = snippet_version(ref, number)
        if found is None:
            raise LookupError(f"Snippet {ref} has no version {number} to export.")
        kind, key = found.snippet.kind, found.snippet.key
        document.setdefault(kind, {}).setdefault(key, {})[number] = found.text
    if not document:
        return None
    path = directory / SNIPPETS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88)
    )
    return path


def snippet_versions_read(directory: Path) -> tuple[SnippetTexts, dict[str, list[str]]]:
    """The texts the folder carries and, by ``kind:key@number``, every problem with them:
    a malformed entry, or a version stored here with another text. No file, no texts."""
    path = directory / SNIPPETS_FILE
    if not path.exists():
        return {}, {}
    try:
        document = yaml_file_load(path)
    except yaml.YAMLError as error:
        return {}, {"(file)": [f"Not valid YAML: {error}"]}
    if not isinstance(document, dict):
        return {}, {"(file)": ["Expected kind -> key -> version number -> text."]}
    texts: SnippetTexts = {}
    errors: dict[str, list[str]] = {}
    for kind, entries in document.items():
        if kind not in Snippet.Kind.values:
            errors[str(kind)] = [f"Not a snippet kind; one of {', '.join(Snippet.Kind.values)}."]
            continue
        if not isinstance(entries, dict):
            errors[kind] = ["Expected key -> version number -> text."]
            continue
        for key, versions in entries.items():
            ref = f"{kind}:{key}"
            if problem := _key_problem(key):
                errors[ref] = [problem]
            elif not isinstance(versions, dict):
                errors[ref] = ["Expected version number -> text."]
            else:
                for number, text in versions.items():
                    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                        errors[f"{ref}@{number}"] = ["A version number is a positive integer."]
                    elif not isinstance(text, str):
                        errors[f"{ref}@{number}"] = ["The text must be a string."]
                    elif problem := _stored_problem(kind, key, number, text):
                        errors[f"{ref}@{number}"] = [problem]
                    else:
                        texts[(ref, number)] = text
    return texts, errors


def _key_problem(key) -> str:
    if not isinstance(key, str):
        return "A snippet key is text."
    try:
        Snippet._meta.get_field("key").run_validators(key)
    except ValidationError as invalid:
        return " ".join(invalid.messages)
    return ""


def _stored_problem(kind: str, key: str, number: int, text: str) -> str:
    stored = SnippetVersion.objects.filter(
        snippet__kind=kind, snippet__key=key, number=number
    ).first()
    if stored is not None and stored.text != text:
        return (
            f"Version {number} here has another text; a stored version is never rewritten. "
            "Export this install's snippet or give the file's text a new version."
        )
    return ""


def snippet_versions_load(texts: SnippetTexts) -> list[str]:
    """Creates the versions that are missing, in the caller's transaction; returns them as
    ``kind:key@number``."""
    created = []
    for (ref, number), text in sorted(texts.items()):
        kind, _, key = ref.partition(":")
        if snippet_version_restore(kind=kind, key=key, number=number, text=text):
            created.append(f"{ref}@{number}")
    return created
