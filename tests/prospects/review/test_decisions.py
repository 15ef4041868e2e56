"""The Decisions page and API: any decision labelled, spam with no draft too, one by one
or several at once, least certain first."""

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import strip_tags

from engines.moves import move_meaning
from prospects.models import Decision, MoveLabel
from prospects.review.labels import move_labels_set
from prospects.vocabulary import raw_codes
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db

SPAM = "Boost your ranking with our SEO services, click here"


@pytest.fixture
def decided(canon):
    """Three decisions: spam with no draft, and two replies, one the head was unsure of."""
    spam = ingest(make_inbound(SPAM)).decision
    sure = ingest(make_inbound("Hi there")).decision
    unsure = ingest(make_inbound("Are you free tonight?")).decision
    Decision.objects.filter(id=sure.id).update(confidence=0.91)
    Decision.objects.filter(id=unsure.id).update(confidence=0.38)
    return spam, sure, unsure


def test_several_decisions_take_one_label_bound_to_their_classifier(decided, coworker):
    spam, sure, _ = decided
    assert spam.template_key == ""  # no draft to approve or correct in the review pane

    assert move_labels_set(decision_ids=[spam.id, sure.id], move="spam", user=coworker) == 2

    labels = {label.decision_id: label for label in MoveLabel.objects.all()}
    assert labels[spam.id].source == MoveLabel.Source.LABELLED
    assert (labels[sure.id].move, labels[sure.id].decided_move) == ("spam", sure.move)
    assert labels[sure.id].classifier == "rules"
    assert labels[sure.id].is_prospect is False


@pytest.mark.parametrize(
    ("ids", "move", "field"),
    [([], "spam", "decisions"), (None, "not-a-move", "move")],
)
def test_bad_labels_name_their_field(decided, coworker, ids, move, field):
    decision_ids = ids if ids is not None else [decided[0].id]
    with pytest.raises(ValidationError) as refused:
        move_labels_set(decision_ids=decision_ids, move=move, user=coworker)
    assert field in refused.value.message_dict
    assert not MoveLabel.objects.exists()


def test_the_page_lists_the_least_certain_first_and_filters(decided, coworker):
    spam, sure, unsure = decided
    client = logged_in(coworker)

    page = client.get("/decisions/").content.decode()
    filtered = client.get("/decisions/?confidence_below=0.5").content.decode()
    unlabelled = client.get("/decisions/?labelled=false&move=spam").content.decode()

    assert page.index(str(unsure.id)) < page.index(str(sure.id)) < page.index(str(spam.id))
    assert str(unsure.id) in filtered
    assert str(sure.id) not in filtered
    assert str(spam.id) in unlabelled
    assert str(sure.id) not in unlabelled
    assert "38%" in page


def test_the_page_says_moves_replies_and_labels_in_words(decided, coworker):
    spam, sure, _ = decided
    move_labels_set(decision_ids=[sure.id], move="out_of_area", user=coworker)
    client = logged_in(coworker)
    shown = " ".join(strip_tags(client.get("/decisions/").content.decode()).split())
    assert f"Spam {move_meaning('spam')} reply: none · by rules" in shown
    assert "Out of area (labelled on the decisions page, cora)" in shown
    assert '<option value="of">Free content</option>' in client.get("/decisions/").content.decode()
    assert raw_codes(shown) == []

    refused = client.get("/decisions/", {"confidence_below": "2"}).content.decode()
    assert '<p class="field-error">Confidence below: Ensure this value' in refused

    client.post("/decisions/label/", {"decisions": [str(spam.id)], "move": "existing_client"})
    labelled = client.get("/decisions/").content.decode()
    assert "Labelled 1 decision(s) as Existing client." in labelled


def test_a_row_is_labelled_in_place_and_a_bad_move_is_refused_beside_it(decided, coworker):
    spam, *_ = decided
    client = logged_in(coworker)
    url = f"/decisions/{spam.id}/label_hx/"

    refused = client.post(url, {f"d{spam.id.hex}-move": "nonsense"})
    saved = client.post(url, {f"d{spam.id.hex}-move": "vendor"})

    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    assert saved.status_code == 200
    assert "Saved" in saved.content.decode()
    assert MoveLabel.objects.get(decision=spam).move == "vendor"


def test_the_bulk_form_labels_the_ticked_and_keeps_the_filters(decided, coworker):
    spam, sure, _ = decided
    client = logged_in(coworker)

    empty = client.post("/decisions/label/", {"move": "spam", "query": "move=spam"})
    done = client.post(
        "/decisions/label/",
        {"decisions": [str(spam.id), str(sure.id)], "move": "spam", "query": "move=spam"},
    )

    assert empty.status_code == 400
    assert "Tick at least one decision." in empty.content.decode()
    assert (done.status_code, done["Location"]) == (302, "/decisions/?move=spam")
    assert MoveLabel.objects.filter(move="spam").count() == 2


def test_the_api_lists_and_labels_in_bulk(decided, coworker, api_for):
    spam, sure, unsure = decided
    api = api_for(coworker)

    listed = api.get("/api/decisions/to-label/", {"confidence_below": "0.95"}).json()
    labelled = api.post(
        "/api/decisions/labels/", {"decisions": [str(spam.id)], "move": "spam"}, format="json"
    )
    refused = api.post("/api/decisions/labels/", {"decisions": [], "move": "spam"}, format="json")
    after = api.get("/api/decisions/to-label/", {"labelled": "true"}).json()

    assert [row["id"] for row in listed["results"]] == [str(unsure.id), str(sure.id)]
    assert listed["results"][0]["confidence"] == pytest.approx(0.38)
    assert labelled.json() == {"labelled": 1}
    assert (refused.status_code, list(refused.json())) == (400, ["decisions"])
    assert [row["id"] for row in after["results"]] == [str(spam.id)]
    assert after["results"][0]["label"]["move"] == "spam"
