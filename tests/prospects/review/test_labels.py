"""People's labels on moves: corrected in review, confirmed by an unedited approval, bound
to the classifier that decided, and the only thing classifier training and evaluations
read."""

import json

import pytest
from django.core.exceptions import ValidationError

from engines.moves import move_name
from prospects.builds.evaluation_cases import classifier_cases
from prospects.builds.training_runs import classifier_lines
from prospects.builds.tuning import Split
from prospects.models import MoveLabel
from prospects.review.labels import move_label_confirm, move_label_correct
from prospects.review.services import draft_approve, draft_correct
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(canon, settings):
    settings.TUNING_EVAL_PERCENT = 0  # every thread in the train split
    return [
        ingest(make_inbound(body, thread=f"label-{n}"))
        for n, body in enumerate(("Hi there, free on Friday?", "Could we do half an hour?"))
    ]


def test_a_correction_is_bound_to_the_classifier_and_is_prospect_follows_the_move(
    decided, coworker
):
    decision = decided[0].decision
    label = move_label_correct(
        decision_id=decision.id, move="vendor", reason="  sells ad space ", user=coworker
    )
    assert (label.source, label.move, label.is_prospect) == ("corrected", "vendor", False)
    assert (label.classifier, label.decided_move) == ("rules", decision.move)
    assert label.reason == "sells ad space."
    assert not label.agrees


def test_without_a_reason_the_trace_is_still_a_sentence(decided, coworker):
    decision = decided[0].decision
    label = move_label_correct(decision_id=decision.id, move="spam", user=coworker)
    assert label.reason == f"A coworker read this as Spam, not {move_name(decision.move)}."


@pytest.mark.parametrize(
    ("move", "reason", "field"),
    [("booking", "", "move"), ("", "", "move"), ("spam", "x" * 301, "reason")],
)
def test_bad_input_names_the_field_and_records_nothing(decided, coworker, move, reason, field):
    with pytest.raises(ValidationError) as refused:
        move_label_correct(
            decision_id=decided[0].decision.id, move=move, reason=reason, user=coworker
        )
    assert field in refused.value.message_dict
    assert not MoveLabel.objects.exists()


def test_an_unedited_approval_confirms_an_edit_does_not_and_a_correction_outranks(
    decided, coworker
):
    approved, edited = decided
    draft_approve(draft_id=approved.draft.id, user=coworker)
    draft_correct(draft_id=edited.draft.id, user=coworker, body="Hi! An hour is the least.")
    confirmed = MoveLabel.objects.get()
    assert confirmed.decision_id == approved.decision.id
    assert (confirmed.source, confirmed.move) == ("confirmed", approved.decision.move)
    assert confirmed.reason == approved.decision.trace  # the cue sentence the rules named

    move_label_correct(decision_id=approved.decision.id, move="spam", user=coworker)
    assert move_label_confirm(decision_id=approved.decision.id, user=coworker) is None
    assert MoveLabel.objects.get().source == "corrected"


def test_classifier_training_and_evaluation_read_people_only(decided, coworker):
    labelled, unlabelled = decided
    move_label_correct(
        decision_id=labelled.decision.id,
        move="escalate",
        reason="A photographer offers a shoot.",
        user=coworker,
    )
    cases = classifier_cases(Split.TRAIN)
    assert [case["text"] for case in cases] == [labelled.message.body]
    assert unlabelled.message.body not in json.dumps(cases)

    [line] = classifier_lines([])
    answer = json.loads(json.loads(line)["messages"][-1]["content"])
    assert list(answer) == ["is_prospect", "move", "trace"]  # the contract's order
    assert answer == {
        "is_prospect": True,
        "move": "escalate",
        "trace": "A photographer offers a shoot.",
    }


def test_the_api_labels_a_decision_and_names_bad_fields(decided, coworker, api_for):
    decision = decided[0].decision
    api = api_for(coworker)
    bad = api.post(f"/api/decisions/{decision.id}/label/", {"move": "booking"}, format="json")
    assert bad.status_code == 400
    assert "move" in bad.json()
    good = api.post(
        f"/api/decisions/{decision.id}/label/",
        {"move": "personal", "reason": "Her cousin."},
        format="json",
    )
    assert good.status_code == 200
    assert good.json()["move"] == "personal"
    assert good.json()["is_prospect"] is False
    assert good.json()["classifier"] == "rules"
    missing = api.post(
        "/api/decisions/00000000-0000-0000-0000-000000000000/label/",
        {"move": "spam"},
        format="json",
    )
    assert missing.status_code == 404
