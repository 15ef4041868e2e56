"""Writes on canon, snippets and workflows. Views, the API and commands all call these."""

from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Max

from builder.definition import validate_definition
from builder.models import Snippet, SnippetVersion, Workflow, WorkflowVersion
from builder.selectors import snippet_exists, snippet_version
from core.clock import now

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_CANON_FILE = FIXTURES / "canon.yaml"
DEFAULT_SNIPPETS_FILE = FIXTURES / "snippets.yaml"
DEMO_WORKFLOWS_DIR = FIXTURES / "workflows"


@transaction.atomic
def snippet_save(*, kind: str, key: str, text: str, author=None) -> SnippetVersion:
    """Adds a version when the text changed; returns the latest version either way.

    Raises ``ValidationError`` for an unknown kind or a malformed key.
    """
    snippet = Snippet.objects.select_for_update().filter(kind=kind, key=key).first()
    if snippet is None:
        snippet = Snippet(kind=kind, key=key)
        snippet.full_clean()
        snippet.save()
    latest = snippet.versions.order_by("-number").first()
    if latest is not None and latest.text == text:
        return latest
    version = SnippetVersion(
        snippet=snippet, number=(latest.number + 1) if latest else 1, text=text, author=author
    )
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def snippet_version_restore(*, kind: str, key: str, number: int, text: str) -> bool:
    """Makes version ``number`` of ``kind:key`` hold ``text``, as the install that exported
    it has it: creates the snippet and exactly that version when missing. Returns whether
    it created the version.

    A stored version is never rewritten (a published workflow may pin it): one with
    another text raises ``ValueError``; ``ValidationError`` for a bad kind or key.
    """
    snippet = Snippet.objects.select_for_update().filter(kind=kind, key=key).first()
    if snippet is None:
        snippet = Snippet(kind=kind, key=key)
        snippet.full_clean()
        snippet.save()
    stored = snippet.versions.filter(number=number).first()
    if stored is not None:
        if stored.text != text:
            raise ValueError(f"{stored} here has another text; it is never rewritten.")
        return False
    version = SnippetVersion(snippet=snippet, number=number, text=text)
    version.full_clean()
    version.save()
    return True


def canon_set(*, template_key: str, text: str, user=None) -> SnippetVersion:
    return snippet_save(kind=Snippet.Kind.CANON, key=template_key, text=text, author=user)


def canon_load_file(*, path: Path = DEFAULT_CANON_FILE, overwrite: bool = False) -> int:
    """Loads ``template_key: text`` pairs from YAML; keeps edited entries unless ``overwrite``."""
    loaded = 0
    for template_key, text in yaml.safe_load(path.read_text()).items():
        exists = Snippet.objects.filter(kind=Snippet.Kind.CANON, key=template_key).exists()
        if overwrite or not exists:
            canon_set(template_key=template_key, text=text.strip())
            loaded += 1
    return loaded


def snippets_load_file(*, path: Path = DEFAULT_SNIPPETS_FILE) -> int:
    """Loads ``kind: {key: text}`` from YAML; keeps snippets that already exist."""
    loaded = 0
    for kind, entries in yaml.safe_load(path.read_text()).items():
        for key, text in entries.items():
            if not Snippet.objects.filter(kind=kind, key=key).exists():
                snippet_save(kind=kind, key=key, text=text.strip())
                loaded += 1
    return loaded


def _denormalised(definition: dict) -> dict:
    return {
        "name": definition["name"],
        "priority": definition.get("priority", 0),
    }


@transaction.atomic
def workflow_create(
    *, slug: str, definition: dict, author=None, notes: str = ""
) -> WorkflowVersion:
    """A new workflow with its first (draft) version. Raises ``DefinitionInvalid``."""
    validate_definition(definition, snippet_exists=snippet_exists)
    workflow = Workflow(slug=slug)
    workflow.full_clean()
    workflow.save()
    return WorkflowVersion.objects.create(
        workflow=workflow,
        number=1,
        definition=definition,
        author=author,
        notes=notes,
        **_denormalised(definition),
    )


@transaction.atomic
def workflow_save_draft(
    *, workflow: Workflow, definition: dict, author=None, notes: str = "", new_version=False
) -> WorkflowVersion:
    """Saves an edit: into the open draft version, or as a new draft after a published one.

    ``new_version`` always adds a version, leaving an open draft as it is (an import must
    not overwrite someone's unpublished work). A published version, or a draft that an
    experiment arm runs, is never changed.
    Raises ``DefinitionInvalid``.
    """
    validate_definition(definition, snippet_exists=snippet_exists)
    workflow = Workflow.objects.select_for_update().get(id=workflow.id)
    latest = workflow.versions.order_by("-number").first()
    if _open_draft(latest) and not new_version:
        version = latest
    else:
        version = WorkflowVersion(workflow=workflow, number=(latest.number + 1) if latest else 1)
    version.definition = definition
    version.author = author
    version.notes = notes
    for field, value in _denormalised(definition).items():
        setattr(version, field, value)
    version.save()
    return version


def _open_draft(version: WorkflowVersion | None) -> bool:
    """A draft still open to edits: an experiment arm pins the definition it runs."""
    return (
        version is not None
        and version.status == WorkflowVersion.Status.DRAFT
        and not version.experiment_arms.exists()
    )


def _pin_snippets(definition: dict) -> dict[str, int]:
    pinned = {}
    for item in definition.get("context", []):
        if "snippet" in item:
            pinned[item["snippet"]] = snippet_version(item["snippet"], item.get("version")).number
    return pinned


@transaction.atomic
def workflow_publish(
    *, version: WorkflowVersion, user=None, note: str = "", pinned: dict | None = None
) -> WorkflowVersion:
    """Publishes a draft version: it becomes live and immutable, with its snippets pinned.

    ``pinned`` keeps given snippet versions (a rollback); otherwise the versions named in
    the definition, or the latest, are pinned. Raises ``DefinitionInvalid`` when the
    definition no longer validates (e.g. a snippet it names is gone) and
    ``ValueError`` when the version is not a draft.
    """
    workflow = Workflow.objects.select_for_update().get(id=version.workflow_id)
    version = WorkflowVersion.objects.select_for_update().get(id=version.id)
    if version.status != WorkflowVersion.Status.DRAFT:
        raise ValueError(f"{version.label} is {version.status}; only a draft can be published.")
    if not note.strip():
        raise ValueError("A publish note is required: say what changed and why.")
    validate_definition(version.definition, snippet_exists=snippet_exists)
    version.pinned_snippets = pinned if pinned else _pin_snippets(version.definition)
    version.status = WorkflowVersion.Status.PUBLISHED
    version.published_at = now()
    version.published_by = user
    version.publish_note = note
    version.save()
    # Saved, not updated: the workflow's history is the record of which version was live.
    workflow.live_version = version
    workflow._history_user, workflow._change_reason = user, f"published v{version.number}"
    workflow.save(update_fields=["live_version"])
    version.workflow = workflow
    return version


@transaction.atomic
def workflow_rollback(*, version: WorkflowVersion, user=None, note: str = "") -> WorkflowVersion:
    """Publishes a copy of an old version as the newest version (same snippets pinned)."""
    workflow = Workflow.objects.select_for_update().get(id=version.workflow_id)
    number = (workflow.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    workflow.versions.filter(status=WorkflowVersion.Status.DRAFT).update(
        status=WorkflowVersion.Status.ARCHIVED
    )
    copy = WorkflowVersion.objects.create(
        workflow=workflow,
        number=number,
        definition=version.definition,
        author=user,
        notes=f"Rollback to v{version.number}",
        **_denormalised(version.definition),
    )
    return workflow_publish(
        version=copy, user=user, note=note or copy.notes, pinned=version.pinned_snippets
    )


@transaction.atomic
def workflow_archive(*, version: WorkflowVersion) -> WorkflowVersion:
    """Archives a version; the live version cannot be archived (publish another first)."""
    Workflow.objects.select_for_update().get(id=version.workflow_id)
    version = WorkflowVersion.objects.get(id=version.id)
    if Workflow.objects.filter(id=version.workflow_id, live_version=version).exists():
        raise ValueError(f"{version.label} is live; publish another version first.")
    version.status = WorkflowVersion.Status.ARCHIVED
    version.save()
    return version
