"""Workflows as files: one human-reviewable YAML file per workflow, for git and CI.

Export writes each workflow's live version (or its newest draft) and, beside them, the
snippet versions those pin (builder/snippet_files.py), so the folder loads on an install
that has none of them. Import loads those snippet versions first, then the workflows;
it is all-or-nothing and names the file and field path of every problem.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from builder.definition import (
    DefinitionInvalid,
    canonical,
    validate_definition,
    without_retired_keys,
)
from builder.models import Workflow, WorkflowVersion
from builder.safe_yaml import yaml_file_load
from builder.selectors import snippet_exists, snippet_version, workflow_latest_version
from builder.services import workflow_create, workflow_publish, workflow_save_draft
from builder.snippet_files import (
    SNIPPETS_FILE,
    SnippetTexts,
    snippet_versions_export,
    snippet_versions_load,
    snippet_versions_read,
)

FILE_KEYS = ("slug", "status", "notes", "definition", "pinned")
STATUSES = (WorkflowVersion.Status.DRAFT, WorkflowVersion.Status.PUBLISHED)


class WorkflowFileError(Exception):
    def __init__(self, errors: dict[str, dict[str, list[str]]]):
        lines = [
            f"{name}: {path}: {' '.join(messages)}"
            for name, paths in errors.items()
            for path, messages in paths.items()
        ]
        super().__init__("\n".join(lines))
        self.errors = errors


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    snippets: list[str] = field(default_factory=list)  # versions created, kind:key@number
    notes: list[str] = field(default_factory=list)  # "file: path: what was dropped"


def _exported_version(workflow: Workflow) -> WorkflowVersion | None:
    return workflow.live_version or workflow_latest_version(workflow)


def _snippet_versions(version: WorkflowVersion) -> dict[str, int]:
    """What a version runs with: its pins once published, else what it names or the
    latest (what publishing it now would pin)."""
    if version.status == WorkflowVersion.Status.PUBLISHED:
        return dict(version.pinned_snippets)
    used = {}
    for item in version.definition.get("context", []):
        if "snippet" in item and (found := snippet_version(item["snippet"], item.get("version"))):
            used[item["snippet"]] = found.number
    return used


def workflow_export(directory: Path) -> list[Path]:
    """Writes one file per workflow and the snippet versions they use; returns the
    workflow files."""
    directory.mkdir(parents=True, exist_ok=True)
    written, wanted = [], set()
    for workflow in Workflow.objects.select_related("live_version"):
        version = _exported_version(workflow)
        if version is None:
            continue
        document = {
            "slug": workflow.slug,
            "status": "published" if workflow.live_version else "draft",
            "notes": version.notes,
            "definition": canonical(version.definition),
        }
        if workflow.live_version:
            document["pinned"] = dict(sorted(version.pinned_snippets.items()))
        wanted.update(_snippet_versions(version).items())
        path = directory / f"{workflow.slug}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=88))
        written.append(path)
    snippet_versions_export(directory, wanted)
    return written


def _read(path: Path, exists) -> tuple[dict | None, dict[str, list[str]], list[str]]:
    """The document, its errors by field path, and notes on retired keys it dropped.

    ``exists(ref, number)`` says whether a snippet version is stored or in the folder.
    """
    try:
        document = yaml_file_load(path)
    except yaml.YAMLError as error:
        return None, {"(file)": [f"Not valid YAML: {error}"]}, []
    if not isinstance(document, dict):
        return None, {"(file)": ["Expected a mapping with slug, status and definition."]}, []
    document["definition"], dropped = without_retired_keys(document.get("definition"))
    notes = [f"{path.name}: definition.{note}" for note in dropped]
    errors = {}
    for key in set(document) - set(FILE_KEYS):
        errors[key] = ["This field is not allowed here."]
    if not isinstance(document.get("slug"), str) or not document.get("slug"):
        errors["slug"] = ["This field is required."]
    elif document["slug"] != path.stem:
        errors["slug"] = [f"Must match the file name '{path.stem}'."]
    else:
        try:
            Workflow._meta.get_field("slug").run_validators(document["slug"])
        except ValidationError as invalid:
            errors["slug"] = invalid.messages
    if document.get("status", "published") not in STATUSES:
        errors["status"] = [f"Must be one of {', '.join(STATUSES)}."]
    try:
        validate_definition(document["definition"], snippet_exists=exists)
    except DefinitionInvalid as invalid:
        errors.update({f"definition.{path}": msgs for path, msgs in invalid.errors.items()})
    else:
        errors.update(_pinned_errors(document, exists))
    return document, errors, notes


def _pinned_errors(document: dict, exists) -> dict[str, list[str]]:
    """``pinned`` (optional: files from older installs lack it) names a stored or shipped
    version of each snippet in the context, and nothing else."""
    if "pinned" not in document:
        return {}
    pinned = document["pinned"]
    if document.get("status", "published") != WorkflowVersion.Status.PUBLISHED:
        return {"pinned": ["Only a published workflow pins snippet versions."]}
    if not isinstance(pinned, dict):
        return {"pinned": ["Expected snippet -> version number."]}
    named = {
        item["snippet"] for item in document["definition"].get("context", []) if "snippet" in item
    }
    errors = {}
    for ref, number in pinned.items():
        if ref not in named:
            errors[f"pinned.{ref}"] = ["The definition's context does not name this snippet."]
        elif not isinstance(number, int) or isinstance(number, bool) or number < 1:
            errors[f"pinned.{ref}"] = ["A version number is a positive integer."]
        elif not exists(ref, number):
            errors[f"pinned.{ref}"] = [f"No version {number} here or in {SNIPPETS_FILE}."]
    for ref in sorted(named - set(pinned)):
        errors[f"pinned.{ref}"] = ["Every snippet in the context needs its pinned version."]
    return errors


def _exists_with(texts: SnippetTexts):
    """``snippet_exists`` that also counts the versions the folder carries."""
    refs = {ref for ref, _ in texts}

    def exists(ref: str, number: int | None = None) -> bool:
        shipped = (ref, number) in texts if number is not None else ref in refs
        return shipped or snippet_exists(ref, number)

    return exists


def workflow_import(directory: Path, *, user=None, only_missing: bool = False) -> ImportReport:
    """Loads the folder's snippet versions, then every ``*.yaml`` in ``directory``; nothing
    at all if any file is bad.

    ``only_missing`` skips workflows that exist already (the demo loader must not
    overwrite what operators changed).
    """
    texts, snippet_errors = snippet_versions_read(directory)
    errors = {str(SNIPPETS_FILE): snippet_errors} if snippet_errors else {}
    exists = _exists_with(texts)
    documents, report = {}, ImportReport()
    for path in sorted(directory.glob("*.yaml")):
        document, file_errors, notes = _read(path, exists)
        report.notes += notes
        if file_errors:
            errors[path.name] = file_errors
        else:
            documents[path.name] = document
    if errors:
        raise WorkflowFileError(errors)
    with transaction.atomic():
        try:
            report.snippets = snippet_versions_load(texts)
        except (ValidationError, ValueError) as problem:
            # Stored by someone else since the check above.
            raise WorkflowFileError({str(SNIPPETS_FILE): {"(file)": [str(problem)]}}) from problem
        for name, document in documents.items():
            if only_missing and Workflow.objects.filter(slug=document["slug"]).exists():
                report.unchanged.append(document["slug"])
                continue
            try:
                _apply(document, user=user, report=report)
            except (ValidationError, DefinitionInvalid, ValueError) as problem:
                raise WorkflowFileError({name: {"(file)": [str(problem)]}}) from problem
    return report


def _apply(document: dict, *, user, report: ImportReport) -> None:
    slug, definition = document["slug"], document["definition"]
    notes = document.get("notes") or ""
    publish = document.get("status", "published") == WorkflowVersion.Status.PUBLISHED
    pinned = document.get("pinned")
    workflow = Workflow.objects.filter(slug=slug).first()
    if workflow is None:
        version = workflow_create(slug=slug, definition=definition, author=user, notes=notes)
        report.created.append(slug)
    else:
        current = _exported_version(workflow)
        if (
            current
            and canonical(current.definition) == canonical(definition)
            and ((current.status == WorkflowVersion.Status.PUBLISHED) == publish)
            and (pinned is None or current.pinned_snippets == pinned)
        ):
            report.unchanged.append(slug)
            return
        version = workflow_save_draft(
            workflow=workflow, definition=definition, author=user, notes=notes, new_version=True
        )
        report.updated.append(slug)
    if publish:
        workflow_publish(
            version=version, user=user, note=f"Imported from {slug}.yaml", pinned=pinned
        )
