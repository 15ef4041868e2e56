import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from builder.models import WorkflowVersion
from builder.services import (
    canon_set,
    snippet_save,
    workflow_archive,
    workflow_publish,
    workflow_rollback,
    workflow_save_draft,
)
from builder.spec import workflow_spec
from tests.support.drafting import ingest
from tests.support.factories import definition, make_inbound

pytestmark = pytest.mark.django_db


def test_a_published_version_is_immutable(published_workflow):
    live = published_workflow()
    live.definition = definition(name="Changed")
    with pytest.raises(ValidationError, match="immutable"):
        live.save()


def test_editing_a_published_workflow_creates_a_new_draft_version(published_workflow):
    live = published_workflow()
    edited = workflow_save_draft(workflow=live.workflow, definition=definition(name="v2"))
    assert (edited.number, edited.status) == (2, WorkflowVersion.Status.DRAFT)
    again = workflow_save_draft(workflow=live.workflow, definition=definition(name="v2b"))
    assert again.id == edited.id
    live.refresh_from_db()
    assert live.definition["name"] == "Welcome"
    assert live.workflow.live_version == live


def test_publishing_pins_snippet_versions(published_workflow):
    live = published_workflow()
    assert live.pinned_snippets == {"canon:opener.welcome": 1}
    canon_set(template_key="opener.welcome", text="A newer canon text.")
    context = dict(workflow_spec(live).context)
    assert "A newer canon text." not in context["Canon: opener.welcome"]


def test_snippets_keep_every_version(canon):
    first = snippet_save(kind="voice", key="calm", text="Calm.")
    same = snippet_save(kind="voice", key="calm", text="Calm.")
    second = snippet_save(kind="voice", key="calm", text="Calmer.")
    assert (first.number, same.number, second.number) == (1, 1, 2)
    with pytest.raises(ValidationError):
        first.save()


def test_rollback_publishes_a_copy_of_an_old_version_as_the_newest(published_workflow):
    v1 = published_workflow()
    v2 = workflow_publish(
        version=workflow_save_draft(workflow=v1.workflow, definition=definition(name="v2")),
        note="v2",
    )
    v3 = workflow_rollback(version=v1, note="v2 drafts were worse")
    assert v3.number == 3
    assert v3.definition == v1.definition
    assert v3.pinned_snippets == v1.pinned_snippets
    assert v3.workflow.live_version == v3
    v2.refresh_from_db()
    assert v2.status == WorkflowVersion.Status.PUBLISHED


def test_only_drafts_can_be_published(published_workflow):
    with pytest.raises(ValueError, match="only a draft"):
        workflow_publish(version=published_workflow(), note="again")


def test_publishing_needs_a_note(published_workflow):
    live = published_workflow()
    draft = workflow_save_draft(workflow=live.workflow, definition=definition(name="v2"))
    with pytest.raises(ValueError, match="note"):
        workflow_publish(version=draft, note="  ")


def test_a_referenced_version_can_never_be_deleted(published_workflow):
    live = published_workflow()
    ingest(make_inbound("Hi"))
    with pytest.raises(ValidationError):
        live.delete()
    with pytest.raises(ProtectedError):
        WorkflowVersion.objects.filter(id=live.id).delete()


def test_the_live_version_cannot_be_archived_but_an_older_one_can(published_workflow):
    v1 = published_workflow()
    v2 = workflow_publish(
        version=workflow_save_draft(workflow=v1.workflow, definition=definition(name="v2")),
        note="v2",
    )
    with pytest.raises(ValueError, match="live"):
        workflow_archive(version=v2)
    assert workflow_archive(version=v1).status == WorkflowVersion.Status.ARCHIVED


def test_each_version_says_what_it_is_and_how_it_differs_from_the_live_one(
    published_workflow, clock
):
    from builder.versions import version_stories

    first = published_workflow()
    workflow = first.workflow
    clock.shift(3600)
    second = workflow_save_draft(workflow=workflow, definition=definition(name="Shorter"))
    second = workflow_publish(version=second, note="shorter")
    clock.shift(3600)
    draft = workflow_save_draft(
        workflow=workflow, definition=definition(name="Shorter", priority=5)
    )
    workflow.refresh_from_db()

    stories = {story.version.number: story for story in version_stories(workflow)}
    assert [stories[n].state_words for n in (3, 2, 1)] == ["Draft", "Live", "Was live"]
    assert stories[2].changed is None
    assert stories[1].replaced_by == second
    assert stories[1].live_from == first.published_at
    assert stories[1].live_until == second.published_at
    assert stories[1].changed == ["Name"]
    assert stories[3].changed == ["Priority"]
    assert stories[3].live_from is None

    workflow_archive(version=first)
    same = workflow_rollback(version=second, note="again")
    workflow.refresh_from_db()
    stories = {story.version.number: story for story in version_stories(workflow)}
    assert stories[same.number].state_words == "Live"
    assert stories[2].changed == []
    assert stories[2].replaced_by == same
    assert stories[1].state_words == "Archived"
    assert stories[draft.number].state_words == "Archived"
    assert stories[draft.number].live_from is None
