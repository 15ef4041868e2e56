import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from builder.files import WorkflowFileError, workflow_export, workflow_import
from builder.models import Workflow
from builder.services import (
    DEMO_WORKFLOWS_DIR,
    snippets_load_file,
    workflow_create,
    workflow_publish,
    workflow_save_draft,
)
from tests.conftest import definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_context(canon, gemma_build):
    snippets_load_file()


def read_all(directory) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(directory.glob("*.yaml"))}


def test_the_demo_workflows_import(demo_context):
    report = workflow_import(DEMO_WORKFLOWS_DIR)
    assert sorted(report.created) == ["general-reply", "opener-welcome", "pursue-next-step"]
    assert all(w.live_version for w in Workflow.objects.all())


def test_export_import_export_is_identical(demo_context, tmp_path):
    workflow_import(DEMO_WORKFLOWS_DIR)
    draft_only = workflow_create(slug="draft-only", definition=definition(name="Draft"))
    assert draft_only.status == "draft"
    first = tmp_path / "first"
    workflow_export(first)
    Workflow.objects.update(live_version=None)
    for workflow in Workflow.objects.all():
        workflow.versions.all().delete()
    Workflow.objects.all().delete()
    workflow_import(first)
    second = tmp_path / "second"
    workflow_export(second)
    assert read_all(first) == read_all(second)
    assert yaml.safe_load(read_all(first)["draft-only.yaml"])["status"] == "draft"


def test_demo_files_are_exported_exactly_as_shipped(demo_context, tmp_path):
    workflow_import(DEMO_WORKFLOWS_DIR)
    workflow_export(tmp_path)
    shipped = {n: yaml.safe_load(t) for n, t in read_all(DEMO_WORKFLOWS_DIR).items()}
    exported = {n: yaml.safe_load(t) for n, t in read_all(tmp_path).items()}
    assert exported == shipped


def test_reimporting_unchanged_files_changes_nothing(demo_context):
    workflow_import(DEMO_WORKFLOWS_DIR)
    report = workflow_import(DEMO_WORKFLOWS_DIR)
    assert report.created == report.updated == []
    assert len(report.unchanged) == 3


def test_an_edited_file_publishes_a_new_version(demo_context, tmp_path):
    workflow_import(DEMO_WORKFLOWS_DIR)
    workflow_export(tmp_path)
    path = tmp_path / "general-reply.yaml"
    document = yaml.safe_load(path.read_text())
    document["definition"]["priority"] = -5
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    report = workflow_import(tmp_path)
    assert report.updated == ["general-reply"]
    live = Workflow.objects.get(slug="general-reply").live_version
    assert (live.number, live.priority) == (2, -5)


def test_a_bad_file_names_file_and_path_and_nothing_is_imported(demo_context, tmp_path):
    workflow_export(tmp_path)
    for source in DEMO_WORKFLOWS_DIR.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    bad = yaml.safe_load((tmp_path / "general-reply.yaml").read_text())
    bad["definition"]["steps"][1]["maxChars"] = "many"
    (tmp_path / "general-reply.yaml").write_text(yaml.safe_dump(bad))
    (tmp_path / "broken.yaml").write_text("slug: [unclosed")
    with pytest.raises(WorkflowFileError) as error:
        workflow_import(tmp_path)
    assert set(error.value.errors) == {"general-reply.yaml", "broken.yaml"}
    assert "definition.steps[1].maxChars" in error.value.errors["general-reply.yaml"]
    assert Workflow.objects.count() == 0


def test_slug_must_match_the_file_name(demo_context, tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({"slug": "b", "definition": definition()}))
    with pytest.raises(WorkflowFileError) as error:
        workflow_import(tmp_path)
    assert "slug" in error.value.errors["a.yaml"]


def test_the_command_reports_bad_files(demo_context, tmp_path):
    (tmp_path / "x.yaml").write_text("- not a mapping")
    with pytest.raises(CommandError, match=r"x.yaml: \(file\)"):
        call_command("workflows", "import", str(tmp_path))


def test_the_command_round_trips(demo_context, tmp_path):
    version = workflow_create(slug="one", definition=definition())
    workflow_publish(version=version, note="first")
    workflow_save_draft(workflow=version.workflow, definition=definition(name="Two"))
    call_command("workflows", "export", str(tmp_path))
    exported = yaml.safe_load((tmp_path / "one.yaml").read_text())
    assert exported["definition"]["name"] == "Welcome"
    assert exported["status"] == "published"


def test_a_malformed_slug_is_reported_with_the_file_name(demo_context, tmp_path):
    (tmp_path / "Bad Slug.yaml").write_text(
        yaml.safe_dump({"slug": "Bad Slug", "definition": definition()})
    )
    with pytest.raises(WorkflowFileError) as error:
        workflow_import(tmp_path)
    assert "slug" in error.value.errors["Bad Slug.yaml"]


def test_import_never_overwrites_an_open_draft(demo_context, tmp_path):
    workflow_import(DEMO_WORKFLOWS_DIR)
    workflow = Workflow.objects.get(slug="general-reply")
    mine = workflow_save_draft(workflow=workflow, definition=definition(name="Mine"))
    workflow_export(tmp_path)
    path = tmp_path / "general-reply.yaml"
    document = yaml.safe_load(path.read_text())
    document["definition"]["priority"] = 7
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    workflow_import(tmp_path)
    mine.refresh_from_db()
    assert (mine.status, mine.definition["name"]) == ("draft", "Mine")
    assert workflow.versions.count() == 3


def test_the_demo_loader_leaves_existing_workflows_alone(demo_context):
    workflow_import(DEMO_WORKFLOWS_DIR)
    workflow = Workflow.objects.get(slug="general-reply")
    workflow_publish(
        version=workflow_save_draft(workflow=workflow, definition=definition(name="Edited")),
        note="operator edit",
    )
    report = workflow_import(DEMO_WORKFLOWS_DIR, only_missing=True)
    assert report.created == report.updated == []
    workflow.refresh_from_db()
    assert workflow.live_version.name == "Edited"
