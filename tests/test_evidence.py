"""Evidence is protected: never removed by a cascade, its changes kept in history, and
read-only in Django admin."""

import pytest
from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from builder.experiments import arm_pause
from builder.services import workflow_publish, workflow_save_draft
from engines.services import engine_build_register
from engines.training.runs import training_run_create
from prospects.models import Correction, Decision, Draft, InboundMessage, Thread
from prospects.review.services import draft_reject
from tests.support.drafting import ingest
from tests.support.factories import PASSWORD, definition, make_inbound

pytestmark = pytest.mark.django_db

EVIDENCE = (Thread, InboundMessage, Decision, Draft, Correction)


@pytest.fixture
def corrected(canon, coworker) -> Correction:
    """A message whose held draft a coworker rejected."""
    draft = ingest(make_inbound("Hello! Are you free on Friday?")).draft
    draft_reject(draft_id=draft.id, user=coworker, reason_tags=["tone"])
    return Correction.objects.select_related("draft__decision__message__thread").get(draft=draft)


def _counts() -> dict:
    return {model.__name__: model.objects.count() for model in EVIDENCE}


def test_deleting_a_message_with_a_draft_and_a_correction_is_refused_and_keeps_everything(
    corrected,
):
    before = _counts()
    draft = corrected.draft
    decision = draft.decision
    for parent in (decision.message, decision.message.thread, decision, draft):
        with pytest.raises(ProtectedError):
            parent.delete()
    assert _counts() == before == dict.fromkeys(before, 1)


class TestHistory:
    def test_a_correction_is_recorded_when_written(self, corrected):
        [row] = corrected.history.all()
        assert (row.history_type, row.kind, row.draft_id) == ("+", "rejected", corrected.draft_id)

    def test_every_move_of_the_live_version_is_in_the_workflows_history(
        self, published_workflow, admin_user
    ):
        first = published_workflow()
        workflow = first.workflow
        second = workflow_save_draft(workflow=workflow, definition=definition(name="Terse"))
        workflow_publish(version=second, user=admin_user, note="Shorter")
        rows = list(workflow.history.order_by("history_date", "history_id"))
        assert [row.live_version_id for row in rows] == [None, first.id, second.id]
        assert (rows[-1].history_user, rows[-1].history_change_reason) == (
            admin_user,
            "published v2",
        )

    def test_experiment_arms_are_recorded_when_made_and_when_paused(self, experiment):
        arm = experiment.arms.get(key="B")
        arm_pause(arm=arm, reason="Hold rate over the guardrail.")
        rows = list(arm.history.order_by("history_date", "history_id"))
        assert [(row.history_type, row.paused_reason) for row in rows] == [
            ("+", ""),
            ("~", "Hold rate over the guardrail."),
        ]

    def test_a_training_runs_status_changes_are_recorded_without_its_snapshot(self):
        from engines.models.training import TrainingRun

        parent = engine_build_register(engine_id="endpoint-tiny_1", model_path="/weights/tiny")
        run = training_run_create(
            lines=['{"text": "hello"}'],
            parent_engine_id=parent.engine_id,
            source_engine_ids=[parent.engine_id],
        )
        assert TrainingRun.start(run.id, placement=run.placement, device="cpu")
        assert not TrainingRun.start(run.id, placement=run.placement, device="cpu")
        assert TrainingRun.finish(run.id, TrainingRun.Status.FAILED, "Out of memory.")
        assert not TrainingRun.finish(run.id, TrainingRun.Status.SUCCEEDED)
        rows = list(run.history.order_by("history_date", "history_id"))
        assert [(row.history_type, row.status) for row in rows] == [
            ("+", "queued"),
            ("~", "running"),
            ("~", "failed"),
        ]
        assert rows[-1].status_detail == "Out of memory."
        tracked = {field.name for field in TrainingRun.history.model.tracked_fields}
        assert not tracked & {"snapshot", "log"}


class TestAdmin:
    """Even a superuser only reads evidence in Django admin."""

    @pytest.fixture
    def browser(self, db) -> Client:
        browser = Client()
        browser.force_login(User.objects.create_superuser("root", password=PASSWORD))
        return browser

    @pytest.fixture
    def rows(self, corrected, published_workflow):
        draft = corrected.draft
        version = published_workflow()
        return [
            draft.decision.message.thread,
            draft.decision.message,
            draft.decision,
            draft,
            corrected,
            version.workflow,
            version,
        ]

    @staticmethod
    def _url(row, view: str, *args) -> str:
        meta = row._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)

    def test_evidence_is_shown_but_never_added_changed_or_deleted(self, browser, rows):
        for row in rows:
            change = self._url(row, "change", row.pk)
            page = browser.get(change)
            assert page.status_code == 200, row
            assert b'name="_save"' not in page.content
            assert browser.post(change, {}).status_code == 403, row
            assert browser.post(self._url(row, "delete", row.pk), {"post": "yes"}).status_code == (
                403
            )
            assert browser.get(self._url(row, "add")).status_code == 403
            assert browser.post(self._url(row, "add"), {}).status_code == 403
            assert b"delete_selected" not in browser.get(self._url(row, "changelist")).content
            assert type(row).objects.filter(pk=row.pk).exists()

    def test_a_history_revert_is_refused(self, browser, corrected):
        draft = Draft.objects.get(id=corrected.draft_id)
        oldest = draft.history.earliest("history_date")
        url = self._url(draft, "simple_history", draft.pk, oldest.history_id)
        assert browser.get(url).status_code == 200
        assert browser.post(url, {"body": "rewritten", "status": "held"}).status_code == 403
        assert Draft.objects.get(id=draft.id).status == Draft.Status.REJECTED


def test_pipeline_settings_are_read_only_in_django_admin(db):
    from prospects.selectors import pipeline_settings

    row = pipeline_settings()
    browser = Client()
    browser.force_login(User.objects.create_superuser("root", password=PASSWORD))
    change = reverse("admin:prospects_pipelinesettings_change", args=[row.pk])

    page = browser.get(change)
    posted = browser.post(
        change, {"classifier_engine": "endpoint-nothing_1", "default_mode": "auto_send"}
    )

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert posted.status_code == 403
    row.refresh_from_db()
    assert (row.classifier_engine, row.default_mode) == ("rules", "review")
