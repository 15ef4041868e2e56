"""Workflows as files: one human-reviewable YAML file per workflow, for git and CI.

Export writes each workflow's live version (or its newest draft); import is
all-or-nothing and names the file and field path of every problem.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from builder.definition import DefinitionInvalid, canonical, validate_definition
from builder.models import Workflow, WorkflowVersion
from builder.selectors import snippet_exists, workflow_latest_version
from builder.services import workflow_create, workflow_publish, workflow_save_draft

FILE_KEYS = ("slug", "status", "notes", "definition")
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


def _exported_version(workflow: Workflow) -> WorkflowVersion | None:
    return workflow.live_version or workflow_latest_version(workflow)


def workflow_export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
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
        path = directory / f"{workflow.slug}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=88))
        written.append(path)
    return written


def _read(path: Path) -> tuple[dict | None, dict[str, list[str]]]:
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        return None, {"(file)": [f"Not valid YAML: {error}"]}
    if not isinstance(document, dict):
        return None, {"(file)": ["Expected a mapping with slug, status and definition."]}
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
        validate_definition(document.get("definition"), snippet_exists=snippet_exists)
    except DefinitionInvalid as invalid:
        errors.update({f"definition.{path}": msgs for path, msgs in invalid.errors.items()})
    return document, errors


def workflow_import(directory: Path, *, user=None, only_missing: bool = False) -> ImportReport:
    """Loads every ``*.yaml`` in ``directory``; nothing at all if any file is bad.

    ``only_missing`` skips workflows that exist already (the demo loader must not
    overwrite what operators changed).
    """
    documents, errors = {}, {}
    for path in sorted(directory.glob("*.yaml")):
        document, file_errors = _read(path)
        if file_errors:
            errors[path.name] = file_errors
        else:
            documents[path.name] = document
    if errors:
        raise WorkflowFileError(errors)
    report = ImportReport()
    with transaction.atomic():
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
        ):
            report.unchanged.append(slug)
            return
        version = workflow_save_draft(
            workflow=workflow, definition=definition, author=user, notes=notes, new_version=True
        )
        report.updated.append(slug)
    if publish:
        workflow_publish(version=version, user=user, note=f"Imported from {slug}.yaml")
