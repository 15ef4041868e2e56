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
    DEFAULT_MAX_CHARS,
    apply_step_op,
    as_posted,
    attach_definition_errors,
    focus_first_error,
    steps_as_posted,
    steps_from_definition,
)
from builder.forms import (
    CompareForm,
    PublishForm,
    SnippetForm,
    SnippetTextForm,
    StepFormSet,
    StepOpForm,
    WorkflowEditorForm,
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
from builder.versions import LIVE, version_stories
from core.forms import add_service_error
from core.roles import allow, can_edit_workflows, has_any_role

WORKFLOWS_PER_PAGE = 25
NEW_DEFINITION = {"steps": [{"draft": "", "maxChars": DEFAULT_MAX_CHARS}]}


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
        "statuses": WorkflowVersion.Status.choices,
        "template_keys": selectors.known_template_keys(),
    }
    template = "builder/_workflow_table.html" if request.htmx else "builder/workflow_list.html"
    return render(request, template, context)


def _editor_page(request, *, workflow, form, steps, about_steps=(), refused=False):
    """The editor; ``refused``: after a save that failed, its first error has the focus."""
    focus = focus_first_error(form, steps, about_steps) if refused else None
    return render(
        request,
        "builder/editor.html",
        {
            "workflow": workflow,
            "form": form,
            "steps": steps,
            "about_steps": about_steps,
            "focus": focus,
        },
        status=400 if refused else 200,
    )


def _steps_after_op(post) -> StepFormSet:
    """The posted steps after the step button pressed; an unknown operation changes nothing."""
    op_form = StepOpForm(post)
    op = op_form.cleaned_data["op"] if op_form.is_valid() else None
    return StepFormSet(initial=apply_step_op(steps_as_posted(StepFormSet(post)), op))


@allow(can_edit_workflows)
def workflow_editor(request, workflow_id=None):
    """GET shows the newest version; POST applies a step operation or saves a draft."""
    workflow = get_object_or_404(Workflow, id=workflow_id) if workflow_id else None
    if request.method == "GET":
        latest = selectors.workflow_latest_version(workflow) if workflow else None
        definition = latest.definition if latest else NEW_DEFINITION
        initial = WorkflowEditorForm.initial_from(definition, latest.notes if latest else "")
        form = WorkflowEditorForm(workflow=workflow, initial=initial)
        steps = StepFormSet(initial=steps_from_definition(definition))
        return _editor_page(request, workflow=workflow, form=form, steps=steps)

    form = WorkflowEditorForm(request.POST, workflow=workflow)
    if "op" in request.POST:
        # A step button pressed without JS: draw it all again as typed, nothing judged yet.
        form = WorkflowEditorForm(workflow=workflow, initial=as_posted(form))
        steps = _steps_after_op(request.POST)
        return _editor_page(request, workflow=workflow, form=form, steps=steps)
    steps = StepFormSet(request.POST)
    if not (form.is_valid() and steps.is_valid()):
        return _editor_page(request, workflow=workflow, form=form, steps=steps, refused=True)
    definition = form.definition([step.step() for step in steps])
    notes = form.cleaned_data["notes"]
    try:
        if workflow is None:
            version = workflow_create(
                slug=form.cleaned_data["slug"],
                definition=definition,
                author=request.user,
                notes=notes,
            )
        else:
            version = workflow_save_draft(
                workflow=workflow, definition=definition, author=request.user, notes=notes
            )
    except DefinitionInvalid as invalid:
        about_steps = attach_definition_errors(invalid.errors, form, steps)
        return _editor_page(
            request,
            workflow=workflow,
            form=form,
            steps=steps,
            about_steps=about_steps,
            refused=True,
        )
    except ValidationError as invalid:
        add_service_error(form, invalid)
        return _editor_page(request, workflow=workflow, form=form, steps=steps, refused=True)
    messages.success(request, f"Saved draft {version.label}.")
    if form.cleaned_data["then"] == "publish":
        return _redirect(
            request, reverse("builder:workflow_publish", args=[version.workflow_id, version.number])
        )
    return _redirect(request, reverse("builder:workflow_history", args=[version.workflow_id]))


@allow(can_edit_workflows)
@require_POST
def editor_steps_hx(request):
    """Re-renders the step builder after add/delete/reorder, without saving anything."""
    return render(request, "builder/_steps.html", {"steps": _steps_after_op(request.POST)})


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
    form = PublishForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            workflow_publish(version=version, user=request.user, note=form.cleaned_data["note"])
        except (DefinitionInvalid, ValueError) as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, f"Published {version.label}; it is live now.")
            return _redirect(request, reverse("builder:workflow_history", args=[workflow_id]))
    changed = [diff for diff in version_diff(live, version) if diff.changed] if live else []
    return render(
        request,
        "builder/publish.html",
        {
            "version": version,
            "live": live,
            "a": live,
            "b": version,
            "changed": changed,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )


def _compare_defaults(stories) -> tuple[int | None, int | None]:
    """What the compare form offers first: the live version (else the one before the
    newest) against the newest."""
    numbers = [story.version.number for story in stories]
    if len(numbers) < 2:
        return None, None
    live = next((s.version.number for s in stories if s.state == LIVE), None)
    return (live if live not in (None, numbers[0]) else numbers[1]), numbers[0]


@allow(has_any_role)
def workflow_history(request, workflow_id):
    workflow = get_object_or_404(Workflow.objects.select_related("live_version"), id=workflow_id)
    stories = version_stories(workflow)
    compare_a, compare_b = _compare_defaults(stories)
    return render(
        request,
        "builder/history.html",
        {
            "workflow": workflow,
            "stories": stories,
            "compare_a": compare_a,
            "compare_b": compare_b,
            "can_edit": can_edit_workflows(request.user),
        },
    )


@allow(has_any_role)
def workflow_diff(request, workflow_id):
    workflow = get_object_or_404(Workflow.objects.select_related("live_version"), id=workflow_id)
    form = CompareForm(request.GET)
    if not form.is_valid():
        raise Http404("Pick two versions to compare.")
    version_a = _version(workflow.id, form.cleaned_data["a"])
    version_b = _version(workflow.id, form.cleaned_data["b"])
    stories = version_stories(workflow)
    by_number = {story.version.number: story for story in stories}
    diffs = version_diff(version_a, version_b)
    return render(
        request,
        "builder/diff.html",
        {
            "workflow": workflow,
            "a": version_a,
            "b": version_b,
            "story_a": by_number[version_a.number],
            "story_b": by_number[version_b.number],
            "stories": stories,
            "diffs": diffs,
            "changed": [diff.label for diff in diffs if diff.changed],
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


def _snippet_list_page(request, form: SnippetForm, status=200):
    return render(
        request,
        "builder/snippets.html",
        {
            "snippets": selectors.snippets_with_latest(),
            "form": form,
            "can_edit": can_edit_workflows(request.user),
        },
        status=status,
    )


@allow(has_any_role)
def snippet_list(request):
    return _snippet_list_page(request, SnippetForm())


@allow(has_any_role, write=can_edit_workflows)
def snippet_detail(request, snippet_id):
    snippet = get_object_or_404(Snippet, id=snippet_id)
    versions = list(snippet.versions.select_related("author"))
    form = SnippetTextForm(
        request.POST if request.method == "POST" else None,
        initial={"text": versions[0].text if versions else ""},
    )
    if form.is_valid():
        version = snippet_save(
            kind=snippet.kind, key=snippet.key, text=form.cleaned_data["text"], author=request.user
        )
        messages.success(request, f"Saved v{version.number}.")
        return redirect("builder:snippet_detail", snippet_id=snippet.id)
    return render(
        request,
        "builder/snippet_detail.html",
        {
            "snippet": snippet,
            "versions": versions,
            "form": form,
            "can_edit": can_edit_workflows(request.user),
        },
        status=400 if form.is_bound else 200,
    )


@allow(can_edit_workflows)
@require_POST
def snippet_create(request):
    form = SnippetForm(request.POST)
    if form.is_valid():
        try:
            version = snippet_save(**form.cleaned_data, author=request.user)
        except ValidationError as invalid:
            add_service_error(form, invalid)
        else:
            return redirect("builder:snippet_detail", snippet_id=version.snippet_id)
    return _snippet_list_page(request, form, status=400)
