"""The pipeline settings' one set of rules, their history with who and why, and the words
the confirmation says."""

import pytest
from django.core.exceptions import ValidationError

from engines.services import engine_build_register
from prospects.models import PipelineSettings
from prospects.pipeline_settings import (
    pipeline_settings_changes_summary,
    pipeline_settings_history,
    pipeline_settings_update,
    pipeline_values,
)
from prospects.selectors import pipeline_settings
from tests.support.factories import GEMMA

pytestmark = pytest.mark.django_db


def _refused(**changes) -> dict:
    reason = changes.pop("reason", "Testing.")
    with pytest.raises(ValidationError) as refused:
        pipeline_settings_update(changes=changes, reason=reason, user=None)
    return refused.value.message_dict


def test_it_saves_every_setting_with_who_and_why(admin_user):
    changes = {
        "default_mode": "auto_send",
        "auto_send_keys": ["pursue.next_step", "opener.welcome"],
        "without_workflow": "template",
        "engine_wait_fallback": "template",
        "escalation_engine": GEMMA,
        "uncertain_move_threshold": 0.7,
        "daily_send_cap": 200,
    }
    engine_build_register(engine_id=GEMMA)
    row = pipeline_settings_update(changes=changes, reason="  Launch week.  ", user=admin_user)

    assert pipeline_values(row) == {
        **changes,
        "auto_send_keys": ["opener.welcome", "pursue.next_step"],
    }
    record = PipelineSettings.history.latest()
    assert (record.history_user, record.history_change_reason) == (admin_user, "Launch week.")
    assert record.daily_send_cap == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"default_mode": "always"}, "default_mode"),
        ({"auto_send_keys": ["opener.welcome", "no.such_key"]}, "auto_send_keys"),
        ({"auto_send_keys": "opener.welcome"}, "auto_send_keys"),
        ({"without_workflow": "drop"}, "without_workflow"),
        ({"engine_wait_fallback": "wait"}, "engine_wait_fallback"),
        ({"uncertain_move_threshold": 1.5}, "uncertain_move_threshold"),
        ({"uncertain_move_threshold": -0.1}, "uncertain_move_threshold"),
        ({"uncertain_move_threshold": "0.5"}, "uncertain_move_threshold"),
        ({"daily_send_cap": 0}, "daily_send_cap"),
        ({"daily_send_cap": 2.5}, "daily_send_cap"),
        ({"daily_send_cap": True}, "daily_send_cap"),
        ({"daily_send_cap": 5, "reason": "  "}, "reason"),
        ({"daily_send_cap": 5, "reason": "two\nlines"}, "reason"),
        ({"draft_engine": "gemma"}, "__all__"),
    ],
)
def test_each_rule_refuses_on_its_field_and_saves_nothing(changes, field):
    assert field in _refused(**changes)
    assert PipelineSettings.history.count() <= 1  # at most the row's creation


def test_every_refused_field_is_named_at_once():
    errors = _refused(default_mode="x", daily_send_cap=0, uncertain_move_threshold=2, reason="")
    assert {"default_mode", "daily_send_cap", "uncertain_move_threshold", "reason"} <= set(errors)


def test_an_empty_cap_is_no_cap(admin_user):
    pipeline_settings_update(changes={"daily_send_cap": 10}, reason="Cap.", user=admin_user)
    row = pipeline_settings_update(
        changes={"daily_send_cap": None}, reason="Uncap.", user=admin_user
    )
    assert row.daily_send_cap is None


def test_values_already_set_write_no_history(admin_user):
    pipeline_settings()
    before = PipelineSettings.history.count()
    pipeline_settings_update(changes={"default_mode": "review"}, reason="Same.", user=admin_user)
    assert PipelineSettings.history.count() == before


class TestSummary:
    def old(self) -> dict:
        return pipeline_values(pipeline_settings())

    def test_new_auto_send_keys_are_counted_and_named(self):
        summary = pipeline_settings_changes_summary(
            self.old(),
            {"auto_send_keys": ["opener.welcome", "opener.followup", "pursue.next_step"]},
        )
        assert summary == [
            "3 template keys will send without review: Opener: followup, Opener: welcome, "
            "Pursue: next step."
        ]

    def test_keys_taken_off_wait_for_review_again(self):
        old = {**self.old(), "auto_send_keys": ["opener.welcome"]}
        assert pipeline_settings_changes_summary(old, {"auto_send_keys": []}) == [
            "1 template key will wait for review again: Opener: welcome."
        ]

    def test_each_setting_has_its_sentence(self):
        summary = pipeline_settings_changes_summary(
            self.old(),
            {
                "default_mode": "auto_send",
                "without_workflow": "template",
                "engine_wait_fallback": "template",
                "escalation_engine": GEMMA,
                "uncertain_move_threshold": 0.6,
                "daily_send_cap": 200,
            },
        )
        assert summary == [
            "Drafts of every template key will send without review, unless something else "
            "holds them.",
            "Replies with no matching workflow will fall back to the template engine.",
            "Live drafts whose model build is not ready in time will fall back to the "
            "template engine.",
            f"Drafts the validation gate refuses will get one more try on {GEMMA}, credited to it.",
            "Drafts whose move the classifier is less than 60% sure of will be held for a person.",
            "At most 200 replies a day (UTC) will be sent without a person; past that, drafts "
            "are held for review.",
        ]

    def test_nothing_changed_says_nothing(self):
        assert pipeline_settings_changes_summary(self.old(), self.old()) == []


def test_the_history_says_who_what_and_why(admin_user):
    pipeline_settings()
    pipeline_settings_update(changes={"daily_send_cap": 50}, reason="Go slow.", user=admin_user)

    latest = pipeline_settings_history()[0]
    assert (latest.who, latest.why) == ("ada", "Go slow.")
    assert latest.what == [
        "At most 50 replies a day (UTC) will be sent without a person; past that, drafts are "
        "held for review."
    ]
