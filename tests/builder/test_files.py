from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from builder.files import WorkflowFileError, workflow_export, workflow_import
from builder.models import Snippet, SnippetVersion, Workflow
from builder.services import (
    DEMO_WORKFLOWS_DIR,
    canon_set,
    snippet_save,
    snippets_load_file,
    workflow_create,
    workflow_publish,
    workflow_save_draft,
)
from builder.snippet_files import SNIPPETS_FILE
from builder.spec import context_of
from tests.support.factories import GEMMA, definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_context(canon):
    snippets_load_file()


def read_all(directory) -> dict[str, str]:
    """Every YAML file in the folder, the snippet versions' file included."""
    return {
        str(path.relative_to(directory)): path.read_text()
        for path in sorted(directory.rglob("*.yaml"))
    }


def empty_the_database() -> None:
    Workflow.objects.update(live_version=None)
    for workflow in Workflow.objects.all():
        workflow.versions.all().delete()
    Workflow.objects.all().delete()
    Snippet.objects.all().delete()


def live_runs() -> dict[str, tuple]:
    """Per workflow: its live definition and the snippet texts it runs with, in order."""
    return {
        workflow.slug: (workflow.live_version.definition, context_of(workflow.live_version))
        for workflow in Workflow.objects.select_related("live_version")
    }


def test_the_shipped_folder_imports_on_a_freshly_migrated_database():
    assert not Snippet.objects.exists()
    out = StringIO()
    call_command("workflows", "import", str(DEMO_WORKFLOWS_DIR), stdout=out)
    assert "3 created" in out.getvalue()
    assert "5 snippet versions added" in out.getvalue()
    live = Workflow.objects.get(slug="opener-welcome").live_version
    assert live.pinned_snippets["canon:opener.welcome"] == 1
    assert dict(context_of(live))["Canon: opener.welcome"].startswith("Hi, thanks for reaching")


def test_the_shipped_snippet_versions_are_the_shipped_canon_and_rules(demo_context):
    # demo_context loads canon.yaml and snippets.yaml: a text that drifted from them is a
    # conflict, and the import refuses it.
    report = workflow_import(DEMO_WORKFLOWS_DIR)
    assert report.snippets == []
    assert len(report.created) == 3


def test_an_export_imports_into_an_emptied_database_with_the_same_pins(demo_context, tmp_path):
    workflow_import(DEMO_WORKFLOWS_DIR)
    # Two workflows pin two versions of the same rule; the newest is pinned by neither.
    snippet_save(kind="voice", key="warm-brief", text="Warm, brief, v2.")
    pursue = Workflow.objects.get(slug="pursue-next-step")
    workflow_publish(
        version=workflow_save_draft(workflow=pursue, definition=pursue.live_version.definition),
        note="pin the new voice",
    )
    snippet_save(kind="voice", key="warm-brief", text="Warm, brief, v3.")
    before = live_runs()
    assert before["pursue-next-step"][1] != before["opener-welcome"][1]
    call_command("workflows", "export", str(tmp_path), stdout=StringIO())
    empty_the_database()
    call_command("workflows", "import", str(tmp_path), stdout=StringIO())
    assert live_runs() == before
    texts = SnippetVersion.objects.filter(snippet__key="warm-brief").order_by("number")
    assert [v.number for v in texts] == [1, 2]


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
    empty_the_database()
    workflow_import(first)
    second = tmp_path / "second"
    workflow_export(second)
    assert read_all(first) == read_all(second)
    assert str(SNIPPETS_FILE) in read_all(first)
    assert yaml.safe_load(read_all(first)["draft-only.yaml"])["status"] == "draft"


def test_demo_files_are_exported_exactly_as_shipped(tmp_path):
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


def test_a_snippet_version_stored_with_another_text_is_an_error_and_nothing_loads(canon, tmp_path):
    workflow_import(DEMO_WORKFLOWS_DIR)
    workflow_export(tmp_path)
    empty_the_database()
    canon_set(template_key="opener.welcome", text="Another welcome altogether.")
    with pytest.raises(WorkflowFileError) as error:
        workflow_import(tmp_path)
    assert list(error.value.errors) == [str(SNIPPETS_FILE)]
    assert list(error.value.errors[str(SNIPPETS_FILE)]) == ["canon:opener.welcome@1"]
    assert Workflow.objects.count() == 0
    assert SnippetVersion.objects.count() == 1


def test_a_bad_snippet_versions_file_names_its_paths(tmp_path):
    (tmp_path / "snippets").mkdir()
    (tmp_path / SNIPPETS_FILE).write_text(
        yaml.safe_dump({"canon": {"a.b": {0: "x", 2: ["list"]}}, "colour": {"x": {1: "y"}}})
    )
    with pytest.raises(WorkflowFileError) as error:
        workflow_import(tmp_path)
    assert set(error.value.errors[str(SNIPPETS_FILE)]) == {"canon:a.b@0", "canon:a.b@2", "colour"}


def test_a_pin_on_a_missing_version_names_its_path(demo_context, tmp_path):
    workflow_export(tmp_path)
    document = yaml.safe_load((DEMO_WORKFLOWS_DIR / "general-reply.yaml").read_text())
    document["pinned"]["voice:warm-brief"] = 9
    (tmp_path / "general-reply.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(WorkflowFileError) as error:
        workflow_import(tmp_path)
    assert list(error.value.errors["general-reply.yaml"]) == ["pinned.voice:warm-brief"]


def test_a_file_from_an_older_install_loses_its_engine_with_a_note(demo_context, tmp_path):
    document = yaml.safe_load((DEMO_WORKFLOWS_DIR / "general-reply.yaml").read_text())
    document["definition"]["engine"] = GEMMA
    del document["pinned"]  # older installs wrote no pins either
    (tmp_path / "general-reply.yaml").write_text(yaml.safe_dump(document))
    out = StringIO()
    call_command("workflows", "import", str(tmp_path), stdout=out)
    assert "Note: general-reply.yaml: definition.engine: dropped" in out.getvalue()
    live = Workflow.objects.get(slug="general-reply").live_version
    assert "engine" not in live.definition


BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]" for n in range(8)]
)


def test_yaml_aliases_are_refused_before_they_expand(demo_context, tmp_path):
    (tmp_path / "laughs.yaml").write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 700
    with pytest.raises(WorkflowFileError) as error:
        workflow_import(tmp_path)
    assert (
        "aliases (*name) are not allowed, line 2" in error.value.errors["laughs.yaml"]["(file)"][0]
    )


def test_a_file_larger_than_any_workflow_is_not_read(demo_context, tmp_path):
    (tmp_path / "huge.yaml").write_text("slug: huge\n" + "# padding\n" * 30_000)
    with pytest.raises(WorkflowFileError) as error:
        workflow_import(tmp_path)
    assert "at most 262,144 are read" in error.value.errors["huge.yaml"]["(file)"][0]


def test_a_snippet_file_with_aliases_is_refused(tmp_path):
    from builder.snippet_files import snippet_versions_read

    (tmp_path / SNIPPETS_FILE).parent.mkdir(parents=True)
    (tmp_path / SNIPPETS_FILE).write_text(BILLION_LAUGHS)
    _, errors = snippet_versions_read(tmp_path)
    assert "aliases" in errors["(file)"][0]
