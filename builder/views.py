"""The workflow builder panel: thin views over builder selectors and services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from builder import selectors
from builder.definition import DefinitionInvalid
from builder.diff import version_diff
from builder.editor import (
    apply_step_op,
    attach_step_errors,
    definition_from_post,
    errors_by_field,
    steps_from_definition,
    steps_from_post,
)
from builder.models import Snippet, Workflow, WorkflowVersion
from builder.services import (
    snippet_save,
    workflow_archive,
    workflow_create,
    workflow_publish,
    workflow_rollback,
    workflow_save_draft,
)
from config.roles import allow, can_edit_workflows, has_any_role

WORKFLOWS_PER_PAGE = 25


def _redirect(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@allow(has_any_role)
def workflow_list(request):
    filters = {key: request.GET.get(key, "").strip()[:120] for key in ("status", "template_key")}
    if filters["status"] not in ("", *WorkflowVersion.Status.values):
        filters["status"] = ""
    page = Paginator(selectors.workflows_list(**filters), WORKFLOWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "filters": filters,
        "statuses": WorkflowVersion.Status.values,
        "template_keys": selectors.known_template_keys(),
    }
    template = "builder/_workflow_table.html" if request.htmx else "builder/workflow_list.html"
    return render(request, template, context)


def _editor_context(*, workflow, definition, steps, errors=None, notes="", slug=""):
    context_items = definition.get("context", [])
    selected_refs = [item["snippet"] for item in context_items if "snippet" in item]
    pins = [f"{item['snippet']}@{item['version']}" for item in context_items if "version" in item]
    inline_texts = [item["text"] for item in context_items if "text" in item]
    grouped = errors_by_field(errors or {})
    return {
        "workflow": workflow,
        "slug": slug or (workflow.slug if workflow else ""),
        "definition": definition,
        "applies_to": definition.get("appliesTo", {}),
        "steps": attach_step_errors(steps, grouped),
        "selected_refs": selected_refs,
        "pins": pins,
        "inline_texts": [*inline_texts, ""],
        "snippets": selectors.snippets_with_latest(),
        "vocabulary": selectors.vocabulary(),
        "errors": grouped,
        "notes": notes,
    }


@allow(can_edit_workflows)
def workflow_editor(request, workflow_id=None):
    """GET shows the newest version; POST applies a step operation or saves a draft."""
    workflow = get_object_or_404(Workflow, id=workflow_id) if workflow_id else None
    if request.method == "GET":
        latest = selectors.workflow_latest_version(workflow) if workflow else None
        definition = latest.definition if latest else {"steps": [{"draft": "", "maxChars": 320}]}
        context = _editor_context(
            workflow=workflow,
            definition=definition,
            steps=steps_from_definition(definition),
            notes=latest.notes if latest else "",
        )
        return render(request, "builder/editor.html", context)

    definition = definition_from_post(request.POST)
    steps = steps_from_post(request.POST)
    slug = request.POST.get("slug", "").strip()
    notes = request.POST.get("notes", "").strip()
    if op := request.POST.get("op"):
        steps = apply_step_op(steps, op)
        context = _editor_context(
            workflow=workflow, definition=definition, steps=steps, notes=notes, slug=slug
        )
        return render(request, "builder/editor.html", context)
    try:
        if workflow is None:
            version = workflow_create(
                slug=slug, definition=definition, author=request.user, notes=notes
            )
        else:
            version = workflow_save_draft(
                workflow=workflow, definition=definition, author=request.user, notes=notes
            )
    except (DefinitionInvalid, ValidationError) as invalid:
        errors = invalid.errors if isinstance(invalid, DefinitionInvalid) else invalid.message_dict
        context = _editor_context(
            workflow=workflow,
            definition=definition,
            steps=steps,
            errors=errors,
            notes=notes,
            slug=slug,
        )
        return render(request, "builder/editor.html", context)
    messages.success(request, f"Saved draft {version.label}.")
    if request.POST.get("then") == "publish":
        return _redirect(
            request, reverse("builder:workflow_publish", args=[version.workflow_id, version.number])
        )
    return _redirect(request, reverse("builder:workflow_history", args=[version.workflow_id]))


@allow(can_edit_workflows)
@require_POST
def editor_steps_hx(request):
    """Re-renders the step builder after add/delete/reorder, without saving anything."""
    steps = apply_step_op(steps_from_post(request.POST), request.POST.get("op", ""))
    return render(request, "builder/_steps.html", {"steps": steps, "errors": {}})


@allow(has_any_role)
def snippet_preview_hx(request):
    version = selectors.snippet_version(request.GET.get("ref", ""))
    return render(request, "builder/_snippet_preview.html", {"version": version})


def _version(workflow_id, number) -> WorkflowVersion:
    return get_object_or_404(
        WorkflowVersion.objects.select_related("workflow", "author", "published_by"),
        workflow_id=workflow_id,
        number=number,
    )


@allow(can_edit_workflows)
def workflow_publish_page(request, workflow_id, number):
    """Shows the diff against the live version and asks for a note before publishing."""
    version = _version(workflow_id, number)
    live = version.workflow.live_version
    error = ""
    if request.method == "POST":
        try:
            workflow_publish(
                version=version, user=request.user, note=request.POST.get("note", "").strip()
            )
        except (DefinitionInvalid, ValueError) as problem:
            error = str(problem)
        else:
            messages.success(request, f"Published {version.label}; it is live now.")
            return _redirect(request, reverse("builder:workflow_history", args=[workflow_id]))
    changed = [diff for diff in version_diff(live, version) if diff.changed] if live else []
    return render(
        request,
        "builder/publish.html",
        {"version": version, "live": live, "changed": changed, "error": error},
    )


@allow(has_any_role)
def workflow_history(request, workflow_id):
    workflow = get_object_or_404(Workflow.objects.select_related("live_version"), id=workflow_id)
    versions = workflow.versions.select_related("author", "published_by")
    return render(
        request,
        "builder/history.html",
        {
            "workflow": workflow,
            "versions": versions,
            "can_edit": can_edit_workflows(request.user),
        },
    )


@allow(has_any_role)
def workflow_diff(request, workflow_id):
    workflow = get_object_or_404(Workflow, id=workflow_id)
    try:
        a, b = int(request.GET.get("a", "")), int(request.GET.get("b", ""))
    except ValueError as error:
        raise Http404("Pick two versions to compare.") from error
    version_a, version_b = _version(workflow.id, a), _version(workflow.id, b)
    return render(
        request,
        "builder/diff.html",
        {
            "workflow": workflow,
            "a": version_a,
            "b": version_b,
            "diffs": [
                (diff, diff.side_by_side_html(version_a.label, version_b.label))
                for diff in version_diff(version_a, version_b)
            ],
        },
    )


@allow(can_edit_workflows)
@require_POST
def workflow_archive_view(request, workflow_id, number):
    version = _version(workflow_id, number)
    try:
        workflow_archive(version=version)
    except ValueError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, f"Archived {version.label}.")
    return _redirect(request, reverse("builder:workflow_history", args=[workflow_id]))


@allow(can_edit_workflows)
@require_POST
def workflow_rollback_view(request, workflow_id, number):
    version = _version(workflow_id, number)
    try:
        published = workflow_rollback(
            version=version, user=request.user, note=f"Rollback to v{version.number}"
        )
    except DefinitionInvalid as invalid:
        messages.error(request, f"Cannot roll back to {version.label}: {invalid}")
    else:
        messages.success(request, f"Published {published.label} as a copy of {version.label}.")
    return _redirect(request, reverse("builder:workflow_history", args=[workflow_id]))


@allow(has_any_role)
def snippet_list(request):
    return render(
        request,
        "builder/snippets.html",
        {
            "snippets": selectors.snippets_with_latest(),
            "kinds": Snippet.Kind.choices,
            "can_edit": can_edit_workflows(request.user),
        },
    )


@allow(has_any_role, write=can_edit_workflows)
def snippet_detail(request, snippet_id):
    snippet = get_object_or_404(Snippet, id=snippet_id)
    if request.method == "POST":
        version = snippet_save(
            kind=snippet.kind,
            key=snippet.key,
            text=request.POST.get("text", ""),
            author=request.user,
        )
        messages.success(request, f"Saved {snippet.ref} v{version.number}.")
        return redirect("builder:snippet_detail", snippet_id=snippet.id)
    return render(
        request,
        "builder/snippet_detail.html",
        {
            "snippet": snippet,
            "versions": snippet.versions.select_related("author"),
            "can_edit": can_edit_workflows(request.user),
        },
    )


@allow(can_edit_workflows)
@require_POST
def snippet_create(request):
    try:
        version = snippet_save(
            kind=request.POST.get("kind", ""),
            key=request.POST.get("key", "").strip(),
            text=request.POST.get("text", ""),
            author=request.user,
        )
    except ValidationError as invalid:
        for field, problems in invalid.message_dict.items():
            messages.error(request, f"{field}: {' '.join(problems)}")
        return redirect("builder:snippet_list")
    return redirect("builder:snippet_detail", snippet_id=version.snippet_id)
