import uuid

from django.db.models import Count, OuterRef, QuerySet, Subquery

from builder.models import Snippet, SnippetVersion, Workflow, WorkflowVersion
from builder.taxonomy import Archetype, ThreadState


def snippet_latest(kind: str, key: str) -> SnippetVersion | None:
    return (
        SnippetVersion.objects.filter(snippet__kind=kind, snippet__key=key)
        .order_by("-number")
        .first()
    )


def snippet_version(ref: str, number: int | None = None) -> SnippetVersion | None:
    """``ref`` is ``kind:key``; without ``number`` the latest version."""
    kind, _, key = ref.partition(":")
    versions = SnippetVersion.objects.filter(snippet__kind=kind, snippet__key=key)
    if number is not None:
        versions = versions.filter(number=number)
    return versions.select_related("snippet").order_by("-number").first()


def snippet_exists(ref: str, number: int | None = None) -> bool:
    return snippet_version(ref, number) is not None


def canon_text(template_key: str) -> str | None:
    """The latest canon text for a key, or None when no canon exists for it."""
    latest = snippet_latest(Snippet.Kind.CANON, template_key)
    return latest.text if latest else None


def canon_texts(template_keys) -> dict[str, str]:
    """The latest canon text of each key, in one query: what a batch of drafts shares."""
    texts: dict[str, str] = {}
    versions = SnippetVersion.objects.filter(
        snippet__kind=Snippet.Kind.CANON, snippet__key__in=set(template_keys)
    ).order_by("snippet__key", "-number")
    for key, text in versions.values_list("snippet__key", "text"):
        texts.setdefault(key, text)
    return texts


def known_template_keys() -> list[str]:
    return list(Snippet.objects.filter(kind=Snippet.Kind.CANON).values_list("key", flat=True))


def vocabulary() -> dict[str, list[str]]:
    """What the appliesTo pickers offer."""
    return {
        "archetypes": Archetype.values,
        "states": ThreadState.values,
        "templateKeys": known_template_keys(),
    }


def snippets_with_latest() -> QuerySet[Snippet]:
    latest = SnippetVersion.objects.filter(snippet=OuterRef("pk")).order_by("-number")
    return Snippet.objects.annotate(
        latest_number=Subquery(latest.values("number")[:1]),
        latest_text=Subquery(latest.values("text")[:1]),
    )


def workflows_list(*, status: str = "", template_key: str = "") -> list:
    """Workflows with their live version and how many drafts their versions produced.

    The template-key filter runs in Python: SQLite (the demo database) has no JSON
    containment lookup, and the list of workflows is short.
    """
    workflows = Workflow.objects.select_related(
        "live_version__workflow", "live_version__author", "live_version__published_by"
    ).annotate(
        version_count=Count("versions", distinct=True),
        usage_count=Count("versions__drafts", distinct=True),
    )
    if status:
        workflows = workflows.filter(versions__status=status).distinct()
    if template_key:
        return [
            workflow
            for workflow in workflows
            if workflow.live_version and _applies_to_key(workflow.live_version, template_key)
        ]
    return list(workflows)


def workflow_version_choices() -> list[tuple[uuid.UUID, str]]:
    """Every workflow version as a filter's (id, label) choice. Labels come from two
    columns, not model instances: the review page draws this list on every load."""
    rows = WorkflowVersion.objects.order_by("workflow__slug", "-number").values_list(
        "id", "workflow__slug", "number"
    )
    return [(pk, WorkflowVersion.label_of(slug, number)) for pk, slug, number in rows]


def workflow_latest_version(workflow: Workflow) -> WorkflowVersion | None:
    return workflow.versions.order_by("-number").first()


def _applies_to_key(version: WorkflowVersion, template_key: str) -> bool:
    keys = version.applies_to.get("templateKeys") or []
    return not keys or template_key in keys
